import * as K from '@twist/kernels';
import { defineOp, type BoxAddend } from '../op.js';
import type { Var } from '../var.js';
import { reduceTo } from './elementwise.js';
import { fmt } from '../util.js';

interface MatmulParams {
  transA: boolean;
  transB: boolean;
}

/**
 * y = op(A) @ op(B) (+ bias), op = identity or transpose of the last two axes, batch dims broadcast.
 * Backward (dy = dL/dy), for y = A B:      dA = dy B^T,   dB = A^T dy
 *                      for y = A^T B:    dA = B dy^T,   dB = A dy
 *                      for y = A B^T:    dA = dy B,     dB = dy^T A
 *                      for y = A^T B^T:  dA = B^T dy^T, dB = dy^T A^T
 * each reduced over broadcast batch dims; dbias = sum of dy over all rows.
 */
const matmulOp = defineOp<MatmulParams>('matmul', {
  forward: ([a, b, bias], p) => ({ y: K.matmul(a, b, { transA: p.transA, transB: p.transB, bias }) }),
  backward: (dy, { inputs: [a, b, bias], params, needs, acc, accBox, defer }) => {
    // B's (and the bias's) term a^T dy held back to be summed over all uses (a 2-D product only)
    const plain = !params.transA && !params.transB && a.rank === 2 && dy.rank === 2;
    const terms = needs[1] && plain ? [{ input: 1, x: a }, ...(bias && needs[2] ? [{ input: 2, x: null }] : [])] : [];
    const held = terms.length > 0 && defer.defer(dy, terms);
    const [ga, gb] = matmulGrads(dy, a, b, params, held ? [needs[0], false] : needs, acc, accBox);
    return [ga, gb, bias && needs[2] && !held ? biasGrad(dy, bias, acc[2]) : null];
  },
});

/** The product's own batch dims equal dy's (none summed away), so its gradient can go straight into acc. */
const fullBatch = (t: K.Tensor, dy: K.Tensor) => t.rank === dy.rank && t.shape.every((d, i) => i >= t.rank - 2 || d === dy.shape[i]);

/**
 * dA and dB of y = op(A) op(B) (see matmulOp), each added into acc[i] in place (one accumulating matmul) when
 * given and no batch dims are summed away, or with the box accBox[i] as the matmul's addend (2-D only), else
 * new tensors.
 */
function matmulGrads(
  dy: K.Tensor,
  a: K.Tensor,
  b: K.Tensor,
  { transA, transB }: MatmulParams,
  needs: boolean[],
  acc: (K.Tensor | null)[],
  accBox: (BoxAddend | null)[] = [],
): (K.Tensor | null)[] {
  const into = (i: number, t: K.Tensor): K.MatmulOptions => {
    if (acc[i] && fullBatch(t, dy)) return { out: acc[i]!, accumulate: true };
    const box = accBox[i];
    if (box && t.rank === 2 && dy.rank === 2) {
      box.used = true;
      return { addend: { x: box.x, offset: box.offset, rowStride: box.rowStride } };
    }
    return {};
  };
  const ga = needs[0]
    ? K.scope(() => {
        const o = into(0, a);
        const g = !transA ? K.matmul(dy, b, { transB: !transB, ...o }) : K.matmul(b, dy, { transA: transB, transB: true, ...o });
        return o.out || o.addend ? g : reduceTo(g, a.shape);
      })
    : null;
  const gb = needs[1]
    ? K.scope(() => {
        const o = into(1, b);
        const g = !transB ? K.matmul(a, dy, { transA: !transA, ...o }) : K.matmul(dy, a, { transA: true, transB: transA, ...o });
        return o.out || o.addend ? g : reduceTo(g, b.shape);
      })
    : null;
  return [ga, gb];
}

/** dbias = sum of dy over all rows, added into acc in place when given (and a sum is needed), else new. */
function biasGrad(dy: K.Tensor, bias: K.Tensor, acc: K.Tensor | null): K.Tensor {
  if (acc && K.addSumTo(acc, dy)) return acc;
  return K.sumTo(dy, bias.shape);
}

export function matmul(a: Var, b: Var, opts: { transA?: boolean; transB?: boolean; bias?: Var | null } = {}): Var {
  const p = { transA: !!opts.transA, transB: !!opts.transB };
  return matmulOp(opts.bias ? [a, b, opts.bias] : [a, b], p);
}


/**
 * Rows up to which the activation's and the bias's gradients take one fused kernel (matmulActGrad): its column
 * sums run in few workgroups, so beyond about a thousand rows the two plain kernels are faster on software
 * Vulkan (measured on lavapipe: [3840, 256] ~8 ms fused against ~6 ms, [800, 256] about equal, [256, 256] fused
 * faster).
 */
const FUSED_BIAS_GRAD_MAX = 1024;

/** What the fused linear op adds before its activation: nothing, a bias vector, or a box of another tensor. */
interface LinearParams {
  act: K.MatmulAct;
  /**
   * the third input: 'bias' [N], or 'addend' (a box of size [rows, 1, ..., 1, N] at begin, see linear; its
   * gradient a piece), or 'whole' (an addend that is all of its tensor: a dense gradient)
   */
  extra: 'none' | 'bias' | 'addend' | 'whole';
  begin: number[];
  size: number[];
  offset: number;
  rowStride: number;
}

