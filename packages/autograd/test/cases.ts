/**
 * One case per gradient rule: a function of Vars and the input shapes (with a value range where the maths
 * needs one). The same list drives the finite-difference gradchecks (CPU) and the GPU-vs-CPU comparisons.
 */
import * as K from '@twist/kernels';
import * as A from '../src/index.js';
import type { Var } from '../src/index.js';

export interface RuleCase {
  name: string;
  shapes: number[][];
  f: (...xs: Var[]) => Var;
  lo?: number;
  hi?: number;
  /** Random shapes for property runs (r() gives integers 1..4); `shapes` is used when absent. */
  gen?: (r: () => number) => number[][];
  /** Finite-difference tolerance overrides (kinks, f32-heavy composites). */
  tol?: { eps?: number; atol?: number; rtol?: number };
  /**
   * For rules with a kink at a tie (maximum, max): moves the random inputs (in place) so no tie lies within
   * TIE_GAP of them. A central difference of step eps that straddles a tie is wrong, whatever the rule; without
   * this a property run meets one now and then (seed 1073741796 put a maximum pair 7e-4 apart: a CI failure).
   */
  untie?: (data: Float32Array[]) => void;
}

/** The least distance from a tie of the kinked cases' inputs: 10 x their finite-difference step (1e-3). */
export const TIE_GAP = 1e-2;

/** maximum(a, b): each b_i at least TIE_GAP from a_i, on the side it was. */
function untiePairs([a, b]: Float32Array[]): void {
  for (let i = 0; i < a.length; i++) if (Math.abs(b[i] - a[i]) < TIE_GAP) b[i] = a[i] + (b[i] >= a[i] ? TIE_GAP : -TIE_GAP);
}

/** max over the last axis of [rows, n]: every other entry of a row at least TIE_GAP below the row's maximum. */
const untieRows = (n: number) => ([x]: Float32Array[]): void => {
  for (let r = 0; r < x.length / n; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    let top = 0;
    for (let j = 1; j < n; j++) if (row[j] > row[top]) top = j;
    for (let j = 0; j < n; j++) if (j !== top && row[top] - row[j] < TIE_GAP) row[j] = row[top] - TIE_GAP;
  }
};

const smoothUnary = ['neg', 'exp', 'tanh', 'sigmoid', 'silu', 'softplus', 'square', 'symlog'] as const;

