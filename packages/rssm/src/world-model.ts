import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { cast, checkDevice, type Device, type Tensor } from '@twist/kernels';
import { validateConfig, type WorldModelConfig } from './config.js';
import { ImageDecoder, ImageEncoder, ScalarHead, StateDecoder, StateEncoder } from './networks.js';
import { checkIsFirstValues, RSSM, type SequenceLatents } from './rssm.js';

/**
 * A batch of sequences [B, T, ...]. obs: the state [B, T, S] (f32) for a state model, images [B, T, H, W, C]
 * (u8 pixels, or f32 already scaled to pixels/255 - 0.5) for an image model. actions[:, t] led to obs t.
 * `state` is required by stateRecon image models.
 */
export interface Batch {
  obs: Tensor;
  actions: Tensor;
  rewards: Tensor;
  isFirst: Tensor;
  /** 1 where the episode continues after step t (continue head only). */
  cont?: Tensor;
  state?: Tensor;
  /**
   * Optional host copy of isFirst ([B, T] row-major, the same values): lets RSSM.observe skip the reset masks
   * at steps where no sequence starts (bit-identical results, fewer dispatches; see ObserveOptions). Its values
   * are checked (each 0 or 1); the isFirst tensor's own values are not read back, so pass this copy whenever
   * isFirst was made from host data (the agent's training loop does).
   */
  isFirstHost?: ArrayLike<number>;
}

/** Scalars of one training step, as device tensors (read them with readMetrics only when logging). */
export interface WorldModelMetrics {
  loss: Tensor;
  klLoss: Tensor;
  meanKL: Tensor;
  reconLoss: Tensor;
  rewardLoss: Tensor;
  priorEntropy: Tensor;
  postEntropy: Tensor;
  gradNorm: Tensor;
  contLoss?: Tensor;
  stateReconLoss?: Tensor;
}

/** Reads every metric tensor back (one await for all of them). */
export async function readMetrics<M extends { [K in keyof M]?: Tensor }>(m: M): Promise<{ [K in keyof M]: number }> {
  const entries = Object.entries(m).filter(([, t]) => t) as [string, Tensor][];
  const vals = await Promise.all(entries.map(([, t]) => t.item()));
  return Object.fromEntries(entries.map(([k], i) => [k, vals[i]])) as { [K in keyof M]: number };
}

export function disposeMetrics<M extends { [K in keyof M]?: Tensor }>(m: M): void {
  for (const t of Object.values(m) as (Tensor | undefined)[]) t?.dispose();
}

/**
 * The DreamerV2 world model of the paper's section III-B: encoder (MLP for state, CNN for images), RSSM,
 * decoder, reward head (and optional continue head / state decoder), trained by Eq. 2: reconstruction and
 * reward log-likelihoods (unit-variance Gaussians, i.e. half squared errors, summed over event dims) plus the
 * balanced KL with free nats. A state model (teacher) and an image model (student) differ only in the
 * encoder and decoder.
 */
export class WorldModel extends A.Module {
  readonly encoder: StateEncoder | ImageEncoder;
  readonly rssm: RSSM;
  readonly decoder: StateDecoder | ImageDecoder;
  readonly reward: ScalarHead;
  readonly cont: ScalarHead | null;
  readonly stateDecoder: StateDecoder | null;

  constructor(
    readonly device: Device,
    readonly cfg: WorldModelConfig,
  ) {
    super();
    checkDevice('WorldModel', device);
    validateConfig(cfg);
    const ctx = { device, seed: cfg.seed };
    this.encoder = this.child('encoder', cfg.modality === 'state' ? new StateEncoder(ctx, cfg) : new ImageEncoder(ctx, cfg));
    this.rssm = this.child('rssm', new RSSM(ctx, cfg.rssm, cfg.actionSize, this.encoder.outSize));
    const F = this.rssm.featureSize;
    this.decoder = this.child('decoder', cfg.modality === 'state' ? new StateDecoder(ctx, cfg, F) : new ImageDecoder(ctx, cfg, F));
    this.reward = this.child('reward', new ScalarHead(ctx, cfg.rewardLayers, F, cfg.rssm.act, 'reward'));
    this.cont = cfg.continueHead ? this.child('cont', new ScalarHead(ctx, cfg.rewardLayers, F, cfg.rssm.act, 'cont')) : null;
    const stateIn = cfg.stateReconFrom === 'embed' ? this.encoder.outSize : F;
    this.stateDecoder = cfg.stateRecon ? this.child('stateDecoder', new StateDecoder(ctx, cfg, stateIn, 'stateDecoder')) : null;
  }

  /** The state decoder's prediction from what it reads (cfg.stateReconFrom): the embeds or the features [.., F]. */
  decodeState(embed: Var, feature: Var): Var {
    if (!this.stateDecoder) throw new Error('WorldModel.decodeState: the model has no state decoder (config stateRecon: false)');
    return this.stateDecoder.forward(this.cfg.stateReconFrom === 'embed' ? embed : feature);
  }

  /** The observation as the network sees it: f32 state, or images as pixels/255 - 0.5. */
  preprocess(obs: Tensor): Var {
    if (this.cfg.modality === 'image' && obs.dtype === 'u8') return A.constant(cast(obs, 'f32', 1 / 255, -0.5));
    return A.constant(obs);
  }

