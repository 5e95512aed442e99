import { assertDType } from '../core/dtype.js';
import { fmt } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { matmul } from '../matmul/index.js';
import { rowThreads, type GruBackwardParams, type GruFinishParams, type GruForwardParams } from './gru-kernel.js';
import './gru-kernel.js';

export interface GruParams {
  /** Added to the update gate's pre-activation (DreamerV2: -1, so the cell starts out keeping its state). */
  updateBias?: number;
  /** LayerNorm epsilon (DreamerV2 uses Keras' default, 1e-3). */
  eps?: number;
}

/**
 * What gruCellBackward needs from the forward. A plain object (so `scope` sees the tensors inside when it is
 * returned from one); `dispose()` releases the tensors.
 */
export interface GruSaved {
  /** x @ Wx + h @ Wh before the LayerNorm, [B, 3H] (parts: reset, candidate, update). */
  readonly pre: Tensor;
  /**
   * [2B + 3H]: the LayerNorm statistics per row, (mean, rstd) interleaved, then a copy of beta (so the backward
   * neither needs beta as an argument nor depends on the caller's beta being alive and unchanged).
   */
  readonly aux: Tensor;
  readonly updateBias: number;
  dispose(): void;
}

const OP = 'gruCell';

function check(op: string, what: string, t: Tensor, shape: readonly number[], device: Tensor['device']): void {
  t.storage(op);
  assertDType(op, what, 'f32', t.dtype);
  if (t.device !== device) throw new Error(`${op}: ${what} must be on the same device as x (${device.label}), got ${t.device.label}`);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${what} must have shape ${fmt(shape)}, got ${fmt(t.shape)}`);
  }
}

function sizes(op: string, x: Tensor, h: Tensor): { B: number; I: number; H: number } {
  if (x.rank !== 2) throw new Error(`${op}: x must have shape [B, I], got ${fmt(x.shape)}`);
  if (h.rank !== 2) throw new Error(`${op}: h must have shape [B, H], got ${fmt(h.shape)}`);
  const [B, I] = x.shape;
  const H = h.shape[1];
  if (h.shape[0] !== B) throw new Error(`${op}: h must have shape [${B}, H] (the batch of x), got ${fmt(h.shape)}`);
  if (I < 1 || H < 1) throw new Error(`${op}: x and h need at least one feature, got x ${fmt(x.shape)}, h ${fmt(h.shape)}`);
  return { B, I, H };
}

/**
 * DreamerV2's GRU cell with LayerNorm (norm=True, act=tanh):
 *   parts = LayerNorm(x @ Wx + h @ Wh; gamma, beta, eps)      (= LayerNorm(concat(x, h) @ W), no Dense bias)
 *   reset, cand, update = split(parts, 3)                      (in that order, H each)
 *   reset = sigmoid(reset); cand = tanh(reset * cand); update = sigmoid(update + updateBias)
 *   hNew = update * cand + (1 - update) * h
 * x [B, I], h [B, H], Wx [I, 3H], Wh [H, 3H], gamma and beta [3H]. Three dispatches: two matmuls and one fused
 * add + LayerNorm + gates kernel. Returns hNew [B, H] and what the backward needs.
 */
export function gruCell(
  x: Tensor,
  h: Tensor,
  Wx: Tensor,
  Wh: Tensor,
  gamma: Tensor,
  beta: Tensor,
  opts: GruParams = {},
): { h: Tensor; saved: GruSaved } {
  const dev = x.device;
  check(OP, 'x', x, x.shape, dev);
  check(OP, 'h', h, h.shape, dev);
  const { B, I, H } = sizes(OP, x, h);
  check(OP, 'Wx', Wx, [I, 3 * H], dev);
  check(OP, 'Wh', Wh, [H, 3 * H], dev);
  check(OP, 'gamma', gamma, [3 * H], dev);
  check(OP, 'beta', beta, [3 * H], dev);
  const updateBias = opts.updateBias ?? -1;
  const eps = opts.eps ?? 1e-3;
  if (!Number.isFinite(updateBias)) throw new Error(`${OP}: updateBias must be a finite number, got ${updateBias}`);
  if (!(eps >= 0 && Number.isFinite(eps))) throw new Error(`${OP}: eps must be a finite number >= 0, got ${eps}`);

  const xw = matmul(x, Wx);
  const hw = matmul(h, Wh);
  const hNew = empty(dev, [B, H], 'f32');
  const pre = empty(dev, [B, 3 * H], 'f32');
  const aux = empty(dev, [2 * B + 3 * H], 'f32');
  const p: GruForwardParams = { rows: B, H, eps, updateBias, tpr: rowThreads(B, 3 * H) };
  dev.run('gru_forward', [xw, hw, h, gamma, beta], [hNew, pre, aux], p);
  xw.dispose();
  hw.dispose();
  const saved: GruSaved = {
    pre,
    aux,
    updateBias,
    dispose() {
      pre.dispose();
      aux.dispose();
    },
  };
  return { h: hNew, saved };
}

/**
 * Gradients of gruCell given dL/dhNew [B, H] and the forward's `saved` (not consumed: dispose it yourself).
 * Six dispatches: the fused gates + LayerNorm backward (d pre-norm parts, dp for the parameter sums, the direct
 * dh term), four matmuls (dx = dpre @ Wx^T, dh = dpre @ Wh^T, dWx = x^T @ dpre, dWh = h^T @ dpre) and one kernel
 * that sums dgamma/dbeta over the batch and adds the direct term to dh.
 */
/**
 * Existing gradients gruCellBackward may add its results into, in place (autograd's in-place accumulation):
 * each given tensor (of the result's shape, sharing memory with no input) receives prev + result, the same
 * f32 additions as add(prev, result), and is returned in that result's place.
 */
export interface GruGradInto {
  dx?: Tensor | null;
  dh?: Tensor | null;
  dWx?: Tensor | null;
  dWh?: Tensor | null;
  dgamma?: Tensor | null;
  dbeta?: Tensor | null;
  /**
   * dh's gradient so far as a strided box of another tensor (element (b, j) at x[offset + b * rowStride + j]),
   * not with `dh`: the returned dh (a new tensor) is the result plus it, added last (as sliceAdd would).
   */
  dhAddend?: { x: Tensor; offset: number; rowStride: number } | null;
}

export function gruCellBackward(
  dhNew: Tensor,
  saved: GruSaved,
  x: Tensor,
  h: Tensor,
  Wx: Tensor,
  Wh: Tensor,
  gamma: Tensor,
  into: GruGradInto = {},
): { dx: Tensor; dh: Tensor; dWx: Tensor; dWh: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const g = backward('gruCellBackward', dhNew, saved, x, h, Wx, Wh, gamma, into, true);
  return { dx: g.dx, dh: g.dh, dWx: g.dWx!, dWh: g.dWh!, dgamma: g.dgamma, dbeta: g.dbeta };
}

/**
 * gruCellBackward without the weight gradients: instead of dWx = x^T dpre and dWh = h^T dpre it returns dpre
 * [B, 3H] (the gradient of the gates' pre-LayerNorm sum x Wx + h Wh), for a caller that sums the weight
 * gradients of many steps in one matmul each. Four dispatches.
 */
export function gruCellBackwardNoWeights(
  dhNew: Tensor,
  saved: GruSaved,
  x: Tensor,
  h: Tensor,
  Wx: Tensor,
  Wh: Tensor,
  gamma: Tensor,
  into: Omit<GruGradInto, 'dWx' | 'dWh'> = {},
): { dx: Tensor; dh: Tensor; dgamma: Tensor; dbeta: Tensor; dpre: Tensor } {
  const g = backward('gruCellBackwardNoWeights', dhNew, saved, x, h, Wx, Wh, gamma, into, false);
  return { dx: g.dx, dh: g.dh, dgamma: g.dgamma, dbeta: g.dbeta, dpre: g.dpre! };
}

function backward(
  op: string,
  dhNew: Tensor,
  saved: GruSaved,
  x: Tensor,
  h: Tensor,
  Wx: Tensor,
  Wh: Tensor,
  gamma: Tensor,
  into: GruGradInto,
  weights: boolean,
): { dx: Tensor; dh: Tensor; dWx: Tensor | null; dWh: Tensor | null; dgamma: Tensor; dbeta: Tensor; dpre: Tensor | null } {
  const dev = x.device;
  check(op, 'x', x, x.shape, dev);
  check(op, 'h', h, h.shape, dev);
  const { B, I, H } = sizes(op, x, h);
  check(op, 'dhNew', dhNew, [B, H], dev);
  check(op, 'Wx', Wx, [I, 3 * H], dev);
  check(op, 'Wh', Wh, [H, 3 * H], dev);
  check(op, 'gamma', gamma, [3 * H], dev);
  check(op, 'saved.pre', saved.pre, [B, 3 * H], dev);
  check(op, 'saved.aux', saved.aux, [2 * B + 3 * H], dev);

  const dpre = empty(dev, [B, 3 * H], 'f32');
  const dpx = empty(dev, [B, 4 * H], 'f32');
  const bp: GruBackwardParams = { rows: B, H, updateBias: saved.updateBias, tpr: rowThreads(B, 3 * H) };
  dev.run('gru_backward', [dhNew, saved.pre, saved.aux, h, gamma], [dpre, dpx], bp);
  const target = (t: Tensor | null | undefined, what: string, shape: readonly number[]) => {
    if (!t) return null;
    check(op, `into.${what}`, t, shape, dev);
    for (const [n, u] of [['dhNew', dhNew], ['x', x], ['h', h], ['Wx', Wx], ['Wh', Wh], ['gamma', gamma]] as const) {
      if (u.storage(op).handle === t.storage(op).handle) throw new Error(`${op}: into.${what} must not share memory with ${n}`);
    }
    return t;
  };
  const acc = (t: Tensor | null) => (t ? { out: t, accumulate: true } : {});
  const ix = target(into.dx, 'dx', [B, I]);
  const iWx = target(into.dWx, 'dWx', [I, 3 * H]);
  const iWh = target(into.dWh, 'dWh', [H, 3 * H]);
  const ig = target(into.dgamma, 'dgamma', [3 * H]);
  const ib = target(into.dbeta, 'dbeta', [3 * H]);
  const ih = target(into.dh, 'dh', [B, H]);
  const ad = into.dhAddend ?? null;
  if (ad) {
    if (ih) throw new Error(`${op}: into.dh and into.dhAddend exclude each other`);
    check(op, 'into.dhAddend.x', ad.x, ad.x.shape, dev);
    const ok = Number.isInteger(ad.offset) && ad.offset >= 0 && Number.isInteger(ad.rowStride) && ad.rowStride >= 0 && ad.offset + (B - 1) * ad.rowStride + H <= ad.x.size;
    if (!ok) throw new Error(`${op}: into.dhAddend: rows of ${H} at offset ${ad.offset}, stride ${ad.rowStride} (${B} rows) must lie inside x ${fmt(ad.x.shape)}`);
  }
  const dx = matmul(dpre, Wx, { transB: true, ...acc(ix) });
  const dhm = matmul(dpre, Wh, { transB: true });
  const dWx = weights ? matmul(x, dpre, { transA: true, ...acc(iWx) }) : null;
  const dWh = weights ? matmul(h, dpre, { transA: true, ...acc(iWh) }) : null;
  const dgamma = ig ?? empty(dev, [3 * H], 'f32');
  const dbeta = ib ?? empty(dev, [3 * H], 'f32');
  const dh = ih ?? empty(dev, [B, H], 'f32');
  const fp: GruFinishParams = { rows: B, H, acc: (ig ? 1 : 0) | (ib ? 2 : 0) | (ih ? 4 : 0), box: ad && { off: ad.offset, row: ad.rowStride } };
  dev.run('gru_finish', ad ? [dpx, saved.pre, saved.aux, dhm, ad.x] : [dpx, saved.pre, saved.aux, dhm], [dgamma, dbeta, dh], fp);
  if (weights) dpre.dispose();
  dpx.dispose();
  dhm.dispose();
  return { dx, dh, dWx, dWh, dgamma, dbeta, dpre: weights ? null : dpre };
}
