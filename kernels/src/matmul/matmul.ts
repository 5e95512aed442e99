import { assertDType } from '../core/dtype.js';
import { fmt } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { MAX_BATCH_DIMS, type MatmulParams, type MatmulVariant } from './matmul-kernel.js';
import './matmul-kernel.js';

export interface MatmulOptions {
  /** a is [..., K, M] (use its transpose). */
  transA?: boolean;
  /** b is [..., N, K] (use its transpose). */
  transB?: boolean;
  /** [N], added to every row of the result. */
  bias?: Tensor;
}

/** @internal tests and benchmarks: force a WGSL variant. */
export interface MatmulInternalOptions extends MatmulOptions {
  variant?: MatmulVariant;
}

/**
 * C = op(a) @ op(b) (+ bias), op = identity or transpose of the last two dims.
 * a is [...batchA, M, K] ([..., K, M] with transA), b is [...batchB, K, N] ([..., N, K] with transB); the batch
 * dims broadcast NumPy-style (a rank-2 operand is shared by every batch). The result is f32 [...batch, M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  const { transA = false, transB = false, bias } = opts;
  assertDType(op, 'a', 'f32', a.dtype);
  assertDType(op, 'b', 'f32', b.dtype);
  a.storage(op);
  b.storage(op);
  if (a.device !== b.device) throw new Error(`${op}: a and b are on different devices (${a.device.label} vs ${b.device.label})`);
  if (a.rank < 2) throw new Error(`${op}: a must have rank >= 2 ([..., M, K]), got ${fmt(a.shape)}`);
  if (b.rank < 2) throw new Error(`${op}: b must have rank >= 2 ([..., K, N]), got ${fmt(b.shape)}`);
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [M, K] = transA ? [a1, a0] : [a0, a1];
  const [Kb, N] = transB ? [b1, b0] : [b0, b1];
  if (K !== Kb) {
    const ta = transA ? ' (transA)' : '';
    const tb = transB ? ' (transB)' : '';
    throw new Error(`${op}: inner dims differ: a is ${fmt(a.shape)}${ta}, b is ${fmt(b.shape)}${tb} (K=${K} vs ${Kb})`);
  }
  if (bias) {
    assertDType(op, 'bias', 'f32', bias.dtype);
    bias.storage(op);
    if (bias.device !== a.device) throw new Error(`${op}: bias is on a different device (${bias.device.label} vs ${a.device.label})`);
    if (bias.rank !== 1 || bias.shape[0] !== N) throw new Error(`${op}: bias must have shape [${N}], got ${fmt(bias.shape)}`);
  }

  // Batch dims: broadcast, then collapse runs with the same broadcast pattern into at most MAX_BATCH_DIMS dims.
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const outBatch: number[] = [];
  const dims: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  let strideA = M * K;
  let strideB = K * N;
  const da = (i: number) => ba[ba.length - nb + i] ?? 1;
  const db = (i: number) => bb[bb.length - nb + i] ?? 1;
  for (let i = 0; i < nb; i++) {
    if (da(i) !== db(i) && da(i) !== 1 && db(i) !== 1) {
      throw new Error(`${op}: batch dims do not broadcast: a is ${fmt(a.shape)}, b is ${fmt(b.shape)} (${fmt(ba)} vs ${fmt(bb)})`);
    }
    outBatch.push(Math.max(da(i), db(i)) === 1 ? 1 : da(i) === 1 ? db(i) : da(i));
  }
  // innermost to outermost
  for (let i = nb - 1; i >= 0; i--) {
    const d = outBatch[i];
    const s1 = da(i) === 1 ? 0 : strideA;
    const s2 = db(i) === 1 ? 0 : strideB;
    strideA *= da(i);
    strideB *= db(i);
    if (d === 1) continue;
    const j = dims.length - 1;
    // merge into the previous (inner) collapsed dim when this one continues it contiguously
    if (j >= 0 && s1 === sa[j] * dims[j] && s2 === sb[j] * dims[j]) {
      dims[j] *= d;
    } else {
      dims.push(d);
      sa.push(s1);
      sb.push(s2);
    }
  }
  if (dims.length > MAX_BATCH_DIMS) {
    throw new Error(
      `${op}: batch broadcasting of a ${fmt(a.shape)} and b ${fmt(b.shape)} needs ${dims.length} strided dims; at most ${MAX_BATCH_DIMS} are supported (reshape first)`,
    );
  }
  const batch = dims.reduce((x, y) => x * y, 1);
  const out = empty(a.device, [...outBatch, M, N], 'f32');
  if (out.size === 0) return out;

  let params: MatmulParams;
  const internal = opts as MatmulInternalOptions;
  if (!transA && dims.length === 1 && sb[0] === 0 && sa[0] === M * K) {
    // b is shared by every batch and a is contiguous: one [batch*M, K] @ [K, N] product.
    params = plain(batch * M, N, K, 1, transA, transB, [], [], [], !!bias, internal.variant);
  } else {
    params = plain(M, N, K, batch, transA, transB, dims.reverse(), sa.reverse(), sb.reverse(), !!bias, internal.variant);
  }
  a.device.run('matmul', [a, b, bias ?? a], [out], params);
  return out;
}

function plain(
  M: number,
  N: number,
  K: number,
  batch: number,
  transA: boolean,
  transB: boolean,
  dims: number[],
  sa: number[],
  sb: number[],
  hasBias: boolean,
  variant: MatmulVariant | undefined,
): MatmulParams {
  const pad = MAX_BATCH_DIMS - dims.length;
  const p: MatmulParams = {
    M,
    N,
    K,
    batch,
    transA,
    transB,
    sAm: transA ? 1 : K,
    sAk: transA ? M : 1,
    sBk: transB ? 1 : N,
    sBn: transB ? K : 1,
    dims: [...Array<number>(pad).fill(1), ...dims],
    sa: [...Array<number>(pad).fill(0), ...sa],
    sb: [...Array<number>(pad).fill(0), ...sb],
    hasBias,
  };
  if (variant) p.variant = variant;
  return p;
}
