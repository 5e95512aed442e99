/**
 * World-model configuration: DreamerV2's defaults (DMC overrides applied) as the `paper` preset, and smaller
 * presets for CPUs and software WebGPU. Every key can be overridden; validation names the key that is wrong.
 */
import { showValue } from '@twist/kernels';
export type Modality = 'state' | 'image';

export interface RSSMConfig {
  /** Deterministic state size (GRU hidden). */
  deter: number;
  /** Width of the dense layers around the GRU (img_in, img_out, obs_out). */
  hidden: number;
  /** Number of categorical latent variables and classes per variable. */
  stoch: number;
  classes: number;
  /** Uniform mix into the categoricals (DreamerV3: 0.01); DreamerV2: 0. */
  unimix: number;
  act: 'elu' | 'silu';
  /**
   * Width of a separate action embedding act(LayerNorm(W a + b)) that img_in sees in place of the raw action
   * (DreamerV3's RSSM gives each input its own normalised layer, so a 1-D action is not 1 of 257 inputs beside
   * the one-hot latents); 0 = the raw action (DreamerV2, the default).
   */
  actionEmbed: number;
}

export interface WorldModelConfig {
  modality: Modality;
  /** State vector length (state modality, and the optional state decoder of an image model). */
  stateSize: number;
  actionSize: number;
  /** Square images of this side (image modality): 32 or 64. */
  imageSize: number;
  imageChannels: number;
  rssm: RSSMConfig;
  /** State encoder/decoder MLP widths (the paper's teacher: 3 x 512, ELU). */
  mlpLayers: number[];
  /** Image encoder depth multiplier d: conv depths d, 2d, 4d, 8d (DreamerV2: 48). */
  cnnDepth: number;
  /** Reward head MLP widths (DreamerV2: 4 x 400). */
  rewardLayers: number[];
  /** Predict episode continuation (DreamerV2's discount head); DMC configs leave it off. */
  continueHead: boolean;
  /** Also reconstruct the privileged state from images (the paper's "Dreamer State Recon." baseline). */
  stateRecon: boolean;
  /**
   * What the state decoder reads: 'feature' (the RSSM's [h, z], the baseline's; the default, and what configs
   * written before the option mean) or 'embed' (the image encoder's output of the same frame, ours: a single-frame
   * readout, so the encoder itself must see the state - [h, z] can also infer it from the past and the actions).
   */
  stateReconFrom?: 'feature' | 'embed';
  /** DreamerV2 KL: balance 0.8, free nats 1.0 averaged, scale 1. */
  kl: { balance: number; free: number; scale: number };
  /** Adam for the model: DMC lr 3e-4, eps 1e-5, clip 100, weight decay 1e-6. */
  opt: { lr: number; eps: number; clip: number; weightDecay: number };
  /** Symlog-squash vector inputs (DreamerV3 option). */
  symlogInputs: boolean;
  seed: number;
}

const PAPER: WorldModelConfig = {
  modality: 'state',
  stateSize: 5,
  actionSize: 1,
  imageSize: 64,
  imageChannels: 3,
  rssm: { deter: 200, hidden: 200, stoch: 32, classes: 32, unimix: 0, act: 'elu', actionEmbed: 0 },
  mlpLayers: [512, 512, 512],
  cnnDepth: 48,
  rewardLayers: [400, 400, 400, 400],
  continueHead: false,
  stateRecon: false,
  stateReconFrom: 'feature',
  kl: { balance: 0.8, free: 1.0, scale: 1.0 },
  opt: { lr: 3e-4, eps: 1e-5, clip: 100, weightDecay: 1e-6 },
  symlogInputs: false,
  seed: 0,
};

export const PRESETS = {
  /** The sizes of the paper (DreamerV2 DMC defaults, teacher MLPs 3 x 512). */
  paper: PAPER,
  /** Sized so training fits a 2-core machine with software WebGPU in minutes. */
  quick: {
    ...PAPER,
    rssm: { ...PAPER.rssm, deter: 128, hidden: 128, stoch: 16, classes: 16 },
    mlpLayers: [256, 256],
    cnnDepth: 16,
    rewardLayers: [128, 128],
  },
  /** Tiny: a training step in milliseconds on the CPU backend; for tests and smoke runs. */
  debug: {
    ...PAPER,
    imageSize: 32,
    rssm: { ...PAPER.rssm, deter: 32, hidden: 32, stoch: 4, classes: 4 },
    mlpLayers: [32, 32],
    cnnDepth: 4,
    rewardLayers: [32],
  },
} satisfies Record<string, WorldModelConfig>;

export type PresetName = keyof typeof PRESETS;
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** A preset with overrides applied key by key (nested objects merge), then validated. */
export function makeConfig(preset: PresetName, overrides: DeepPartial<WorldModelConfig> = {}): WorldModelConfig {
  const base = PRESETS[preset];
  if (!base) throw new Error(`makeConfig: unknown preset '${String(preset)}'; valid presets: ${Object.keys(PRESETS).join(', ')}`);
  const cfg = merge(structuredClone(base), overrides, '') as WorldModelConfig;
  validateConfig(cfg);
  return cfg;
}

