import { assertDType } from '../core/dtype.js';
import { fmt, sizeOf, stridesOf, type Shape } from '../core/shape.js';
import { empty, storageBytes, type Tensor } from '../core/tensor.js';
import { MAX_RANK, pad6, simplify } from './strides.js';
import './strided-kernel.js';
import { copyMany } from './many.js';
import type { ConcatU8Params, CopyParams, PadParams, SliceAddParams, StridedParams } from './strided-kernel.js';

/** Throws unless the tensor's rank fits the layout kernels (6). */
export function checkRank(op: string, what: string, rank: number): void {
  if (rank > MAX_RANK) throw new Error(`${op}: ${what} must have rank <= ${MAX_RANK}, got rank ${rank}`);
}

/** Throws the runtime's use-after-dispose error (naming op) before anything is allocated. */
export function live(op: string, ...ts: Tensor[]): void {
  for (const t of ts) t.storage(op);
}

/** Normalises one possibly negative axis against a rank. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`${op}: axis must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}, got ${axis}`);
  }
  return axis < 0 ? axis + rank : axis;
}

function checkList(op: string, what: string, xs: readonly number[], rank: number): void {
  if (!Array.isArray(xs) || xs.length !== rank || !xs.every(Number.isInteger)) {
    throw new Error(`${op}: ${what} must be ${rank} integers (one per axis), got ${Array.isArray(xs) ? fmt(xs) : String(xs)}`);
  }
}

/**
 * Records y[ooff + c.os] = x[ioff + c.is] over the coordinates c of dims (row-major), after merging axes.
 * For u8 the destination must be the whole of y in row-major order.
 */
function strided(x: Tensor, y: Tensor, dims: readonly number[], is: readonly number[], os: readonly number[], ioff = 0, ooff = 0): void {
  const n = sizeOf(dims);
  if (n === 0) return;
  const s = simplify(dims, is, os);
  const p: StridedParams = {
    n,
    ioff,
    ooff,
    dims: pad6(s.dims, 1),
    is: pad6(s.is, 0),
    os: pad6(s.os, 0),
    u8: x.dtype === 'u8',
  };
  x.device.run('layout_strided', [x], [y], p);
}

/** y = x with its axes reordered: y.shape[k] = x.shape[perm[k]]. Rank <= 6, any dtype. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const op = 'permute';
  live(op, x);
  checkRank(op, 'x', x.rank);
  const r = x.rank;
  if (!Array.isArray(perm) || perm.length !== r || !perm.every((p) => Number.isInteger(p) && p >= 0 && p < r) || new Set(perm).size !== r) {
    throw new Error(`${op}: perm must be a permutation of 0..${r - 1} for x of shape ${fmt(x.shape)}, got ${Array.isArray(perm) ? fmt(perm) : String(perm)}`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const y = empty(x.device, shape, x.dtype);
  const xs = stridesOf(x.shape);
  strided(x, y, shape, perm.map((p) => xs[p]), stridesOf(shape));
  return y;
}

/** Swaps the last two axes (rank >= 2). */
export function transpose(x: Tensor): Tensor {
  if (x.rank < 2) throw new Error(`transpose: x must have rank >= 2, got shape ${fmt(x.shape)}`);
  const perm = [...x.shape.keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return permute(x, perm);
}

/** Resolves slice arguments to concrete sizes; throws when the box leaves x. */
function sliceBox(op: string, shape: Shape, begin: readonly number[], size: readonly number[]): number[] {
  checkList(op, 'begin', begin, shape.length);
  checkList(op, 'size', size, shape.length);
  return shape.map((d, k) => {
    const b = begin[k];
    if (b < 0 || b > d) throw new Error(`${op}: begin[${k}] must be in [0, ${d}] for shape ${fmt(shape)}, got ${b}`);
    const s = size[k] === -1 ? d - b : size[k];
    if (s < 0 || b + s > d) {
      throw new Error(`${op}: size[${k}] must be -1 or in [0, ${d - b}] (begin ${b}, dim ${d}) for shape ${fmt(shape)}, got ${size[k]}`);
    }
    return s;
  });
}

/** The box x[begin : begin + size] (size -1 = to the end of that axis). Rank <= 6, any dtype. */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const op = 'slice';
  live(op, x);
  checkRank(op, 'x', x.rank);
  const sz = sliceBox(op, x.shape, begin, size);
  const y = empty(x.device, sz, x.dtype);
  const xs = stridesOf(x.shape);
  const ioff = begin.reduce((acc, b, k) => acc + b * xs[k], 0);
  strided(x, y, sz, xs, stridesOf(sz), sizeOf(sz) === 0 ? 0 : ioff);
  return y;
}

