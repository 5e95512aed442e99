/**
 * Asymmetric SAC configuration: DrQ's defaults (denisyarats/drq `config.yaml`, `drq.py`; REFERENCE-FACTS
 * section 4) as the `paper` preset, and smaller presets for the 2-core machine. Every deviation from DrQ is
 * named where it is set. The loop settings are the shared LoopConfig of the Dreamer methods, with one update per
 * policy step after a seed phase (DrQ: num_train_iters 1, num_seed_steps 1000).
 */
import { showValue } from '@twist/kernels';
import { AGENT_PRESETS, validateAgentConfig, type AgentPresetName, type LoopConfig } from '../config.js';

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface SacConfig {
  /**
   * What the actor sees: 'image' (asym-sac: domain-randomised camera images through its own conv encoder) or
   * 'state' (the privileged state straight into the actor MLP: the same agent code on a state task, for tests).
   * The critics always see the privileged state.
   */
  actorInput: 'image' | 'state';
  /** Frames stacked on the channel axis, oldest first; at an episode start the first frame fills the stack (DrQ: 3). */
  frameStack: number;
  /** DrQ's random shift: replicate-pad by this many pixels, crop back at a uniform offset (DrQ: 4 at 84 px); 0 = off. */
  imagePad: number;
  /**
   * The actor's image encoder (DrQ `Encoder`): convs 3 x 3 with `filters` channels and these strides, ReLU, then
   * Linear -> `feature`, LayerNorm, tanh. DrQ: 4 convs of 32, strides [2, 1, 1, 1], feature 50.
   */
  encoder: { filters: number; strides: number[]; feature: number };
  /** Actor trunk (feature -> 2A: mean and log-std of the Gaussian before tanh) and each Q's MLP widths (DrQ: 2 x 1024, ReLU). */
  actorLayers: number[];
  criticLayers: number[];
  /** log std = min + (max - min) (tanh(s) + 1) / 2 (DrQ: [-10, 2]). */
  logStdMin: number;
  logStdMax: number;
  discount: number;
  /** Polyak rate of the target critics, applied every `targetEvery` updates (DrQ: 0.01 every 2). */
  tau: number;
  targetEvery: number;
  /** Actor and temperature step every this many updates (DrQ: 2); the critics every update. */
  actorEvery: number;
  /** Initial alpha (DrQ: 0.1). */
  initTemperature: number;
  /** The entropy target; 'auto' = -|A| (DrQ). */
  targetEntropy: number | 'auto';
  /** Adam settings (DrQ: lr 1e-3 for all three, PyTorch's betas 0.9 / 0.999 and eps 1e-8; no clipping, no weight decay). */
  actorOpt: AdamSettings;
  criticOpt: AdamSettings;
  alphaOpt: AdamSettings;
  /** 'orthogonal' (DrQ `weight_init`: Linear gain 1, conv gain sqrt(2), biases 0) or 'glorot' (this repo's default). */
  init: 'orthogonal' | 'glorot';
}

export interface SacAgentConfig {
  sac: SacConfig;
  loop: LoopConfig;
}

const DRQ_ADAM: AdamSettings = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

const PAPER: SacAgentConfig = {
  sac: {
    actorInput: 'image',
    frameStack: 3,
    // Images are 64 x 64 here (the renderer's and the image world models' size), DrQ's are 84 x 84.
    imagePad: 4,
    encoder: { filters: 32, strides: [2, 1, 1, 1], feature: 50 },
    actorLayers: [1024, 1024],
    criticLayers: [1024, 1024],
    logStdMin: -10,
    logStdMax: 2,
    discount: 0.99,
    tau: 0.01,
    targetEvery: 2,
    actorEvery: 2,
    initTemperature: 0.1,
    targetEntropy: 'auto',
    actorOpt: DRQ_ADAM,
    criticOpt: DRQ_ADAM,
    alphaOpt: DRQ_ADAM,
    init: 'orthogonal',
  },
  loop: {
    // DrQ's code default (its paper: 512). length 2: one transition (t, t+1) per sample.
    batch: 128,
    length: 2,
    trainEvery: 1,
    trainSteps: 1,
    // DrQ num_seed_steps 1000 (policy steps, after action repeat), uniform random actions; then one update per
    // policy step: pretrain 1 is the update at the step training starts, as DrQ's first update at step 1000.
    prefill: 1000,
    pretrain: 1,
    envs: 1,
    replayCapacity: 100_000,
    evalEvery: 10_000,
    evalEpisodes: 10,
    checkpointEvery: 10_000,
    logEvery: 100,
  },
};

