/**
 * The binary ops and the unary-op derivatives: one WGSL expression and one CPU reference per op, side by side
 * so they cannot drift apart. Comparisons give 1.0 / 0.0.
 *
 * WGSL expressions see `a`, `b` and `nanAB` (either is NaN) (binary) or `x`, `dy`, `p0`, `p1` (gradients) plus
 * the helper functions `powf`, `sigm`, `maxN`, `minN` defined in unary-grad-helpers.wgsl / webgpu/ieee.wgsl.
 *
 * NaN semantics (the same on every backend): arithmetic, maximum, minimum and pow give NaN when an operand is
 * NaN (pow(NaN, 0) = 1, as Math.pow); comparisons give 0. Infinities follow Math.pow / IEEE.
 */
import type { UnaryOp } from '../elementwise/unary-defs.js';

export interface BinaryDef {
  wgsl: string;
  cpu: (a: number, b: number) => number;
}

/**
 * pow follows Math.pow where WGSL's pow is undefined: x^0 = 1, a negative base with an integer exponent gives
 * the signed power; a negative base with a fractional exponent is NaN.
 */
export const BINARY = {
  add: { wgsl: 'a + b', cpu: (a, b) => a + b },
  sub: { wgsl: 'a - b', cpu: (a, b) => a - b },
  mul: { wgsl: 'a * b', cpu: (a, b) => a * b },
  div: { wgsl: 'a / b', cpu: (a, b) => a / b },
  maximum: { wgsl: 'maxN(a, b)', cpu: (a, b) => Math.max(a, b) },
  minimum: { wgsl: 'minN(a, b)', cpu: (a, b) => Math.min(a, b) },
  pow: { wgsl: 'powf(a, b)', cpu: (a, b) => Math.pow(a, b) },
  // comparisons with a NaN operand are false (IEEE), tested by bits since WGSL may assume no NaN
  greater: { wgsl: 'select(0.0, 1.0, a > b && !nanAB)', cpu: (a, b) => (a > b ? 1 : 0) },
  greaterEqual: { wgsl: 'select(0.0, 1.0, a >= b && !nanAB)', cpu: (a, b) => (a >= b ? 1 : 0) },
  less: { wgsl: 'select(0.0, 1.0, a < b && !nanAB)', cpu: (a, b) => (a < b ? 1 : 0) },
  equal: { wgsl: 'select(0.0, 1.0, a == b && !nanAB)', cpu: (a, b) => (a === b ? 1 : 0) },
} satisfies Record<string, BinaryDef>;

export type BinaryOp = keyof typeof BINARY;
export const BINARY_OPS = Object.keys(BINARY) as BinaryOp[];

