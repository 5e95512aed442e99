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

const ADAM_KEYS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'clip'] as const;

/**
 * Every Adam option up front, naming it (a bad beta or eps used to surface only at the first step, from the
 * kernel): known keys only, finite numbers, lr > 0, betas in [0, 1), eps > 0, weightDecay >= 0, clip 0 or > 0.
 */
export function checkAdamOptions(opts: AdamOptions): void {
  if (opts === null || typeof opts !== 'object') throw new Error(`Adam: options must be an object { lr, beta1?, beta2?, eps?, weightDecay?, clip? }, got ${K.showValue(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!(ADAM_KEYS as readonly string[]).includes(k)) throw new Error(`Adam: unknown option '${k}'; valid options: ${ADAM_KEYS.join(', ')}`);
  }
  const num = (k: (typeof ADAM_KEYS)[number], ok: (v: number) => boolean, want: string, optional = true) => {
    const v = opts[k];
    if (v === undefined && optional) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new Error(`Adam: ${k} must be ${want}, got ${K.showValue(v)}`);
  };
  num('lr', (v) => v > 0, 'a finite number > 0', false);
  num('beta1', (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  num('beta2', (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  num('eps', (v) => v > 0, 'a finite number > 0');
  num('weightDecay', (v) => v >= 0, 'a finite number >= 0');
  num('clip', (v) => v >= 0, 'a finite number > 0 (or 0/undefined for no clipping)');
}

/** Indices of ts split into groups, in order, such that no two members of a group share a device buffer. */
function distinctBufferGroups(ts: readonly Tensor[]): number[][] {
  const groups: { idx: number[]; handles: Set<unknown> }[] = [];
  ts.forEach((t, i) => {
    const h = t.storage('Adam.apply').handle;
    let g = groups.find((x) => !x.handles.has(h));
    if (!g) groups.push((g = { idx: [], handles: new Set() }));
    g.idx.push(i);
    g.handles.add(h);
  });
  return groups.map((g) => g.idx);
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
 *
 * Multi-tensor: parameters, gradients and moments of all parameters live in one flat buffer each (a FlatLayout
 * of @twist/kernels), so a step is a constant number of dispatches whatever the number of parameters: the
 * gradients packed into the flat gradient buffer (one dispatch per 7), the partial sums of squares (one), their
 * sum with the gate (one) and one Adam dispatch over everything. Each parameter tensor is moved into its slot of
 * the flat parameter buffer when the optimiser is made (moveToWindow: the same Tensor objects, now windows of
 * it); one that cannot move (it shares its storage with a view, or is a window already, e.g. of an earlier
 * optimiser's flat buffer) is copied in before and out after each step instead, the copies out in groups whose
 * members live in distinct buffers (a kernel may not write two windows of one buffer). m[i] and v[i] are windows of the flat moments, with the parameters' shapes, so
 * state() and checkpoints are as before. The results are bit-identical to the per-tensor composition
 * (sumOfSquares, adamGate, one adamStepGated per parameter; see adamStepsReference in the tests): the partial
 * sums follow the same chunks in the same order and the update is elementwise.
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
  readonly layout: K.FlatLayout;
  readonly #flat: { p: Tensor; g: Tensor; m: Tensor; v: Tensor; table: Tensor };
  /** Indices of the parameters that could not move into the flat buffer (copied in and out per step). */
  readonly #detached: number[];

  constructor(
    params: readonly Var[],
    readonly opts: AdamOptions,
  ) {
    checkAdamOptions(opts);
    if (new Set(params).size !== params.length) throw new Error('Adam: a parameter appears twice in the list');
    this.params = [...params];
    if (this.params.length === 0) throw new Error('Adam: params must be a non-empty list');
    const device = this.params[0].device;
    this.params.forEach((p, i) => {
      if (p.dtype !== 'f32') throw new Error(`Adam: parameter ${i} (${p.name ?? 'param'}) must have dtype f32, got ${p.dtype}`);
      if (p.device !== device) throw new Error(`Adam: parameter ${i} (${p.name ?? 'param'}) is on ${p.device.label}, expected ${device.label} (that of parameter 0)`);
    });
    const layout = (this.layout = K.flatLayout(this.params.map((p) => p.size)));
    const off = layout.offsets;
    const flat = K.keep(K.zeros(device, [layout.total]));
    const values = this.params.map((p) => p.value);
    K.packInto(flat, values, off);
    this.#detached = [];
    values.forEach((t, i) => {
      if (!K.moveToWindow(t, flat, off[i])) this.#detached.push(i);
    });
    const m = K.keep(K.zeros(device, [layout.total]));
    const v = K.keep(K.zeros(device, [layout.total]));
    this.m = this.params.map((p, i) => K.keep(K.viewAt(m, off[i], p.shape)));
    this.v = this.params.map((p, i) => K.keep(K.viewAt(v, off[i], p.shape)));
    const table = K.keep(K.tensor(device, K.sumsqChunkTable(layout), undefined, 'i32'));
    // The gradient buffer persists: packInto writes only the slots, so the padding stays zero for the update.
    this.#flat = { p: flat, g: K.keep(K.zeros(device, [layout.total])), m, v, table };
    this.counters = K.keep(K.tensor(device, new Int32Array(3), [3]));
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
      if (g.dtype !== 'f32') throw new Error(`Adam.apply: gradient ${i} (${p.name ?? 'param'}) must have dtype f32, got ${g.dtype}`);
    });
    this.step++;
    const f = this.#flat;
    const off = this.layout.offsets;
    const { lr, beta1, beta2, eps, weightDecay, clip } = this.opts;
    return K.scope(() => {
      K.packInto(f.g, grads, off);
      const detached = this.#detached.map((i) => this.params[i].value);
      const dOff = this.#detached.map((i) => off[i]);
      if (detached.length) K.packInto(f.p, detached, dOff);
      const { gate, norm } = K.adamGateSum(K.sumOfSquaresChunks(f.g, f.table), this.counters, { maxNorm: clip || null, beta1, beta2 });
      K.adamStepGated(f.p, f.g, f.m, f.v, gate, { lr, beta1, beta2, eps, weightDecay });
      // One copy kernel may not write two windows of one buffer (two writable bindings of it): parameters that
      // live in another optimiser's flat buffer (an earlier Adam over them, disposed or not) go back in groups
      // whose members' buffers differ (one group when each is a buffer of its own, as usual).
      for (const group of distinctBufferGroups(detached)) K.unpackFrom(f.p, group.map((k) => detached[k]), group.map((k) => dOff[k]));
      return norm;
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
    const f = this.#flat;
    for (const t of [...this.m, ...this.v, this.counters, f.p, f.g, f.m, f.v, f.table]) t.dispose();
  }
}