/**
 * y = act(x W + b): one matmul whose epilogue adds the bias (or the addend box) and applies the activation, so
 * the pre-activation is kept for the backward (what the unfused matmul + unary keep too).
 * Backward, for dy = dL/dy:  dpre = dy * act'(pre)   (with the bias gradient db = sum of dpre over rows, in the
 *                            same dispatch: matmulActGrad)
 *                            dx = dpre W^T,  dW = x^T dpre  (matmulGrads: added in place into gradients so far)
 *                            d(addend box) = dpre, kept as a piece of the addend's gradient (Rule.piece).
 */
const linearOp = defineOp<LinearParams, K.Tensor | null>('linear', {
  forward: ([x, w, extra], p) => {
    const opts = p.extra === 'bias' ? { bias: extra } : p.extra === 'none' ? {} : { addend: { x: extra, offset: p.offset, rowStride: p.rowStride } };
    if (p.act === 'none') return { y: K.matmul(x, w, opts), saved: null };
    const { y, pre } = K.matmulAct(x, w, { ...opts, act: p.act });
    return { y, saved: pre };
  },
  backward: (dy, { inputs: [x, w, extra], saved: pre, params: p, needs, acc, accBox, defer }) => {
    const wantBias = p.extra === 'bias' && needs[2];
    // W's (and the bias's) terms x^T dpre held back to be summed over all uses (Deferral)
    const terms = needs[1] ? [1, ...(wantBias ? [2] : [])] : [];
    const held = terms.length > 0 && defer.deferrable(terms, dy.size / Math.max(1, dy.shape[dy.shape.length - 1]));
    const biasNow = wantBias && !held;
    let dpre: K.Tensor;
    let dextra: K.Tensor | null = null;
    if (p.act === 'none') {
      dpre = dy.reshape(dy.shape);
      if (biasNow) dextra = biasGrad(dy, extra, acc[2]);
    } else if (biasNow && dy.size <= FUSED_BIAS_GRAD_MAX * dy.shape[dy.shape.length - 1]) {
      const r = K.matmulActGrad(dy, pre!, p.act, acc[2]);
      dpre = r.dpre;
      dextra = r.dbias;
    } else {
      dpre = K.unaryGrad(pre!, dy, p.act, 1);
      if (biasNow) dextra = biasGrad(dpre, extra, acc[2]);
    }
    if (held) defer.defer(dpre, terms.map((input) => ({ input, x: input === 1 ? x : null })));
    const [dx, dw] = matmulGrads(dpre, x, w, { transA: false, transB: false }, held ? [needs[0], false] : needs, acc, accBox);
    if ((p.extra === 'addend' || p.extra === 'whole') && needs[2]) dextra = dpre.reshape(p.size);
    dpre.dispose();
    return [dx, dw, dextra];
  },
  piece: (p) => (p.extra === 'addend' ? { input: 2, begin: p.begin, shape: p.size, fromBackward: true } : null),
});

export interface LinearOptions {
  bias?: Var | null;
  /**
   * Added instead of a bias: the box of `x` at `begin` of size [rows, 1, ..., 1, N] (rows and N those of the
   * product, e.g. the time step t of an [rows, T, N] tensor: begin [0, t, 0], size [rows, 1, N]); its gradient
   * is kept as a piece, as a slice's is.
   */
  addend?: { x: Var; begin: readonly number[] };
  act?: K.MatmulAct;
}

/**
 * y = act(x W + bias) for x [rows, K], W [K, N] in one dispatch (forward) and two to three (backward: the
 * activation's and bias's gradients in one, then dx and dW), the same values as matmul then the activation.
 */
export function linear(x: Var, w: Var, opts: LinearOptions = {}): Var {
  const op = 'linear';
  const act = opts.act ?? 'none';
  if (!K.MATMUL_ACTS.includes(act)) throw new Error(`${op}: act must be one of ${K.MATMUL_ACTS.join(', ')}, got '${String(act)}'`);
  if (x.shape.length !== 2 || w.shape.length !== 2) throw new Error(`${op}: x and w must have rank 2 ([rows, K], [K, N]), got ${fmt(x.shape)} and ${fmt(w.shape)}`);
  const [rows] = x.shape;
  const N = w.shape[1];
  const base = { act, begin: [] as number[], size: [] as number[], offset: 0, rowStride: 0 };
  if (opts.bias && opts.addend) throw new Error(`${op}: give a bias or an addend, not both`);
  if (opts.bias) return linearOp([x, w, opts.bias], { ...base, extra: 'bias' });
  if (!opts.addend) return linearOp([x, w], { ...base, extra: 'none' });
  const { x: d, begin } = opts.addend;
  const r = d.shape.length;
  const size = d.shape.map((_, k) => (k === 0 ? rows : k === r - 1 ? N : 1));
  const ok = r >= 2 && begin.length === r && begin.every((b, k) => Number.isInteger(b) && b >= 0 && b + size[k] <= d.shape[k]);
  if (!ok) throw new Error(`${op}: the addend box of size ${fmt(size)} at ${fmt(begin)} must lie inside the addend ${fmt(d.shape)}`);
  const strides = K.stridesOf(d.shape);
  const offset = begin.reduce((a, b, k) => a + b * strides[k], 0);
  // A box that is the whole tensor gets a dense gradient (a piece would cost a copy when assembled).
  const whole = size.every((n, k) => n === d.shape[k]);
  return linearOp([x, w, d], { ...base, extra: whole ? 'whole' : 'addend', begin: [...begin], size, offset, rowStride: strides[0] });
}
