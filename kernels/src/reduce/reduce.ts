import { assertDType } from '../core/dtype.js';
import type { Device } from '../core/registry.js';
import { fmt, normAxes, type Shape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { reduceLayout, type ReduceLayout, type ReduceOp, type ReduceParams } from './reduce-kernel.js';

/**
 * Dispatch plan: one thread per output when outputs alone give TARGET_THREADS threads or rows are short;
 * otherwise each output gets nsplit threads of >= MIN_PER_THREAD elements (at most MAX_SPLIT, so the second
 * dispatch, one thread per output over its nsplit partials, stays short). [1, 2^20] -> 1024 threads of 1024
 * elements, then 1 thread over 1024 partials; [25600, 32] over the last axis -> 25600 threads, one dispatch.
 * (Measured on lavapipe: [1, 2^20] 17 ms in one pass vs 4.5 ms split; [1024, 1024] over axis 0 12 ms vs 4 ms.)
 */
const TARGET_THREADS = 8192;
const MIN_PER_THREAD = 256;
const MAX_SPLIT = 1024;

export function reduceSplit(nout: number, r: number): number {
  return Math.max(1, Math.min(MAX_SPLIT, Math.ceil(TARGET_THREADS / Math.max(1, nout)), Math.floor(r / MIN_PER_THREAD)));
}

/**
 * Enqueues y = reduce(x) for a layout (1 dispatch, 2 for long rows with few outputs); y has layout.nout
 * elements. With `accumulate`, y += reduce(x) instead (in the last dispatch).
 */
function launch(device: Device, x: Tensor, y: Tensor, op: ReduceOp, layout: ReduceLayout, scale: number, accumulate = false): void {
  const { nout } = layout;
  const nsplit = reduceSplit(nout, layout.r);
  if (nsplit === 1) {
    device.run('reduce', [x], [y], { op, layout, nsplit: 1, scale, accumulate } satisfies ReduceParams);
    return;
  }
  const partial = empty(device, [nout, nsplit], 'f32');
  device.run('reduce', [x], [partial], { op, layout, nsplit, scale: 1 } satisfies ReduceParams);
  const second: ReduceLayout = { nout, r: nsplit, kept: nout > 1 ? [[nout, nsplit]] : [], red: [[nsplit, 1]] };
  device.run('reduce', [partial], [y], { op, layout: second, nsplit: 1, scale, accumulate } satisfies ReduceParams);
  partial.dispose();
}

/**
 * Reduces x over sorted, normalised `axes` into a tensor of shape `outShape` (which has x's size divided by
 * the reduced size). A reduction over size-1 axes only is a reshaped view (no dispatch).
 */
function reduceTo(name: string, op: ReduceOp, mean: boolean, x: Tensor, axes: number[], outShape: Shape): Tensor {
  const layout = reduceLayout(name, x.shape, axes);
  if (layout.r === 0 && op !== 'sum') {
    throw new Error(`${name}: cannot reduce over an empty axis (shape ${fmt(x.shape)}, axes [${axes.join(',')}])`);
  }
  if (layout.r === 1) return x.reshape(outShape);
  const y = empty(x.device, outShape, 'f32');
  if (layout.nout === 0) return y;
  launch(x.device, x, y, op, layout, mean ? 1 / layout.r : 1);
  return y;
}

function reduceOp(name: string, op: ReduceOp, mean: boolean, x: Tensor, axes: number | number[] | undefined, keepDims: boolean): Tensor {
  assertDType(name, 'x', 'f32', x.dtype);
  x.storage(name);
  const ax = normAxes(name, axes, x.rank);
  const outShape = keepDims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
  return reduceTo(name, op, mean, x, ax, outShape);
}

/** Sum over `axes` (default all; negative axes count from the end). 1 dispatch, 2 for long rows with few outputs. */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  return reduceOp('sum', 'sum', false, x, axes, keepDims);
}

/** Mean over `axes` (default all). An empty reduction gives NaN. Dispatches as sum. */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  return reduceOp('mean', 'sum', true, x, axes, keepDims);
}

/** Max over `axes` (default all); NaN handling is the backend's (WGSL max is unspecified for NaN). */
export function max(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  return reduceOp('max', 'max', false, x, axes, keepDims);
}

/** Min over `axes` (default all). */
export function min(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  return reduceOp('min', 'min', false, x, axes, keepDims);
}

/**
 * Sums a broadcast result back to `shape` (the gradient of broadcasting `shape` to x.shape): leading extra
 * dims are summed away and dims where `shape` has 1 are summed with the 1 kept. Same shape: a view.
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  const { axes, name } = sumToAxes('sumTo', x, shape);
  return reduceTo(name, 'sum', false, x, axes, [...shape]);
}

/**
 * into += sumTo(x, into.shape), in place, in the dispatches sumTo takes (the sum is rounded to f32 before it is
 * added, so the same values as add(into, sumTo(x, into.shape))); an in-place gradient accumulation. Returns
 * false, recording nothing, where sumTo would be a view (nothing is summed): add the usual way then.
 */
export function addSumTo(into: Tensor, x: Tensor): boolean {
  const { axes, name } = sumToAxes('addSumTo', x, into.shape);
  assertDType(name, 'into', 'f32', into.dtype);
  into.storage(name);
  if (into.device !== x.device) throw new Error(`${name}: into is on ${into.device.label}, x on ${x.device.label}`);
  if (into.storage(name).handle === x.storage(name).handle) throw new Error(`${name}: into must not share memory with x`);
  const layout = reduceLayout(name, x.shape, axes);
  if (layout.r === 1) return false;
  if (layout.nout > 0) launch(x.device, x, into, 'sum', layout, 1, true);
  return true;
}

function sumToAxes(name: string, x: Tensor, shape: readonly number[]): { axes: number[]; name: string } {
  assertDType(name, 'x', 'f32', x.dtype);
  x.storage(name);
  const lead = x.rank - shape.length;
  const bad = () =>
    new Error(`${name}: x of shape ${fmt(x.shape)} cannot be summed to ${fmt(shape)} (${fmt(shape)} does not broadcast to ${fmt(x.shape)})`);
  if (!Array.isArray(shape) || lead < 0) throw bad();
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    if (i < lead) {
      axes.push(i);
      continue;
    }
    const t = shape[i - lead];
    if (!Number.isInteger(t) || t < 0) throw bad();
    if (t === x.shape[i]) continue;
    if (t !== 1) throw bad();
    axes.push(i);
  }
  return { axes, name };
}
