import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { cast, scope, type Device, type Tensor } from '@twist/kernels';
import { validateConfig, type WorldModelConfig } from './config.js';
import { ImageDecoder, ImageEncoder, ScalarHead, StateDecoder, StateEncoder } from './networks.js';
import { RSSM, type SequenceLatents } from './rssm.js';

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
  readonly opt: A.Adam;

  constructor(
    readonly device: Device,
    readonly cfg: WorldModelConfig,
  ) {
    super();
    validateConfig(cfg);
    const ctx = { device, seed: cfg.seed };
    this.encoder = this.child('encoder', cfg.modality === 'state' ? new StateEncoder(ctx, cfg) : new ImageEncoder(ctx, cfg));
    this.rssm = this.child('rssm', new RSSM(ctx, cfg.rssm, cfg.actionSize, this.encoder.outSize));
    const F = this.rssm.featureSize;
    this.decoder = this.child('decoder', cfg.modality === 'state' ? new StateDecoder(ctx, cfg, F) : new ImageDecoder(ctx, cfg, F));
    this.reward = this.child('reward', new ScalarHead(ctx, cfg.rewardLayers, F, cfg.rssm.act, 'reward'));
    this.cont = cfg.continueHead ? this.child('cont', new ScalarHead(ctx, cfg.rewardLayers, F, cfg.rssm.act, 'cont')) : null;
    this.stateDecoder = cfg.stateRecon ? this.child('stateDecoder', new StateDecoder(ctx, cfg, F, 'stateDecoder')) : null;
    this.opt = new A.Adam(this.parameters(), { lr: cfg.opt.lr, eps: cfg.opt.eps, clip: cfg.opt.clip, weightDecay: cfg.opt.weightDecay });
  }

  /** The observation as the network sees it: f32 state, or images as pixels/255 - 0.5. */
  preprocess(obs: Tensor): Var {
    if (this.cfg.modality === 'image' && obs.dtype === 'u8') return A.constant(cast(obs, 'f32', 1 / 255, -0.5));
    return A.constant(obs);
  }

  #checkBatch(b: Batch): void {
    const { modality, stateSize, imageSize, imageChannels, actionSize } = this.cfg;
    const [B, T] = b.actions.shape;
    const want =
      modality === 'state' ? [B, T, stateSize] : [B, T, imageSize, imageSize, imageChannels];
    const same = (s: readonly number[], w: number[]) => s.length === w.length && s.every((d, i) => d === w[i]);
    const fail = (name: string, w: number[], got: readonly number[]) => {
      throw new Error(`WorldModel: batch.${name} must have shape [${w.join(',')}], got [${got.join(',')}]`);
    };
    if (b.actions.shape.length !== 3 || b.actions.shape[2] !== actionSize) fail('actions', [B, T, actionSize], b.actions.shape);
    if (!same(b.obs.shape, want)) fail('obs', want, b.obs.shape);
    if (!same(b.rewards.shape, [B, T])) fail('rewards', [B, T], b.rewards.shape);
    if (!same(b.isFirst.shape, [B, T])) fail('isFirst', [B, T], b.isFirst.shape);
    if (this.cont && (!b.cont || !same(b.cont.shape, [B, T]))) fail('cont', [B, T], b.cont?.shape ?? []);
    if (this.stateDecoder && (!b.state || !same(b.state.shape, [B, T, stateSize]))) fail('state', [B, T, stateSize], b.state?.shape ?? []);
  }

  /** Posterior latents of a batch (no loss). */
  observe(b: Batch): SequenceLatents {
    this.#checkBatch(b);
    const x = this.preprocess(b.obs);
    return this.rssm.observe(this.encoder.forward(x), A.constant(b.actions), b.isFirst);
  }

  /** The world-model loss of Eq. 2 on a batch, with the latents (for actor-critic starts and distillation). */
  loss(b: Batch): { loss: Var; latents: SequenceLatents; parts: Record<string, Var> } {
    this.#checkBatch(b);
    const x = this.preprocess(b.obs);
    const latents = this.rssm.observe(this.encoder.forward(x), A.constant(b.actions), b.isFirst);
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
      const stateReconLoss = A.gaussianNLL(this.stateDecoder.forward(feat), A.constant(b.state!), 1);
      terms.push([stateReconLoss, 1]);
      parts.stateReconLoss = stateReconLoss;
    }
    return { loss: A.weightedSum(terms), latents, parts };
  }

  /**
   * One Adam step on the world-model loss. Everything but the returned metrics is released; nothing is read
   * back (read the metrics with readMetrics when logging), but it waits until the device has caught up to
   * within one batch (backpressure). With `keepLatents`, the posterior latents (detached) are returned too,
   * for imagination starts.
   */
  async trainStep(b: Batch, opts: { keepLatents?: boolean } = {}): Promise<{ metrics: WorldModelMetrics; latents?: { deter: Tensor; stoch: Tensor } }> {
    const out = this.#recordTrainStep(b, opts);
    // Backpressure: recording outruns execution (especially on software Vulkan); keep at most one batch
    // of this step unfinished so a long training loop cannot pile up work without bound.
    await this.device.throttle(1);
    return out;
  }

  #recordTrainStep(b: Batch, opts: { keepLatents?: boolean }): { metrics: WorldModelMetrics; latents?: { deter: Tensor; stoch: Tensor } } {
    return scope(() => {
      const { loss, latents, parts } = this.loss(b);
      const gradNorm = this.opt.apply(A.grad(loss, this.opt.params));
      const { unimix } = this.cfg.rssm;
      const metrics: WorldModelMetrics = A.noGrad(() => ({
        loss: loss.value,
        klLoss: parts.klLoss.value,
        meanKL: parts.meanKL.value,
        reconLoss: parts.reconLoss.value,
        rewardLoss: parts.rewardLoss.value,
        priorEntropy: A.mean(A.categoricalEntropy(A.stopGradient(latents.priorLogits), unimix)).value,
        postEntropy: A.mean(A.categoricalEntropy(A.stopGradient(latents.postLogits), unimix)).value,
        gradNorm,
        ...(parts.contLoss ? { contLoss: parts.contLoss.value } : {}),
        ...(parts.stateReconLoss ? { stateReconLoss: parts.stateReconLoss.value } : {}),
      }));
      return opts.keepLatents ? { metrics, latents: { deter: latents.deter.value, stoch: latents.stoch.value } } : { metrics };
    });
  }

  /** Saves parameters, optimiser state and config atomically to dir (see @twist/autograd checkpoints). */
  save(dir: string, info: Record<string, unknown> = {}): Promise<void> {
    // The RNG counter is state too: a resumed run must draw the samples the uninterrupted run would have.
    const rng = { rssmRngOffset: this.rssm.rngOffset };
    return A.saveCheckpoint(dir, { modules: { model: this }, optimizers: { model: this.opt } }, this.cfg, { ...info, ...rng });
  }

  /** Rebuilds a model from a checkpoint directory (config from its JSON), with its optimiser state. */
  static load(device: Device, dir: string): { model: WorldModel; info: Record<string, unknown> } {
    const meta = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    const model = new WorldModel(device, meta.config as WorldModelConfig);
    const { info } = A.loadCheckpoint(dir, { modules: { model }, optimizers: { model: model.opt } });
    const { rssmRngOffset, ...rest } = info as { rssmRngOffset?: number };
    model.rssm.rngOffset = Number(rssmRngOffset ?? 0);
    return { model, info: rest };
  }

  /** Frees parameters and optimiser state. */
  override dispose(): void {
    super.dispose();
    this.opt.dispose();
  }
}

