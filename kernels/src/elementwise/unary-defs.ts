/**
 * The unary ops: one WGSL expression and one CPU reference per op, side by side so they cannot drift apart.
 * p0, p1 are per-call scalars. Numerically careful forms: softplus(x) = max(x,0) + log1p(exp(-|x|)),
 * sigmoid via exp(-|x|) so neither overflows for large |x|.
 */
export interface UnaryDef {
  wgsl: string;
  cpu: (x: number, p0: number, p1: number) => number;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export const UNARY = {
  neg: { wgsl: '-x', cpu: (x) => -x },
  abs: { wgsl: 'abs(x)', cpu: (x) => Math.abs(x) },
  exp: { wgsl: 'exp(x)', cpu: (x) => Math.exp(x) },
  log: { wgsl: 'log(x)', cpu: (x) => Math.log(x) },
  sqrt: { wgsl: 'sqrt(x)', cpu: (x) => Math.sqrt(x) },
  rsqrt: { wgsl: 'inverseSqrt(x)', cpu: (x) => 1 / Math.sqrt(x) },
  square: { wgsl: 'x * x', cpu: (x) => x * x },
  reciprocal: { wgsl: '1.0 / x', cpu: (x) => 1 / x },
  sign: { wgsl: 'sign(x)', cpu: (x) => Math.sign(x) },
  relu: { wgsl: 'max(x, 0.0)', cpu: (x) => Math.max(x, 0) },
  // ELU with alpha = p0: x if x > 0 else alpha * (exp(x) - 1)
  elu: { wgsl: 'select(p0 * (exp(min(x, 0.0)) - 1.0), x, x > 0.0)', cpu: (x, a) => (x > 0 ? x : a * Math.expm1(x)) },
  sigmoid: {
    wgsl: 'select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0)',
    cpu: sigmoid,
  },
  // SiLU: x * sigmoid(x)
  silu: { wgsl: 'x * select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0)', cpu: (x) => x * sigmoid(x) },
  tanh: { wgsl: 'tanh(clamp(x, -15.0, 15.0))', cpu: (x) => Math.tanh(x) },
  softplus: { wgsl: 'max(x, 0.0) + log(1.0 + exp(-abs(x)))', cpu: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) },
  // symlog(x) = sign(x) log(1 + |x|) (DreamerV3 input squashing) and its inverse
  symlog: { wgsl: 'sign(x) * log(1.0 + abs(x))', cpu: (x) => Math.sign(x) * Math.log1p(Math.abs(x)) },
  symexp: { wgsl: 'sign(x) * (exp(abs(x)) - 1.0)', cpu: (x) => Math.sign(x) * Math.expm1(Math.abs(x)) },
  // y = p0 * x + p1
  affine: { wgsl: 'p0 * x + p1', cpu: (x, a, b) => a * x + b },
  // y = x ^ p0 with Math.pow's semantics (powf in webgpu/ieee.wgsl)
  pow: { wgsl: 'powf(x, p0)', cpu: (x, a) => Math.pow(x, a) },
  // y = clamp(x, p0, p1)
  clamp: { wgsl: 'clamp(x, p0, p1)', cpu: (x, lo, hi) => Math.min(Math.max(x, lo), hi) },
  // y = p0 (fill)
  fill: { wgsl: 'p0', cpu: (_x, a) => a },
} satisfies Record<string, UnaryDef>;

export type UnaryOp = keyof typeof UNARY;
export const UNARY_OPS = Object.keys(UNARY) as UnaryOp[];

/**
 * NaN semantics of every unary op on every backend: NaN in, NaN out (fill ignores x). The guard is explicit
 * because WGSL's max/min/clamp/sign may drop a NaN (relu(NaN) was 0 on lavapipe); it is one select on the result.
 * Infinities follow each formula (tanh(+-inf) = +-1, relu(-inf) = 0, exp(-inf) = 0).
 * The WGSL form needs isNanF (webgpu/ieee.wgsl) in the shader.
 */
export function unaryWgsl(op: UnaryOp): string {
  return op === 'fill' ? UNARY[op].wgsl : `select(${UNARY[op].wgsl}, x, isNanF(x))`;
}

/** The CPU reference with the same NaN rule as unaryWgsl. */
export function unaryCpu(op: UnaryOp): UnaryDef['cpu'] {
  const f: UnaryDef['cpu'] = UNARY[op].cpu;
  return op === 'fill' ? f : (x, p0, p1) => (x !== x ? x : f(x, p0, p1));
}