export const CASES: RuleCase[] = [
  ...smoothUnary.map((op) => ({ name: `unary ${op}`, shapes: [[3, 5]], f: (x: Var) => A.unary(x, op) })),
  { name: 'unary elu', shapes: [[4, 6]], f: (x) => A.elu(x), lo: 0.05, hi: 2 },
  { name: 'unary elu (negative side)', shapes: [[4, 6]], f: (x) => A.elu(x), lo: -2, hi: -0.05 },
  { name: 'unary log', shapes: [[7]], f: (x) => A.log(x), lo: 0.5, hi: 3 },
  { name: 'unary sqrt', shapes: [[7]], f: (x) => A.sqrt(x), lo: 0.5, hi: 3 },
  { name: 'unary reciprocal', shapes: [[7]], f: (x) => A.reciprocal(x), lo: 0.5, hi: 3 },
  { name: 'affine', shapes: [[2, 3]], f: (x) => A.affine(x, -1.5, 0.25) },
  { name: 'add broadcast', shapes: [[3, 4], [4]], gen: (r) => { const s = [r(), r(), r()]; return [s, s.map((d) => (r() > 2 ? 1 : d))]; }, f: (a, b) => A.add(a, b) },
  { name: 'sub broadcast', shapes: [[2, 1, 4], [3, 1]], f: (a, b) => A.sub(a, b) },
  { name: 'mul broadcast', shapes: [[2, 3], [2, 1]], gen: (r) => { const s = [r(), r()]; return [s, [r() > 2 ? 1 : s[0], 1]]; }, f: (a, b) => A.mul(a, b) },
  { name: 'div', shapes: [[5], [5]], f: (a, b) => A.div(a, A.addScalar(A.square(b), 1)) },
  // Kinks (ties): a central difference that straddles a tie is wrong, so use a small step; f32 rounding at
  // h = 1e-3 stays within atol 2e-3, and a tie closer than 1e-3 is rare (inputs span 3).
  { name: 'maximum', shapes: [[6], [6]], f: (a, b) => A.maximum(a, b), tol: { eps: 1e-3, atol: 2e-3 }, untie: untiePairs },
  { name: 'matmul', shapes: [[3, 4], [4, 5]], gen: (r) => { const [m, k, n] = [r(), r(), r()]; return [[m, k], [k, n]]; }, f: (a, b) => A.matmul(a, b) },
  { name: 'matmul transA', shapes: [[4, 3], [4, 2]], f: (a, b) => A.matmul(a, b, { transA: true }) },
  { name: 'matmul transB', shapes: [[3, 4], [2, 4]], f: (a, b) => A.matmul(a, b, { transB: true }) },
  { name: 'matmul transA transB', shapes: [[4, 3], [2, 4]], gen: (r) => { const [m, k, n] = [r(), r(), r()]; return [[k, m], [n, k]]; }, f: (a, b) => A.matmul(a, b, { transA: true, transB: true }) },
  { name: 'matmul batched broadcast + bias', shapes: [[2, 3, 4], [4, 5], [5]], f: (a, b, c) => A.matmul(a, b, { bias: c }) },
  // The fused linear op (matmul epilogue: bias or a box of another tensor, then an activation).
  ...(['tanh', 'silu', 'sigmoid', 'elu', 'none'] as const).map((act) => ({
    name: `linear + bias, ${act}`,
    shapes: [[3, 4], [4, 5], [5]],
    gen: (r: () => number) => { const [m, k, n] = [r(), r(), r()]; return [[m, k], [k, n], [n]]; },
    f: (x: Var, w: Var, b: Var) => A.linear(x, w, { bias: b, act }),
  })),
  { name: 'linear, tanh, no bias', shapes: [[2, 3], [3, 4]], f: (x, w) => A.linear(x, w, { act: 'tanh' }) },
  { name: 'linear + addend box, silu', shapes: [[3, 4], [4, 5], [3, 2, 5]], f: (x, w, d) => A.linear(x, w, { addend: { x: d, begin: [0, 1, 0] }, act: 'silu' }) },
  { name: 'sum axes', shapes: [[2, 3, 4]], gen: (r) => [[r(), r(), r()]], f: (x) => A.sum(x, [0, 2]) },
  { name: 'mean keepDims', shapes: [[3, 4]], f: (x) => A.mean(x, 1, true) },
  { name: 'max', shapes: [[3, 5]], f: (x) => A.max(x, -1), tol: { eps: 1e-3, atol: 2e-3 }, untie: untieRows(5) },
  { name: 'softmax', shapes: [[3, 6]], gen: (r) => [[r(), r() + 1]], f: (x) => A.softmax(x) },
  { name: 'logSoftmax', shapes: [[3, 6]], gen: (r) => [[r(), r() + 1]], f: (x) => A.logSoftmax(x) },
  { name: 'reshape + permute', shapes: [[2, 3, 4]], f: (x) => A.permute(A.reshape(x, [4, 3, 2]), [2, 0, 1]) },
  { name: 'concat', shapes: [[2, 3], [2, 2]], gen: (r) => { const m = r(); return [[m, r()], [m, r()]]; }, f: (a, b) => A.concat([a, b], 1) },
  { name: 'slice', shapes: [[4, 5]], f: (x) => A.slice(x, [1, 2], [2, -1]) },
  { name: 'stack/unstack', shapes: [[2, 3], [2, 3]], f: (a, b) => A.unstack(A.stack([a, b], 1), 2)[1] },
  { name: 'broadcastTo', shapes: [[3, 1]], f: (x) => A.broadcastTo(x, [2, 3, 4]) },
  { name: 'layerNorm', shapes: [[3, 7], [7], [7]], gen: (r) => { const c = r() + 2; return [[r(), c], [c], [c]]; }, f: (x, g, b) => A.layerNorm(x, g, b, 1e-3),
    // A short row with a small spread (std ~0.05) is sharply curved: h = 1e-2 would be 20% of it. f32 rounding at
    // h = 1e-3 stays ~1e-4 relative.
    tol: { eps: 1e-3 } },
  {
    name: 'gruCell',
    shapes: [[2, 3], [2, 4], [3, 12], [4, 12], [12], [12]],
    f: (x, h, wx, wh, g, b) => A.gruCell(x, h, wx, wh, g, b, { updateBias: -1, eps: 1e-3 }),
    tol: { eps: 1e-2, atol: 2e-3, rtol: 3e-2 },
  },
  { name: 'categoricalKL', shapes: [[2, 3, 4], [2, 3, 4]], gen: (r) => { const s = [r(), r(), r() + 1]; return [s, s]; }, f: (p, q) => A.categoricalKL(p, q) },
  { name: 'categoricalKL unimix', shapes: [[2, 3, 4], [2, 3, 4]], f: (p, q) => A.categoricalKL(p, q, 0.01) },
  { name: 'categoricalEntropy', shapes: [[2, 3, 4]], f: (l) => A.categoricalEntropy(l, 0.01) },
  {
    name: 'conv2d stride 2',
    shapes: [[1, 6, 6, 2], [3, 3, 2, 3], [3]],
    f: (x, w, b) => A.conv2d(x, w, b, { stride: 2 }),
  },
  {
    name: 'convTranspose2d stride 2',
    shapes: [[1, 2, 2, 3], [3, 3, 2, 3], [2]],
    f: (x, w, b) => A.convTranspose2d(x, w, b, { stride: 2 }),
  },
  { name: 'mse (event dims)', shapes: [[2, 3, 4], [2, 3, 4]], f: (a, b) => A.mse(a, b, 2) },
  { name: 'split', shapes: [[3, 7]], f: (x) => A.split(x, [2, 4, 1], 1)[1] },
  { name: 'gather (repeated indices)', shapes: [[5, 3]], f: (x) => A.gather(x, A.constant(K.tensor(x.device, new Int32Array([4, 0, 4, 2]), [4])), 0) },
  { name: 'categoricalLogProb', shapes: [[2, 3, 4]], f: (l) => A.categoricalLogProb(l, A.constant(K.oneHot(K.tensor(l.device, new Int32Array([0, 3, 1, 2, 2, 0]), [2, 3]), 4)), 1) },
  { name: 'normalLogProb', shapes: [[3, 4], [3, 4]], f: (x, m) => A.normalLogProb(x, m, 0.7) },
];