  #checkBatch(b: Batch): void {
    const { modality, stateSize, imageSize, imageChannels, actionSize } = this.cfg;
    if (!b || typeof b !== 'object') throw new Error(`WorldModel: batch must be an object { obs, actions, rewards, isFirst }, got ${String(b)}`);
    for (const k of ['obs', 'actions', 'rewards', 'isFirst'] as const) {
      const t = b[k] as { shape?: unknown } | undefined;
      if (!t || !Array.isArray(t.shape)) throw new Error(`WorldModel: batch.${k} is missing (expected a Tensor)`);
    }
    // B and T come from obs, so a wrong actions batch is reported as the actions
    const obsRank = modality === 'state' ? 3 : 5;
    if (b.obs.shape.length !== obsRank) {
      throw new Error(`WorldModel: batch.obs must have rank ${obsRank} (${modality === 'state' ? '[B, T, stateSize]' : '[B, T, H, W, C]'}), got shape [${b.obs.shape.join(',')}]`);
    }
    const [B, T] = b.obs.shape;
    if (!(B > 0 && T > 0)) throw new Error(`WorldModel: batch.obs must have at least one sequence of at least one step, got shape [${b.obs.shape.join(',')}]`);
    const dt = (name: string, t: Tensor, want: string[]) => {
      if (!want.includes(t.dtype)) throw new Error(`WorldModel: batch.${name} must have dtype ${want.join(' or ')}, got ${t.dtype}`);
    };
    dt('obs', b.obs, modality === 'state' ? ['f32'] : ['u8', 'f32']);
    for (const k of ['actions', 'rewards', 'isFirst'] as const) dt(k, b[k], ['f32']);
    const want =
      modality === 'state' ? [B, T, stateSize] : [B, T, imageSize, imageSize, imageChannels];
    const same = (s: readonly number[], w: number[]) => s.length === w.length && s.every((d, i) => d === w[i]);
    const fail = (name: string, w: number[], got: readonly number[]) => {
      throw new Error(`WorldModel: batch.${name} must have shape [${w.join(',')}], got [${got.join(',')}]`);
    };
    if (!same(b.actions.shape, [B, T, actionSize])) fail('actions', [B, T, actionSize], b.actions.shape);
    if (!same(b.obs.shape, want)) fail('obs', want, b.obs.shape);
    if (!same(b.rewards.shape, [B, T])) fail('rewards', [B, T], b.rewards.shape);
    if (!same(b.isFirst.shape, [B, T])) fail('isFirst', [B, T], b.isFirst.shape);
    if (this.cont && (!b.cont || !same(b.cont.shape, [B, T]))) fail('cont', [B, T], b.cont?.shape ?? []);
    if (this.stateDecoder && (!b.state || !same(b.state.shape, [B, T, stateSize]))) fail('state', [B, T, stateSize], b.state?.shape ?? []);
    if (b.isFirstHost !== undefined) checkIsFirstValues('WorldModel: batch.isFirstHost', b.isFirstHost, B * T, `B * T = ${B * T}`, `isFirst [${B},${T}] row-major`);
  }

  /** Posterior latents of a batch (no loss). */
  observe(b: Batch): SequenceLatents {
    this.#checkBatch(b);
    const x = this.preprocess(b.obs);
    return this.rssm.observe(this.encoder.forward(x), A.constant(b.actions), b.isFirst, undefined, { isFirstHost: b.isFirstHost });
  }

  /** The world-model loss of Eq. 2 on a batch, with the latents (for actor-critic starts and distillation). */
  loss(b: Batch): { loss: Var; latents: SequenceLatents; parts: Record<string, Var> } {
    this.#checkBatch(b);
    const x = this.preprocess(b.obs);
    const embed = this.encoder.forward(x);
    const latents = this.rssm.observe(embed, A.constant(b.actions), b.isFirst, undefined, { isFirstHost: b.isFirstHost });
    const feat = this.rssm.feature(latents);
    const eventDims = this.cfg.modality === 'state' ? 1 : 3;
    const reconLoss = A.gaussianNLL(this.decoder.forward(feat), x, eventDims);
    const rewardLoss = A.gaussianNLL(this.reward.forward(feat), A.constant(b.rewards));
    const { unimix } = this.cfg.rssm;
    const { loss: klLoss, meanKL } = A.klBalanced(latents.postLogits, latents.priorLogits, { balance: this.cfg.kl.balance, free: this.cfg.kl.free, unimix });
    const terms: [Var, number][] = [
      [reconLoss, 1],
      [rewardLoss, 1],
      [klLoss, this.cfg.kl.scale],
    ];
    const parts: Record<string, Var> = { reconLoss, rewardLoss, klLoss, meanKL };
    if (this.cont) {
      // Bernoulli NLL with logits: softplus(x) - c x
      const logit = this.cont.forward(feat);
      const contLoss = A.mean(A.sub(A.softplus(logit), A.mul(A.constant(b.cont!), logit)));
      terms.push([contLoss, 1]);
      parts.contLoss = contLoss;
    }
    if (this.stateDecoder) {
      const stateReconLoss = A.gaussianNLL(this.decodeState(embed, feat), A.constant(b.state!), 1);
      terms.push([stateReconLoss, 1]);
      parts.stateReconLoss = stateReconLoss;
    }
    return { loss: A.weightedSum(terms), latents, parts };
  }

  /** Restores the RSSM's RNG counter from checkpoint info; returns the info without it. */
  takeRngState(info: Record<string, unknown>): Record<string, unknown> {
    const { rssmRngOffset, ...rest } = info as { rssmRngOffset?: number };
    this.rssm.rngOffset = Number(rssmRngOffset ?? 0);
    return rest;
  }
}
