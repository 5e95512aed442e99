import * as A from '@twist/autograd';
import { scope, type Device, type Tensor } from '@twist/kernels';
import type { WorldModelConfig } from './config.js';
import type { Batch, WorldModel, WorldModelMetrics } from './world-model.js';

/** Adam settings of a world-model trainer; defaults are the model config's `opt` (DreamerV2 DMC). */
export type WorldModelOptOptions = Partial<WorldModelConfig['opt']>;

/**
 * Trains a WorldModel by Eq. 2. The trainer owns the optimiser (the model owns only its parameters), so a
 * frozen teacher carries no optimiser state, and several trainers (model, actor, critic) can be saved side
 * by side in one checkpoint.
 */
export class WorldModelTrainer {
  readonly opt: A.Adam;

  constructor(
    readonly model: WorldModel,
    opt: WorldModelOptOptions = {},
  ) {
    if (opt === null || typeof opt !== 'object') throw new Error(`WorldModelTrainer: opt must be an object of Adam settings (${Object.keys(model.cfg.opt).join(', ')}), got ${String(opt)}`);
    for (const k of Object.keys(opt)) {
      if (!(k in model.cfg.opt)) throw new Error(`WorldModelTrainer: unknown opt key '${k}'; valid keys: ${Object.keys(model.cfg.opt).join(', ')}`);
    }
    const o = { ...model.cfg.opt, ...opt };
    const settings = { lr: o.lr, eps: o.eps, clip: o.clip, weightDecay: o.weightDecay };
    try {
      A.checkAdamOptions(settings);
    } catch (e) {
      throw new Error(`WorldModelTrainer: opt.${(e as Error).message.replace(/^Adam: /, '')}`);
    }
    this.opt = new A.Adam(model.parameters(), settings);
  }

  get device(): Device {
    return this.model.device;
  }

  /**
   * One Adam step on the world-model loss. Everything but the returned metrics is released; nothing is read
   * back (read the metrics with readMetrics when logging), but it waits until the device has caught up to
   * within one batch (backpressure). With `keepLatents`, the posterior latents (detached) are returned too,
   * for imagination starts.
   */
  async trainStep(b: Batch, opts: { keepLatents?: boolean } = {}): Promise<{ metrics: WorldModelMetrics; latents?: { deter: Tensor; stoch: Tensor } }> {
    const out = this.record(b, opts);
    // Backpressure: recording outruns execution (especially on software Vulkan); keep at most one batch
    // of this step unfinished so a long training loop cannot pile up work without bound.
    await this.device.throttle(1);
    return out;
  }

  /** Records one step without waiting (for callers that throttle once for several updates). */
  record(b: Batch, opts: { keepLatents?: boolean } = {}): { metrics: WorldModelMetrics; latents?: { deter: Tensor; stoch: Tensor } } {
    const wm = this.model;
    return scope(() => {
      const { loss, latents, parts } = wm.loss(b);
      const gradNorm = this.opt.apply(A.grad(loss, this.opt.params));
      const { unimix } = wm.cfg.rssm;
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

  /** Frees the optimiser state (the model is the caller's). */
  dispose(): void {
    this.opt.dispose();
  }
}