export interface UnaryGradDef {
  /** dx = dy * f'(x), as a WGSL expression. */
  wgsl: string;
  cpu: (x: number, dy: number, p0: number, p1: number) => number;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** d/dx of the ops in elementwise/unary-defs.ts, with the same p0/p1 meaning (sign and fill: 0). */
export const UNARY_GRAD: Partial<Record<UnaryOp, UnaryGradDef>> = {
  neg: { wgsl: '-dy', cpu: (_x, dy) => -dy },
  // sign(0) = 0: the subgradient 0 at the kink
  abs: { wgsl: 'dy * sign(x)', cpu: (x, dy) => dy * Math.sign(x) },
  exp: { wgsl: 'dy * exp(x)', cpu: (x, dy) => dy * Math.exp(x) },
  log: { wgsl: 'dy / x', cpu: (x, dy) => dy / x },
  sqrt: { wgsl: '0.5 * dy * inverseSqrt(x)', cpu: (x, dy) => (0.5 * dy) / Math.sqrt(x) },
  // d/dx x^-1/2 = -1/2 x^-3/2
  rsqrt: { wgsl: '-0.5 * dy * inverseSqrt(x) / x', cpu: (x, dy) => (-0.5 * dy) / (Math.sqrt(x) * x) },
  square: { wgsl: '2.0 * x * dy', cpu: (x, dy) => 2 * x * dy },
  reciprocal: { wgsl: '-dy / (x * x)', cpu: (x, dy) => -dy / (x * x) },
  // gradient 0 at x = 0 (PyTorch's convention)
  relu: { wgsl: 'select(0.0, dy, x > 0.0)', cpu: (x, dy) => (x > 0 ? dy : 0) },
  elu: { wgsl: 'select(dy * p0 * exp(min(x, 0.0)), dy, x > 0.0)', cpu: (x, dy, a) => (x > 0 ? dy : dy * a * Math.exp(x)) },
  sigmoid: { wgsl: 'dy * sigm(x) * (1.0 - sigm(x))', cpu: (x, dy) => dy * sigmoid(x) * (1 - sigmoid(x)) },
  // silu'(x) = s + x s (1 - s)
  silu: { wgsl: 'dy * sigm(x) * (1.0 + x * (1.0 - sigm(x)))', cpu: (x, dy) => dy * sigmoid(x) * (1 + x * (1 - sigmoid(x))) },
  // the forward clamps at +-15 where tanh is 1 in f32, so the derivative is 0 there too
  tanh: {
    wgsl: 'dy * (1.0 - tanh(clamp(x, -15.0, 15.0)) * tanh(clamp(x, -15.0, 15.0)))',
    cpu: (x, dy) => dy * (1 - Math.tanh(x) ** 2),
  },
  softplus: { wgsl: 'dy * sigm(x)', cpu: (x, dy) => dy * sigmoid(x) },
  // symlog'(x) = 1 / (1 + |x|), symexp'(x) = exp(|x|)
  symlog: { wgsl: 'dy / (1.0 + abs(x))', cpu: (x, dy) => dy / (1 + Math.abs(x)) },
  symexp: { wgsl: 'dy * exp(abs(x))', cpu: (x, dy) => dy * Math.exp(Math.abs(x)) },
  affine: { wgsl: 'dy * p0', cpu: (_x, dy, a) => dy * a },
  // d/dx x^p = p x^(p-1); exactly 0 for p = 0 (Math.pow semantics for the power, see BINARY.pow)
  pow: {
    wgsl: 'select(dy * p0 * powf(x, p0 - 1.0), 0.0, p0 == 0.0)',
    cpu: (x, dy, p) => (p === 0 ? 0 : dy * p * Math.pow(x, p - 1)),
  },
  // pass-through inside [lo, hi] (bounds included), 0 outside
  clamp: { wgsl: 'select(0.0, dy, x >= p0 && x <= p1)', cpu: (x, dy, lo, hi) => (x >= lo && x <= hi ? dy : 0) },
  // piecewise constant: 0 almost everywhere (PyTorch's convention for sign)
  sign: { wgsl: '0.0', cpu: () => 0 },
  fill: { wgsl: '0.0', cpu: () => 0 },
};

export const UNARY_GRAD_OPS = Object.keys(UNARY_GRAD) as UnaryOp[];

/**
 * NaN semantics of every gradient: dx is NaN when x or dy is NaN (fill's, whose output ignores x, stays 0), so a
 * NaN upstream is not masked to a finite gradient (relu's 0 branch) and the optimiser's non-finite check sees it.
 * The WGSL form needs isNanF (webgpu/ieee.wgsl) in the shader.
 */
export function unaryGradWgsl(op: UnaryOp): string {
  const e = UNARY_GRAD[op]!.wgsl;
  return op === 'fill' ? e : `select(${e}, x + dy, isNanF(x) || isNanF(dy))`;
}

/** The CPU reference with the same NaN rule as unaryGradWgsl. */
export function unaryGradCpu(op: UnaryOp): UnaryGradDef['cpu'] {
  const g = UNARY_GRAD[op]!.cpu;
  return op === 'fill' ? g : (x, dy, p0, p1) => (x !== x || dy !== dy ? NaN : g(x, dy, p0, p1));
}
