import type { TypedArray } from '../core/dtype.js';
import { registerKernel, type UniformField } from '../core/registry.js';
import { fmt, stridesOf, type Shape } from '../core/shape.js';
import { grid1d } from '../webgpu/grid.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import reduceSource from './reduce.wgsl';

const source = ieeeSource + reduceSource;

export type ReduceOp = 'sum' | 'max' | 'min';
const OP_CODE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };
export const REDUCE_INIT: Record<ReduceOp, number> = { sum: 0, max: -Infinity, min: Infinity };

/** Threads per workgroup (one output or one split of an output each). */
export const WG = 64;

/**
 * A reduction after merging dims: kept groups and reduced groups, each outermost first as [dim, stride].
 * nout = product of kept dims, r = product of reduced dims.
 */
export interface ReduceLayout {
  nout: number;
  r: number;
  kept: [number, number][];
  red: [number, number][];
}

/** Merges adjacent dims of the same kind (size-1 dims dropped) into alternating kept/reduced groups. */
export function reduceLayout(op: string, shape: Shape, axes: readonly number[]): ReduceLayout {
  const strides = stridesOf(shape);
  const kept: [number, number][] = [];
  const red: [number, number][] = [];
  let last: [number, number][] | null = null;
  let nout = 1;
  let r = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    const isRed = axes.includes(i);
    if (isRed) r *= d;
    else nout *= d;
    if (d === 1) continue;
    const list = isRed ? red : kept;
    if (last === list) {
      const g = list[list.length - 1];
      g[0] *= d;
      g[1] = strides[i];
    } else {
      list.push([d, strides[i]]);
      last = list;
    }
  }
  if (kept.length > 3 || red.length > 3) {
    throw new Error(
      `${op}: reducing axes [${axes.join(',')}] of shape ${fmt(shape)} needs at most 3 separate groups of adjacent ` +
        `kept and of reduced dims, got ${kept.length} kept and ${red.length} reduced`,
    );
  }
  return { nout, r, kept, red };
}

export interface ReduceParams {
  op: ReduceOp;
  layout: ReduceLayout;
  /** Threads per output; output o, split s goes to slot o * nsplit + s (partials when nsplit > 1). */
  nsplit: number;
  /** Multiplies sums (1 / r for a mean, 1 for partials). */
  scale: number;
  /** nsplit 1 only: Y[o] += the result (rounded to f32 first, as add would) instead of Y[o] = it. */
  accumulate?: boolean;
}

/** Whether the split index varies fastest across threads (when reduced elements are contiguous). */
export function splitInner(l: ReduceLayout): boolean {
  return l.red.length > 0 && l.red[l.red.length - 1][1] === 1;
}

/** Flat input offset of the first reduced element of output o (CPU reference). */
function keptBase(l: ReduceLayout, o: number): number {
  let off = 0;
  for (let g = l.kept.length - 1; g >= 0; g--) {
    const [d, s] = l.kept[g];
    off += (o % d) * s;
    o = Math.floor(o / d);
  }
  return off;
}

/** Offsets of the reduced elements from an output's base, in reduced-index order (CPU reference). */
function redOffsets(l: ReduceLayout): Int32Array {
  const offs = new Int32Array(l.r);
  for (let j = 0; j < l.r; j++) {
    let q = j;
    let off = 0;
    for (let g = l.red.length - 1; g >= 0; g--) {
      const [d, s] = l.red[g];
      off += (q % d) * s;
      q = Math.floor(q / d);
    }
    offs[j] = off;
  }
  return offs;
}

registerKernel({
  name: 'reduce',
  backend: 'cpu',
  run([x], [y], p: ReduceParams) {
    const l = p.layout;
    const offs = redOffsets(l);
    const comb = p.op === 'sum' ? (a: number, b: number) => a + b : p.op === 'max' ? Math.max : Math.min;
    const S = p.nsplit;
    for (let o = 0; o < l.nout; o++) {
      const base = keptBase(l, o);
      for (let s = 0; s < S; s++) {
        let acc = REDUCE_INIT[p.op];
        for (let j = s; j < l.r; j += S) acc = comb(acc, x[base + offs[j]]);
        const v = p.op === 'sum' ? acc * p.scale : acc;
        y[o * S + s] = p.accumulate ? y[o * S + s] + Math.fround(v) : v;
      }
    }
  },
});

registerKernel({
  name: 'reduce',
  backend: 'webgpu',
  source,
  constants: (p: ReduceParams) => ({ OP: OP_CODE[p.op], WG }),
  uniforms: (p: ReduceParams) => {
    const l = p.layout;
    const k = [...l.kept].reverse(); // innermost first
    const rd = [...l.red].reverse();
    while (rd.length < 3) rd.push([1, 0]);
    const u = (v: number): UniformField => ['u32', v];
    return [
      u(l.nout),
      u(l.r),
      u(p.nsplit),
      u(splitInner(l) ? 1 : 0),
      u(Math.max(1, k.length)),
      u(k[0]?.[0] ?? 1),
      u(k[1]?.[0] ?? 1),
      u(k[0]?.[1] ?? 0),
      u(k[1]?.[1] ?? 0),
      u(k[k.length - 1]?.[1] ?? 0),
      u(Math.max(1, l.red.length)),
      u(rd[0][0]),
      u(rd[1][0]),
      u(rd[2][0]),
      u(rd[0][1]),
      u(rd[1][1]),
      u(rd[2][1]),
      ['f32', REDUCE_INIT[p.op]],
      ['f32', p.scale],
      u(p.accumulate ? 1 : 0),
    ];
  },
  dispatch: (p: ReduceParams) => grid1d(p.layout.nout * p.nsplit, WG),
});