/**
 * a + x[begin : begin + a.shape]: a slice of x added to a in one dispatch (f32), bit-identical to
 * add(a, slice(x, begin, a.shape)). Autograd uses it to add a slice of one gradient into another without
 * copying the slice out first.
 */
export function sliceAdd(a: Tensor, x: Tensor, begin: readonly number[]): Tensor {
  const op = 'sliceAdd';
  live(op, a, x);
  assertDType(op, 'a', 'f32', a.dtype);
  assertDType(op, 'x', 'f32', x.dtype);
  if (a.device !== x.device) throw new Error(`${op}: a is on ${a.device.label}, x on ${x.device.label}`);
  checkRank(op, 'x', x.rank);
  if (a.rank !== x.rank) throw new Error(`${op}: a must have rank ${x.rank} (that of x ${fmt(x.shape)}), got shape ${fmt(a.shape)}`);
  sliceBox(op, x.shape, begin, a.shape);
  const y = empty(a.device, a.shape, 'f32');
  const n = y.size;
  if (n === 0) return y;
  const xs = stridesOf(x.shape);
  // Merge axes over which both x's strides and a's row-major order are contiguous (a's are the "output" ones).
  const s = simplify(a.shape, xs, stridesOf(a.shape));
  const p: SliceAddParams = { n, ioff: begin.reduce((acc, b, k) => acc + b * xs[k], 0), dims: pad6(s.dims, 1), is: pad6(s.is, 0) };
  a.device.run('layout_slice_add', [a, x], [y], p);
  return y;
}