function merge(into: any, over: any, path: string): any {
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === undefined) continue;
    if (!(k in into)) throw new Error(`config: unknown key '${path}${k}'; valid keys here: ${Object.keys(into).join(', ')}`);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) merge(into[k], v, `${path}${k}.`);
    else into[k] = v;
  }
  return into;
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Image encoder: 4 convs (3 for 32x32 images), kernel 4, stride 2, VALID. Returns spatial sizes per layer. */
export function encoderSizes(imageSize: number): number[] {
  const layers = imageSize >= 64 ? 4 : 3;
  const sizes = [imageSize];
  for (let i = 0; i < layers; i++) sizes.push(Math.floor((sizes[i] - 4) / 2) + 1);
  return sizes;
}

/** Image decoder kernels (stride 2, VALID) from a 1x1 start: 64 -> 5,5,6,6 (DreamerV2); 32 -> 5,6,6. */
export function decoderKernels(imageSize: number): number[] {
  return imageSize >= 64 ? [5, 5, 6, 6] : [5, 6, 6];
}

export function decoderSizes(imageSize: number): number[] {
  const sizes = [1];
  for (const k of decoderKernels(imageSize)) sizes.push((sizes[sizes.length - 1] - 1) * 2 + k);
  return sizes;
}

export function validateConfig(c: WorldModelConfig): void {
  const bad = (key: string, want: string, got: unknown) => {
    throw new Error(`config: '${key}' must be ${want}, got ${showValue(got)}`);
  };
  if (c.modality !== 'state' && c.modality !== 'image') bad('modality', "'state' or 'image'", c.modality);
  for (const k of ['deter', 'hidden', 'stoch', 'classes'] as const) if (!posInt(c.rssm[k])) bad(`rssm.${k}`, 'a positive integer', c.rssm[k]);
  if (!(c.rssm.unimix >= 0 && c.rssm.unimix < 1)) bad('rssm.unimix', 'in [0, 1)', c.rssm.unimix);
  if (!posInt(c.actionSize)) bad('actionSize', 'a positive integer', c.actionSize);
  if ((c.modality === 'state' || c.stateRecon) && !posInt(c.stateSize)) bad('stateSize', 'a positive integer (state input or stateRecon)', c.stateSize);
  if (c.stateRecon && c.modality !== 'image') bad('stateRecon', "false for a state model (it is the image model's extra decoder)", c.stateRecon);
  if (c.stateReconFrom !== undefined && c.stateReconFrom !== 'feature' && c.stateReconFrom !== 'embed') bad('stateReconFrom', "'feature' or 'embed'", c.stateReconFrom);
  if (c.stateReconFrom === 'embed' && !c.stateRecon) bad('stateReconFrom', "'feature' without a state decoder (stateRecon: false; 'embed' says what that decoder reads)", c.stateReconFrom);
  if (c.modality === 'image') {
    if (c.imageSize !== 32 && c.imageSize !== 64) bad('imageSize', '32 or 64 (the conv encoder/decoder sizes are defined for these)', c.imageSize);
    if (!posInt(c.cnnDepth)) bad('cnnDepth', 'a positive integer', c.cnnDepth);
    if (!posInt(c.imageChannels)) bad('imageChannels', 'a positive integer', c.imageChannels);
    const dec = decoderSizes(c.imageSize);
    if (dec[dec.length - 1] !== c.imageSize) bad('imageSize', `a size the decoder reproduces (it outputs ${dec[dec.length - 1]})`, c.imageSize);
  }
  for (const k of ['mlpLayers', 'rewardLayers'] as const) {
    if (!Array.isArray(c[k]) || !c[k].every(posInt)) bad(k, 'an array of positive integers', c[k]);
  }
  if (!(c.kl.balance >= 0 && c.kl.balance <= 1)) bad('kl.balance', 'in [0, 1]', c.kl.balance);
  if (!(fin(c.kl.free) && c.kl.free >= 0)) bad('kl.free', 'a finite number >= 0', c.kl.free);
  if (!(fin(c.opt.lr) && c.opt.lr > 0)) bad('opt.lr', 'a finite number > 0', c.opt.lr);
  if (!(fin(c.opt.eps) && c.opt.eps > 0)) bad('opt.eps', 'a finite number > 0', c.opt.eps);
  if (!(fin(c.opt.clip) && c.opt.clip >= 0)) bad('opt.clip', 'a finite number >= 0 (0 = no clipping)', c.opt.clip);
  if (!(fin(c.opt.weightDecay) && c.opt.weightDecay >= 0)) bad('opt.weightDecay', 'a finite number >= 0', c.opt.weightDecay);
  if (!(fin(c.kl.scale) && c.kl.scale >= 0)) bad('kl.scale', 'a finite number >= 0', c.kl.scale);
  for (const k of ['continueHead', 'stateRecon', 'symlogInputs'] as const) if (typeof c[k] !== 'boolean') bad(k, 'true or false', c[k]);
  if (c.rssm.act !== 'elu' && c.rssm.act !== 'silu') bad('rssm.act', "'elu' or 'silu'", c.rssm.act);
  // (absent in configs written before the option existed: 0)
  if (c.rssm.actionEmbed !== undefined && !(Number.isInteger(c.rssm.actionEmbed) && c.rssm.actionEmbed >= 0)) bad('rssm.actionEmbed', 'an integer >= 0', c.rssm.actionEmbed);
  if (!Number.isSafeInteger(c.seed)) bad('seed', 'an integer', c.seed);
}