export const SAC_PRESETS = {
  paper: PAPER,
  /**
   * Sized for the 2-core machine with software WebGPU: still one update per policy step and batch 128 (DrQ's),
   * but the encoder has 16 filters with strides [2, 2, 2, 1] (DrQ: 32, [2, 1, 1, 1]: ~20x fewer conv
   * multiply-adds at 64 px; measured on lavapipe under load, an update took ~0.2-0.6 s against ~1-7 s with DrQ's
   * encoder), the trunks are 2 x 256 (DrQ 2 x 1024), and evaluation is every 5000 frames as for the Dreamer
   * quick preset.
   */
  quick: {
    sac: { ...PAPER.sac, encoder: { filters: 16, strides: [2, 2, 2, 1], feature: 50 }, actorLayers: [256, 256], criticLayers: [256, 256] },
    loop: { ...PAPER.loop, evalEvery: 5000, evalEpisodes: 5, checkpointEvery: 5000 },
  },
  /**
   * Tiny, for tests and smoke runs: 32 px images (as the debug world models), frame stacks of 2, pad 2, encoder 4
   * filters with strides [2, 2, 1], trunks 2 x 32, batch 16, seed phase 200 policy steps; still one update per
   * policy step.
   */
  debug: {
    sac: { ...PAPER.sac, frameStack: 2, imagePad: 2, encoder: { filters: 4, strides: [2, 2, 1], feature: 16 }, actorLayers: [32, 32], criticLayers: [32, 32] },
    loop: { ...PAPER.loop, batch: 16, prefill: 200, evalEvery: 2000, evalEpisodes: 2, checkpointEvery: 2000, logEvery: 5 },
  },
} satisfies Record<AgentPresetName, SacAgentConfig>;

/** Spatial side after the encoder's convs (3 x 3, VALID). */
export function encoderOutSide(imageSize: number, strides: readonly number[]): number {
  let s = imageSize;
  for (const st of strides) s = Math.floor((s - 3) / st) + 1;
  return s;
}

export function validateSacConfig(c: SacAgentConfig, imageSize: number): void {
  const bad = (key: string, want: string, got: unknown): never => {
    throw new Error(`asym-sac config: '${key}' must be ${want}, got ${showValue(got)}`);
  };
  const s = c.sac;
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (s.actorInput !== 'image' && s.actorInput !== 'state') bad('sac.actorInput', "'image' or 'state'", s.actorInput);
  if (!posInt(s.frameStack)) bad('sac.frameStack', 'a positive integer', s.frameStack);
  if (!(Number.isInteger(s.imagePad) && s.imagePad >= 0 && s.imagePad < imageSize / 2)) bad('sac.imagePad', `an integer in [0, ${imageSize / 2})`, s.imagePad);
  const e = s.encoder;
  if (!e || !posInt(e.filters) || !posInt(e.feature) || !Array.isArray(e.strides) || !e.strides.length || !e.strides.every(posInt)) {
    bad('sac.encoder', '{ filters, strides (non-empty), feature } of positive integers', e);
  }
  if (s.actorInput === 'image' && encoderOutSide(imageSize, e.strides) < 1) bad('sac.encoder.strides', `strides that leave an output of a ${imageSize} px image`, e.strides);
  for (const k of ['actorLayers', 'criticLayers'] as const) if (!Array.isArray(s[k]) || !s[k].every(posInt)) bad(`sac.${k}`, 'an array of positive integers', s[k]);
  if (!(Number.isFinite(s.logStdMin) && Number.isFinite(s.logStdMax) && s.logStdMin < s.logStdMax)) bad('sac.logStdMin/logStdMax', 'finite with min < max', [s.logStdMin, s.logStdMax]);
  if (!(s.discount > 0 && s.discount <= 1)) bad('sac.discount', 'in (0, 1]', s.discount);
  if (!(s.tau > 0 && s.tau <= 1)) bad('sac.tau', 'in (0, 1]', s.tau);
  for (const k of ['targetEvery', 'actorEvery'] as const) if (!posInt(s[k])) bad(`sac.${k}`, 'a positive integer', s[k]);
  if (!(s.initTemperature > 0 && Number.isFinite(s.initTemperature))) bad('sac.initTemperature', 'a finite number > 0', s.initTemperature);
  if (s.targetEntropy !== 'auto' && !Number.isFinite(s.targetEntropy)) bad('sac.targetEntropy', "'auto' (-|A|) or a finite number", s.targetEntropy);
  for (const k of ['actorOpt', 'criticOpt', 'alphaOpt'] as const) {
    const o = s[k];
    if (!o || !(o.lr > 0)) bad(`sac.${k}.lr`, '> 0', o?.lr);
    if (!(o.beta1 >= 0 && o.beta1 < 1)) bad(`sac.${k}.beta1`, 'in [0, 1)', o.beta1);
    if (!(o.beta2 >= 0 && o.beta2 < 1)) bad(`sac.${k}.beta2`, 'in [0, 1)', o.beta2);
    if (!(o.eps >= 0 && Number.isFinite(o.eps))) bad(`sac.${k}.eps`, 'a finite number >= 0', o.eps);
  }
  if (s.init !== 'orthogonal' && s.init !== 'glorot') bad('sac.init', "'orthogonal' or 'glorot'", s.init);
  if (c.loop.length !== 2) bad('loop.length', '2 (SAC samples single transitions: windows (t, t+1))', c.loop.length);
  // The loop's keys follow the Dreamer methods' rules (one LoopConfig): checked by the same function.
  validateAgentConfig({ behaviour: AGENT_PRESETS.paper.behaviour, loop: c.loop });
}
