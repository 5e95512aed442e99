import { assertDType } from '../core/dtype.js';
import { empty, type Tensor } from '../core/tensor.js';
import { UNARY, UNARY_OPS, type UnaryOp } from './unary-defs.js';
import './unary-kernel.js';

/** y = f(x) elementwise; see unary-defs.ts for each op's formula and the meaning of p0, p1. */
export function unary(x: Tensor, op: UnaryOp, p0 = 0, p1 = 0): Tensor {
  if (!(op in UNARY)) throw new Error(`unary: unknown op '${String(op)}'; valid ops: ${UNARY_OPS.join(', ')}`);
  assertDType(op, 'x', 'f32', x.dtype);
  const y = empty(x.device, x.shape, 'f32');
  x.device.run('unary', [x], [y], { op, n: x.size, p0, p1 });
  return y;
}

export const neg = (x: Tensor) => unary(x, 'neg');
export const abs = (x: Tensor) => unary(x, 'abs');
export const exp = (x: Tensor) => unary(x, 'exp');
export const log = (x: Tensor) => unary(x, 'log');
export const sqrt = (x: Tensor) => unary(x, 'sqrt');
export const rsqrt = (x: Tensor) => unary(x, 'rsqrt');
export const square = (x: Tensor) => unary(x, 'square');
export const reciprocal = (x: Tensor) => unary(x, 'reciprocal');
export const sign = (x: Tensor) => unary(x, 'sign');
export const relu = (x: Tensor) => unary(x, 'relu');
export const elu = (x: Tensor, alpha = 1) => unary(x, 'elu', alpha);
export const sigmoid = (x: Tensor) => unary(x, 'sigmoid');
export const silu = (x: Tensor) => unary(x, 'silu');
export const tanh = (x: Tensor) => unary(x, 'tanh');
export const softplus = (x: Tensor) => unary(x, 'softplus');
export const symlog = (x: Tensor) => unary(x, 'symlog');
export const symexp = (x: Tensor) => unary(x, 'symexp');
/** y = scale * x + shift */
export const affine = (x: Tensor, scale: number, shift = 0) => unary(x, 'affine', scale, shift);
export const pow = (x: Tensor, exponent: number) => unary(x, 'pow', exponent);
export const clamp = (x: Tensor, lo: number, hi: number) => {
  if (!(lo <= hi)) throw new Error(`clamp: lo must be <= hi, got lo=${lo}, hi=${hi}`);
  return unary(x, 'clamp', lo, hi);
};
