import * as K from '@twist/kernels';
import type { Tensor } from '@twist/kernels';
import { fmt } from '../util.js';
import type { Var } from '../var.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW): p -= lr * wd * p. DreamerV2's model uses 1e-6. */
  weightDecay?: number;
  /** Global-norm gradient clipping threshold (DreamerV2: 100); 0 or undefined = no clipping. */
  clip?: number;
}

/**
 * Adam with decoupled weight decay and global-norm clipping. Moments live on the device; the clip factor
 * min(1, clip / ||g||) is computed on the device too, so a step never reads back.
 * Several optimisers can run over disjoint parameter sets (model, actor, critic).
 *
 * Non-finite gradients: the global norm that apply computes anyway (sumOfSquares) also decides, on the device,
 * whether the step is taken. When it is NaN or infinite (any gradient element NaN or +-Inf, or a norm above
 * ~1.8e19 that overflows f32) the whole update is skipped: parameters and moments stay bit-identical and the
 * bias-correction step does not advance. The device counts skipped steps and consecutive skips (read them with
 * skipped() and consecutiveSkips() when logging; state() includes them, so checkpoints keep them). Nothing is
 * read back per step.
 */
export class Adam {
  readonly params: readonly Var[];
  readonly m: Tensor[];
  readonly v: Tensor[];
  /**
   * The device counters, i32 [3]: [applied steps, skipped steps, consecutive skipped steps]. Applied steps is
   * the t of the bias corrections 1 - beta^t. Updated in place by apply; in state() as 'counters'.
   */
  readonly counters: Tensor;
  /**
   * The number of apply() calls (host side, saved in checkpoints): applied plus skipped steps. The bias
   * correction uses the device's applied count, which a skipped step does not advance.
   */
  step = 0;

  constructor(
    params: readonly Var[],
    readonly opts: AdamOptions,
  ) {
    if (!(opts.lr > 0)) throw new Error(`Adam: lr must be > 0, got ${opts.lr}`);
    if (new Set(params).size !== params.length) throw new Error('Adam: a parameter appears twice in the list');
    if (opts.clip !== undefined && opts.clip !== 0 && !(Number.isFinite(opts.clip) && opts.clip > 0)) {
      throw new Error(`Adam: clip must be a finite number > 0 (or 0/undefined for no clipping), got ${opts.clip}`);
    }
    this.params = [...params];
    if (this.params.length === 0) throw new Error('Adam: params must be a non-empty list');
    this.m = this.params.map((p) => K.keep(K.zeros(p.device, p.shape)));
    this.v = this.params.map((p) => K.keep(K.zeros(p.device, p.shape)));
    this.counters = K.keep(K.tensor(this.params[0].device, new Int32Array(3), [3]));
  }

  /**
   * Applies one update with these gradients (one per parameter, same order and shapes), or skips it on the
   * device when their global norm is not finite (see the class comment).
   * Returns the global gradient norm before clipping, as a device scalar (read it only when logging).
   */
  apply(grads: readonly Tensor[]): Tensor {
    if (grads.length !== this.params.length) {
      throw new Error(`Adam.apply: expected ${this.params.length} gradients, got ${grads.length}`);
    }
    grads.forEach((g, i) => {
      const p = this.params[i];
      if (g.shape.length !== p.shape.length || g.shape.some((d, k) => d !== p.shape[k])) {
        throw new Error(`Adam.apply: gradient ${i} (${p.name ?? 'param'}) has shape ${fmt(g.shape)}, parameter has ${fmt(p.shape)}`);
      }
    });
    this.step++;
    return K.scope(() => {
      const sumSq = K.sumOfSquares(grads);
      const { lr, beta1, beta2, eps, weightDecay, clip } = this.opts;
      const gate = K.adamGate(sumSq, this.counters, { maxNorm: clip || null, beta1, beta2 });
      const cfg = { lr, beta1, beta2, eps, weightDecay };
      this.params.forEach((p, i) => K.adamStepGated(p.value, grads[i], this.m[i], this.v[i], gate, cfg));
      return K.sqrt(sumSq);
    });
  }

  /** Skipped steps so far (non-finite gradients), as a new i32 [1] device tensor the caller owns. */
  skipped(): Tensor {
    return K.slice(this.counters, [1], [1]);
  }

  /** Consecutive skipped steps up to now (0 after an applied step), as a new i32 [1] device tensor the caller owns. */
  consecutiveSkips(): Tensor {
    return K.slice(this.counters, [2], [1]);
  }

  /** Applied steps so far (the bias-correction step t), as a new i32 [1] device tensor the caller owns. */
  appliedSteps(): Tensor {
    return K.slice(this.counters, [0], [1]);
  }

  /** Optimiser state by name, for checkpoints: m.<i>, v.<i>, the device counters and the step count. */
  state(): { tensors: Record<string, Tensor>; step: number } {
    const tensors: Record<string, Tensor> = {};
    this.m.forEach((t, i) => (tensors[`m.${i}`] = t));
    this.v.forEach((t, i) => (tensors[`v.${i}`] = t));
    tensors.counters = this.counters;
    return { tensors, step: this.step };
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v, this.counters]) t.dispose();
  }
}
