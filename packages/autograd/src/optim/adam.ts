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
 */
export class Adam {
  readonly params: readonly Var[];
  readonly m: Tensor[];
  readonly v: Tensor[];
  step = 0;

  constructor(
    params: readonly Var[],
    readonly opts: AdamOptions,
  ) {
    if (!(opts.lr > 0)) throw new Error(`Adam: lr must be > 0, got ${opts.lr}`);
    if (new Set(params).size !== params.length) throw new Error('Adam: a parameter appears twice in the list');
    this.params = [...params];
    this.m = this.params.map((p) => K.keep(K.zeros(p.device, p.shape)));
    this.v = this.params.map((p) => K.keep(K.zeros(p.device, p.shape)));
  }

  /**
   * Applies one update with these gradients (one per parameter, same order and shapes).
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
      const scale = this.opts.clip ? K.clipScale(sumSq, this.opts.clip) : null;
      const cfg = { lr: this.opts.lr, beta1: this.opts.beta1, beta2: this.opts.beta2, eps: this.opts.eps, weightDecay: this.opts.weightDecay };
      this.params.forEach((p, i) => K.adamStep(p.value, grads[i], this.m[i], this.v[i], this.step, cfg, scale));
      return K.sqrt(sumSq);
    });
  }

  /** Optimiser state by name, for checkpoints: m.<i>, v.<i> and the step count. */
  state(): { tensors: Record<string, Tensor>; step: number } {
    const tensors: Record<string, Tensor> = {};
    this.m.forEach((t, i) => (tensors[`m.${i}`] = t));
    this.v.forEach((t, i) => (tensors[`v.${i}`] = t));
    return { tensors, step: this.step };
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
