import { assertDType } from '../core/dtype.js';
import { broadcastShapes, fmt, sameShape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import type { UnaryOp } from '../elementwise/unary-defs.js';
import { BINARY, BINARY_OPS, UNARY_GRAD, UNARY_GRAD_OPS, type BinaryOp } from './binary-defs.js';
import { collapseBroadcast } from './broadcast.js';
import './binary-kernel.js';

function sameDevice(op: string, ts: readonly Tensor[]): void {
  for (const t of ts) {
    if (t.device !== ts[0].device) {
      throw new Error(`${op}: inputs must be on one device, got ${ts[0].device.backend} and ${t.device.backend}`);
    }
  }
}

/**
 * y = f(a, b) elementwise with NumPy broadcasting (1 dispatch). Comparisons give 1.0 / 0.0. Shapes broadcast
 * to at most 6 dims after merging contiguous dims (see broadcast.ts).
 */
export function binary(a: Tensor, b: Tensor, op: BinaryOp): Tensor {
  if (!(op in BINARY)) throw new Error(`binary: unknown op '${String(op)}'; valid ops: ${BINARY_OPS.join(', ')}`);
  assertDType(op, 'a', 'f32', a.dtype);
  assertDType(op, 'b', 'f32', b.dtype);
  sameDevice(op, [a, b]);
  a.storage(op);
  b.storage(op);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const bc = collapseBroadcast(op, shape, [a.shape, b.shape]);
  const y = empty(a.device, shape, 'f32');
  if (bc.n > 0) a.device.run('binary', [a, b], [y], { op, bc });
  return y;
}

export const add = (a: Tensor, b: Tensor): Tensor => binary(a, b, 'add');
export const sub = (a: Tensor, b: Tensor): Tensor => binary(a, b, 'sub');
export const mul = (a: Tensor, b: Tensor): Tensor => binary(a, b, 'mul');
export const div = (a: Tensor, b: Tensor): Tensor => binary(a, b, 'div');
export const maximum = (a: Tensor, b: Tensor): Tensor => binary(a, b, 'maximum');
export const minimum = (a: Tensor, b: Tensor): Tensor => binary(a, b, 'minimum');

/** y = cond != 0 ? a : b elementwise (NaN counts as true); all three broadcast (1 dispatch). */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const op = 'where';
  assertDType(op, 'cond', 'f32', cond.dtype);
  assertDType(op, 'a', 'f32', a.dtype);
  assertDType(op, 'b', 'f32', b.dtype);
  sameDevice(op, [cond, a, b]);
  for (const t of [cond, a, b]) t.storage(op);
  const shape = broadcastShapes(op, broadcastShapes(op, cond.shape, a.shape), b.shape);
  const bc = collapseBroadcast(op, shape, [cond.shape, a.shape, b.shape]);
  const y = empty(a.device, shape, 'f32');
  if (bc.n > 0) a.device.run('where', [cond, a, b], [y], { bc });
  return y;
}

/**
 * The backward of a unary op: dx = dy * f'(x) elementwise, x the forward op's input, p0/p1 its parameters
 * (ELU alpha, affine scale, pow exponent, clamp bounds; clamp passes dy inside [lo, hi] and gives 0 outside;
 * sign and fill give 0).
 * x and dy must have the same shape (1 dispatch).
 */
export function unaryGrad(x: Tensor, dy: Tensor, op: UnaryOp, p0 = 0, p1 = 0): Tensor {
  const name = 'unaryGrad';
  if (!UNARY_GRAD[op]) {
    throw new Error(`${name}: op '${String(op)}' has no gradient kernel; differentiable ops: ${UNARY_GRAD_OPS.join(', ')}`);
  }
  assertDType(name, 'x', 'f32', x.dtype);
  assertDType(name, 'dy', 'f32', dy.dtype);
  sameDevice(name, [x, dy]);
  x.storage(name);
  dy.storage(name);
  if (!sameShape(x.shape, dy.shape)) {
    throw new Error(`${name}(${op}): dy must have the shape of x ${fmt(x.shape)}, got ${fmt(dy.shape)}`);
  }
  const dx = empty(x.device, x.shape, 'f32');
  if (x.size > 0) x.device.run('unary_grad', [x, dy], [dx], { op, n: x.size, p0, p1 });
  return dx;
}
