/**
 * Host-side index arithmetic shared by the layout ops (and so by both backends): the strided-copy problem is
 * simplified (size-1 axes dropped, axes that are contiguous in both source and destination merged) and then
 * padded to the kernels' fixed rank of 6.
 */
export const MAX_RANK = 6;

export interface StridedProblem {
  dims: number[];
  is: number[];
  os: number[];
}

/** Drops size-1 axes and merges axis k into k+1 when both strides are contiguous across them. */
export function simplify(dims: readonly number[], is: readonly number[], os: readonly number[]): StridedProblem {
  const d: number[] = [];
  const s: number[] = [];
  const o: number[] = [];
  for (let k = 0; k < dims.length; k++) {
    if (dims[k] === 1) continue;
    const last = d.length - 1;
    if (last >= 0 && s[last] === is[k] * dims[k] && o[last] === os[k] * dims[k]) {
      d[last] *= dims[k];
      s[last] = is[k];
      o[last] = os[k];
    } else {
      d.push(dims[k]);
      s.push(is[k]);
      o.push(os[k]);
    }
  }
  return { dims: d, is: s, os: o };
}

/** Left-pads a per-axis list to MAX_RANK entries with `fill`. */
export function pad6(xs: readonly number[], fill: number): number[] {
  if (xs.length > MAX_RANK) throw new Error(`internal: ${xs.length} axes exceed the kernel rank ${MAX_RANK}`);
  return [...new Array<number>(MAX_RANK - xs.length).fill(fill), ...xs];
}

