import type { TypedArray } from '../core/dtype.js';
import { registerKernel, type UniformField } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import { WG } from './reduce-kernel.js';
import softmaxSource from './softmax.wgsl';
import softmaxGradSource from './softmax-grad.wgsl';

/**
 * Rows are the last axis: [rows, len]. `log`: log-softmax (forward) or its backward, else softmax.
 * `nsplit`: threads per row for the _stats/_apply pair (1 for _row).
 */
export interface SoftmaxParams {
  log: boolean;
  rows: number;
  len: number;
  nsplit: number;
}

// ---- CPU references (float64 inside a row) ----

/** Max and sum(exp(x - max)) over elements j = s, s + S, ... of a row. */
function rowStats(x: TypedArray, base: number, len: number, s: number, S: number): [number, number] {
  let m = -Infinity;
  for (let j = s; j < len; j += S) m = Math.max(m, x[base + j]);
  let e = 0;
  for (let j = s; j < len; j += S) e += Math.exp(x[base + j] - m);
  return [m, e];
}

function writeRow(x: TypedArray, y: TypedArray, base: number, len: number, s: number, S: number, m: number, e: number, log: boolean): void {
  const ls = Math.log(e);
  for (let j = s; j < len; j += S) y[base + j] = log ? x[base + j] - m - ls : Math.exp(x[base + j] - m) / e;
}

function softmaxRowCpu([x]: TypedArray[], [y]: TypedArray[], p: SoftmaxParams): void {
  for (let r = 0; r < p.rows; r++) {
    const [m, e] = rowStats(x, r * p.len, p.len, 0, 1);
    writeRow(x, y, r * p.len, p.len, 0, 1, m, e, p.log);
  }
}

function softmaxStatsCpu([x]: TypedArray[], [st]: TypedArray[], p: SoftmaxParams): void {
  for (let t = 0; t < p.rows * p.nsplit; t++) {
    const r = Math.floor(t / p.nsplit);
    [st[2 * t], st[2 * t + 1]] = rowStats(x, r * p.len, p.len, t % p.nsplit, p.nsplit);
  }
}

function softmaxApplyCpu([x, st]: TypedArray[], [y]: TypedArray[], p: SoftmaxParams): void {
  const S = p.nsplit;
  for (let r = 0; r < p.rows; r++) {
    let m = -Infinity;
    for (let k = 0; k < S; k++) m = Math.max(m, st[2 * (r * S + k)]);
    let e = 0;
    for (let k = 0; k < S; k++) e += st[2 * (r * S + k) + 1] * Math.exp(st[2 * (r * S + k)] - m);
    for (let s = 0; s < S; s++) writeRow(x, y, r * p.len, p.len, s, S, m, e, p.log);
  }
}

/** sum(dy * y) (softmax) or sum(dy) (log-softmax) over j = s, s + S, ... of a row. */
function gradTerm(y: TypedArray, dy: TypedArray, base: number, len: number, s: number, S: number, log: boolean): number {
  let t = 0;
  for (let j = s; j < len; j += S) t += log ? dy[base + j] : dy[base + j] * y[base + j];
  return t;
}

function gradWrite(y: TypedArray, dy: TypedArray, dx: TypedArray, base: number, len: number, s: number, S: number, t: number, log: boolean): void {
  for (let j = s; j < len; j += S) {
    const i = base + j;
    dx[i] = log ? dy[i] - Math.exp(y[i]) * t : y[i] * (dy[i] - t);
  }
}

function gradRowCpu([y, dy]: TypedArray[], [dx]: TypedArray[], p: SoftmaxParams): void {
  for (let r = 0; r < p.rows; r++) {
    const base = r * p.len;
    gradWrite(y, dy, dx, base, p.len, 0, 1, gradTerm(y, dy, base, p.len, 0, 1, p.log), p.log);
  }
}

function gradStatsCpu([y, dy]: TypedArray[], [st]: TypedArray[], p: SoftmaxParams): void {
  for (let t = 0; t < p.rows * p.nsplit; t++) {
    const r = Math.floor(t / p.nsplit);
    st[t] = gradTerm(y, dy, r * p.len, p.len, t % p.nsplit, p.nsplit, p.log);
  }
}

function gradApplyCpu([y, dy, st]: TypedArray[], [dx]: TypedArray[], p: SoftmaxParams): void {
  const S = p.nsplit;
  for (let r = 0; r < p.rows; r++) {
    let t = 0;
    for (let k = 0; k < S; k++) t += st[r * S + k];
    for (let s = 0; s < S; s++) gradWrite(y, dy, dx, r * p.len, p.len, s, S, t, p.log);
  }
}

// ---- WGSL specs ----

const uniforms = (p: SoftmaxParams): UniformField[] => [
  ['u32', p.rows],
  ['u32', p.len],
  ['u32', p.nsplit],
  ['u32', 0],
];
const constants = (p: SoftmaxParams) => ({ OP: p.log ? 1 : 0, WG });

const KERNELS = [
  ['softmax_row', softmaxSource, 'main_row', softmaxRowCpu],
  ['softmax_stats', softmaxSource, 'main_stats', softmaxStatsCpu],
  ['softmax_apply', softmaxSource, 'main_apply', softmaxApplyCpu],
  ['softmax_grad_row', softmaxGradSource, 'main_row', gradRowCpu],
  ['softmax_grad_stats', softmaxGradSource, 'main_stats', gradStatsCpu],
  ['softmax_grad_apply', softmaxGradSource, 'main_apply', gradApplyCpu],
] as const;

for (const [name, source, entryPoint, run] of KERNELS) {
  registerKernel({ name, backend: 'cpu', run });
  registerKernel({
    name,
    backend: 'webgpu',
    source,
    entryPoint,
    constants,
    uniforms,
    // one thread per row for _row, per (row, split) otherwise
    dispatch: (p: SoftmaxParams) => grid1d(p.rows * (entryPoint === 'main_row' ? 1 : p.nsplit), WG),
  });
}
