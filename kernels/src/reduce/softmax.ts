import { assertDType } from '../core/dtype.js';
import { fmt, sameShape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import type { SoftmaxParams } from './softmax-kernel.js';
import './softmax-kernel.js';

/**
 * Threads per row: 1 (one dispatch) for rows shorter than SPLIT_MIN_LEN or when rows alone give
 * TARGET_THREADS threads; otherwise up to sqrt(len) / 2 (so merging the partials costs less than the
 * elements), two dispatches. The 32-way categorical latents ([16*50*32, 32]) run one thread per row.
 */
const TARGET_THREADS = 4096;
const SPLIT_MIN_LEN = 1024;
const MAX_SPLIT = 256;

export function softmaxSplit(rows: number, len: number): number {
  if (len < SPLIT_MIN_LEN) return 1;
  return Math.max(1, Math.min(MAX_SPLIT, Math.ceil(TARGET_THREADS / Math.max(1, rows)), Math.floor(Math.sqrt(len) / 2)));
}

function rowsOf(name: string, x: Tensor): { rows: number; len: number } {
  if (x.rank < 1) throw new Error(`${name}: x must have rank >= 1 (rows are the last axis), got shape ${fmt(x.shape)}`);
  const len = x.shape[x.rank - 1];
  return { rows: len === 0 ? 0 : x.size / len, len };
}

function forward(name: string, x: Tensor, log: boolean): Tensor {
  assertDType(name, 'x', 'f32', x.dtype);
  x.storage(name);
  const { rows, len } = rowsOf(name, x);
  const y = empty(x.device, x.shape, 'f32');
  if (x.size === 0) return y;
  const nsplit = softmaxSplit(rows, len);
  const p: SoftmaxParams = { log, rows, len, nsplit };
  if (nsplit === 1) {
    x.device.run('softmax_row', [x], [y], p);
  } else {
    const stats = empty(x.device, [rows, nsplit, 2], 'f32');
    x.device.run('softmax_stats', [x], [stats], p);
    x.device.run('softmax_apply', [x, stats], [y], p);
    stats.dispose();
  }
  return y;
}

function backward(name: string, y: Tensor, dy: Tensor, log: boolean): Tensor {
  assertDType(name, 'y', 'f32', y.dtype);
  assertDType(name, 'dy', 'f32', dy.dtype);
  y.storage(name);
  dy.storage(name);
  if (y.device !== dy.device) throw new Error(`${name}: y and dy must be on one device, got ${y.device.backend} and ${dy.device.backend}`);
  if (!sameShape(y.shape, dy.shape)) throw new Error(`${name}: dy must have the shape of y ${fmt(y.shape)}, got ${fmt(dy.shape)}`);
  const { rows, len } = rowsOf(name, y);
  const dx = empty(y.device, y.shape, 'f32');
  if (y.size === 0) return dx;
  const nsplit = softmaxSplit(rows, len);
  const p: SoftmaxParams = { log, rows, len, nsplit };
  if (nsplit === 1) {
    y.device.run('softmax_grad_row', [y, dy], [dx], p);
  } else {
    const part = empty(y.device, [rows, nsplit], 'f32');
    y.device.run('softmax_grad_stats', [y, dy], [part], p);
    y.device.run('softmax_grad_apply', [y, dy, part], [dx], p);
    part.dispose();
  }
  return dx;
}

/** softmax over the last axis, max-subtracted (1 dispatch; 2 for few long rows). */
export function softmax(x: Tensor): Tensor {
  return forward('softmax', x, false);
}

/** log-softmax over the last axis: (x - max) - log(sum(exp(x - max))) (1 dispatch; 2 for few long rows). */
export function logSoftmax(x: Tensor): Tensor {
  return forward('logSoftmax', x, true);
}

/** Backward of y = softmax(x) given y: dx = y * (dy - sum(dy * y, last)) (1 dispatch; 2 for few long rows). */
export function softmaxGrad(y: Tensor, dy: Tensor): Tensor {
  return backward('softmaxGrad', y, dy, false);
}

/** Backward of y = logSoftmax(x) given y: dx = dy - exp(y) * sum(dy, last) (1 dispatch; 2 for few long rows). */
export function logSoftmaxGrad(y: Tensor, dy: Tensor): Tensor {
  return backward('logSoftmaxGrad', y, dy, true);
}