/** The gradient of slice: zeros of inputShape with dy placed at begin (f32 or i32; one dispatch). */
export function sliceBackward(dy: Tensor, inputShape: readonly number[], begin: readonly number[]): Tensor {
  const op = 'sliceBackward';
  live(op, dy);
  assertDType(op, 'dy', ['f32', 'i32'], dy.dtype);
  if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: inputShape must hold non-negative integers, got ${Array.isArray(inputShape) ? fmt(inputShape) : String(inputShape)}`);
  }
  checkRank(op, 'inputShape', inputShape.length);
  if (dy.rank !== inputShape.length) {
    throw new Error(`${op}: dy must have rank ${inputShape.length} (that of inputShape ${fmt(inputShape)}), got shape ${fmt(dy.shape)}`);
  }
  sliceBox(op, inputShape, begin, dy.shape);
  const dx = empty(dy.device, inputShape, dy.dtype);
  const n = dx.size;
  if (n === 0) return dx;
  const p: PadParams = {
    n,
    dims: pad6(inputShape, 1),
    lo: pad6(begin, 0),
    sz: pad6(dy.shape, 1),
    is: pad6(stridesOf(dy.shape), 0),
  };
  dy.device.run('layout_pad', [dy], [dx], p);
  return dx;
}

/** NumPy-style broadcast of x to shape (x's dims must equal the target's or be 1). Rank <= 6, any dtype. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'broadcastTo';
  live(op, x);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: shape must hold non-negative integers, got ${Array.isArray(shape) ? fmt(shape) : String(shape)}`);
  }
  checkRank(op, 'shape', shape.length);
  const lead = shape.length - x.rank;
  const bad = lead < 0 || x.shape.some((d, k) => d !== 1 && d !== shape[lead + k]);
  if (bad) throw new Error(`${op}: x of shape ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
  const xs = stridesOf(x.shape);
  const is = shape.map((d, k) => (k < lead || x.shape[k - lead] === 1 ? 0 : xs[k - lead]));
  const y = empty(x.device, shape, x.dtype);
  strided(x, y, shape, is, stridesOf(shape));
  return y;
}

/** Joins tensors of one dtype along axis (negative counts from the end); one dispatch per non-empty input. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`${op}: xs must be a non-empty array of tensors, got ${Array.isArray(xs) ? '[]' : String(xs)}`);
  const list: readonly Tensor[] = xs;
  const first = list[0];
  const ax = normAxis(op, axis, first.rank);
  list.forEach((t, i) => {
    live(op, t);
    if (t.device !== first.device) throw new Error(`${op}: xs[${i}] is on ${t.device.label}, expected ${first.device.label} (that of xs[0])`);
    assertDType(op, `xs[${i}]`, first.dtype, t.dtype);
    const ok = t.rank === first.rank && t.shape.every((d, k) => k === ax || d === first.shape[k]);
    if (!ok) {
      const want = `[${first.shape.map((d, k) => (k === ax ? '*' : d)).join(',')}]`;
      throw new Error(`${op}: xs[${i}] must have shape ${want} (rank ${first.rank}, all axes but ${ax} as in xs[0]), got ${fmt(t.shape)}`);
    }
  });
  const A = list.reduce((acc, t) => acc + t.shape[ax], 0);
  const shape = first.shape.map((d, k) => (k === ax ? A : d));
  const y = empty(first.device, shape, first.dtype);
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  if (first.dtype !== 'u8') {
    // Up to 7 inputs per dispatch: input j is `outer` rows of len_j * inner words at column off_j * inner.
    let at = 0;
    const parts = list.map((t) => {
      const q = { t, c: t.shape[ax] * inner, o: at * inner };
      at += t.shape[ax];
      return q;
    });
    if (outer > 0 && inner > 0) copyMany(y, parts, A * inner, true);
    return y;
  }
  // u8 (packed 4 per word): one dispatch per input.
  let off = 0;
  for (const t of list) {
    const len = t.shape[ax];
    if (t.size > 0) {
      const p: ConcatU8Params = { n: y.size, inner, A, off, len };
      t.device.run('layout_concat_u8', [t], [y], p);
    }
    off += len;
  }
  return y;
}

/** A new tensor with x's shape, dtype and data (one dispatch). */
/**
 * Copies src's elements into the existing tensor dst (same shape and dtype), e.g. a slow target network's
 * parameters from the online network's. One dispatch, recorded like any op (no wait).
 */
export function copyInto(dst: Tensor, src: Tensor): void {
  live('copyInto', src);
  live('copyInto', dst);
  if (dst.device !== src.device) throw new Error(`copyInto: dst is on ${dst.device.label}, src on ${src.device.label}`);
  if (dst.dtype !== src.dtype) throw new Error(`copyInto: dst has dtype ${dst.dtype}, src has ${src.dtype}`);
  if (dst.shape.length !== src.shape.length || dst.shape.some((d, i) => d !== src.shape[i])) {
    throw new Error(`copyInto: dst has shape [${dst.shape.join(',')}], src has [${src.shape.join(',')}]`);
  }
  if (src.size === 0) return;
  const p: CopyParams = { n: src.size, words: storageBytes(src.dtype, src.size) / 4 };
  src.device.run('layout_copy', [src], [dst], p);
}

export function copy(x: Tensor): Tensor {
  live('copy', x);
  const y = empty(x.device, x.shape, x.dtype);
  if (x.size === 0) return y;
  const p: CopyParams = { n: x.size, words: storageBytes(x.dtype, x.size) / 4 };
  x.device.run('layout_copy', [x], [y], p);
  return y;
}

