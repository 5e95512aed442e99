/**
 * Broadcast indexing shared by the binary and where kernels: the output shape and, per input, the element
 * stride of each output dim (0 where the input is broadcast). Size-1 output dims are dropped and adjacent dims
 * that every input walks contiguously are merged, so `[B,T,C] + [C]` becomes dims `[B*T, C]` with strides
 * `[C,1]` and `[0,1]`, and same-shape operands become one flat dim (no index arithmetic in the shader).
 */
import { fmt, stridesOf, type Shape } from '../core/shape.js';

/** Most dims a broadcast kernel indexes after merging. */
export const MAX_RANK = 6;

export interface Broadcast {
  /** Output elements. */
  n: number;
  /** Merged output dims, outermost first (at least one). */
  dims: number[];
  /** strides[k][d]: element stride of input k along merged dim d (0 = broadcast). */
  strides: number[][];
}

export function collapseBroadcast(op: string, out: Shape, inputs: readonly Shape[]): Broadcast {
  const n = out.length;
  const full = inputs.map((s) => {
    const padded = [...new Array<number>(n - s.length).fill(1), ...s];
    const cs = stridesOf(padded);
    return padded.map((d, i) => (d === 1 ? 0 : cs[i]));
  });
  const dims: number[] = [];
  const strides: number[][] = inputs.map(() => []);
  for (let i = 0; i < n; i++) {
    if (out[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && full.every((s, k) => strides[k][last] === s[i] * out[i])) {
      dims[last] *= out[i];
      strides.forEach((ss, k) => (ss[last] = full[k][i]));
    } else {
      dims.push(out[i]);
      strides.forEach((ss, k) => ss.push(full[k][i]));
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    strides.forEach((ss) => ss.push(0));
  }
  if (dims.length > MAX_RANK) {
    throw new Error(
      `${op}: broadcasting ${inputs.map(fmt).join(' and ')} needs at most ${MAX_RANK} dims after merging, got ${dims.length}`,
    );
  }
  let size = 1;
  for (const d of out) size *= d;
  return { n: size, dims, strides };
}

/**
 * Uniform fields describing a broadcast for the shaders: rank, then each input's stride along the outermost
 * merged dim, then the inner dims innermost first (padded to MAX_RANK - 1 with 1), then per input its inner
 * strides innermost first (padded with 0). The shader peels inner coordinates off the flat index with one
 * division per inner dim and multiplies what is left by the outer stride.
 */
export function broadcastFields(b: Broadcast): { rank: number; outer: number[]; inner: number[]; innerStrides: number[][] } {
  const r = b.dims.length;
  const inner: number[] = [];
  const innerStrides: number[][] = b.strides.map(() => []);
  for (let k = 0; k < MAX_RANK - 1; k++) {
    const d = r - 1 - k; // merged dim index, innermost first; d = 0 is the outer dim
    inner.push(d >= 1 ? b.dims[d] : 1);
    b.strides.forEach((s, j) => innerStrides[j].push(d >= 1 ? s[d] : 0));
  }
  return { rank: r, outer: b.strides.map((s) => s[0]), inner, innerStrides };
}

/**
 * Calls fn(i, offsets) for every output element i in order, with the flat offset of each input (the CPU
 * reference's indexing: an odometer over the merged dims, independent of the shader's division scheme).
 * `offsets` is reused between calls.
 */
export function forEachOffset(b: Broadcast, fn: (i: number, offsets: number[]) => void): void {
  const r = b.dims.length;
  const coord = new Array<number>(r).fill(0);
  const off = b.strides.map(() => 0);
  for (let i = 0; i < b.n; i++) {
    fn(i, off);
    for (let d = r - 1; d >= 0; d--) {
      coord[d]++;
      for (let k = 0; k < off.length; k++) off[k] += b.strides[k][d];
      if (coord[d] < b.dims[d] || d === 0) break;
      for (let k = 0; k < off.length; k++) off[k] -= b.strides[k][d] * b.dims[d];
      coord[d] = 0;
    }
  }
}
