import { assertDType } from '../core/dtype.js';
import { fmt, sizeOf } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { live, normAxis } from './movement.js';
import './gather-kernel.js';
import type { GatherBackwardParams, GatherParams, OneHotParams } from './gather-kernel.js';

/**
 * Picks slices of x along axis: out.shape = x.shape[:axis] + indices.shape + x.shape[axis+1:], and
 * out[..., k..., ...] = x[..., indices[k...], ...]. indices are i32 in [0, x.shape[axis]); an index outside
 * that range gives NaN for an f32 x (0 for i32 and u8, which have no NaN): no error, since the device cannot
 * throw without a readback, but not a silent finite value either. Any dtype for x; axis may be negative.
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const op = 'gather';
  live(op, x, indices);
  assertDType(op, 'indices', 'i32', indices.dtype);
  if (x.rank === 0) throw new Error(`${op}: x must have rank >= 1, got shape ${fmt(x.shape)}`);
  if (indices.device !== x.device) throw new Error(`${op}: indices are on ${indices.device.label}, expected ${x.device.label} (that of x)`);
  const ax = normAxis(op, axis, x.rank);
  const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  const y = empty(x.device, shape, x.dtype);
  if (y.size === 0) return y;
  const p: GatherParams = { n: y.size, inner: sizeOf(x.shape.slice(ax + 1)), K: indices.size, A: x.shape[ax], u8: x.dtype === 'u8', nan: x.dtype === 'f32' };
  x.device.run('layout_gather', [x, indices], [y], p);
  return y;
}

/**
 * The gradient of gather: zeros of inputShape (f32) into which dy is scatter-added at the gathered positions.
 * Repeated indices accumulate (in increasing index position, deterministically); out-of-range indices add
 * nothing. One dispatch, one invocation per input element looping over the indices: O(size(dx) * size(indices)).
 */
export function gatherBackward(dy: Tensor, indices: Tensor, inputShape: readonly number[], axis = 0): Tensor {
  const op = 'gatherBackward';
  live(op, dy, indices);
  assertDType(op, 'dy', 'f32', dy.dtype);
  assertDType(op, 'indices', 'i32', indices.dtype);
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: inputShape must be a non-empty list of non-negative integers, got ${Array.isArray(inputShape) ? fmt(inputShape) : String(inputShape)}`);
  }
  if (indices.device !== dy.device) throw new Error(`${op}: indices are on ${indices.device.label}, expected ${dy.device.label} (that of dy)`);
  const ax = normAxis(op, axis, inputShape.length);
  const want = [...inputShape.slice(0, ax), ...indices.shape, ...inputShape.slice(ax + 1)];
  if (dy.rank !== want.length || dy.shape.some((d, k) => d !== want[k])) {
    throw new Error(`${op}: dy must have shape ${fmt(want)} (inputShape ${fmt(inputShape)} with axis ${ax} replaced by indices ${fmt(indices.shape)}), got ${fmt(dy.shape)}`);
  }
  const dx = empty(dy.device, inputShape, 'f32');
  if (dx.size === 0) return dx;
  const p: GatherBackwardParams = { n: dx.size, inner: sizeOf(inputShape.slice(ax + 1)), K: indices.size, A: inputShape[ax] };
  dy.device.run('layout_gather_backward', [dy, indices], [dx], p);
  return dx;
}

/** f32 one-hot rows: out.shape = indices.shape + [depth]; an index outside [0, depth) gives a NaN row (see gather). */
export function oneHot(indices: Tensor, depth: number): Tensor {
  const op = 'oneHot';
  live(op, indices);
  assertDType(op, 'indices', 'i32', indices.dtype);
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`${op}: depth must be a positive integer, got ${depth}`);
  const y = empty(indices.device, [...indices.shape, depth], 'f32');
  if (y.size === 0) return y;
  const p: OneHotParams = { n: y.size, depth };
  indices.device.run('layout_one_hot', [indices], [y], p);
  return y;
}
