import * as K from '@twist/kernels';
import { normAxes } from '@twist/kernels';
import { defineOp } from '../op.js';
import type { Var } from '../var.js';

interface ReduceParams {
  axes: number[];
  keepDims: boolean;
}

/** Shape of the reduction with the reduced axes kept as 1 (so dy broadcasts back over them). */
function keptShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

const sumOp = defineOp<ReduceParams>('sum', {
  forward: ([x], p) => ({ y: K.sum(x, p.axes, p.keepDims) }),
  // d sum / dx_i = 1: broadcast dy back over the reduced axes.
  backward: (dy, { inputs: [x], params: p }) => [K.scope(() => K.broadcastTo(dy.reshape(keptShape(x.shape, p.axes)), x.shape))],
});

const meanOp = defineOp<ReduceParams>('mean', {
  forward: ([x], p) => ({ y: K.mean(x, p.axes, p.keepDims) }),
  backward: (dy, { inputs: [x], params: p }) => {
    const n = p.axes.reduce((acc, a) => acc * x.shape[a], 1);
    return [K.scope(() => K.broadcastTo(K.affine(dy, 1 / Math.max(n, 1)).reshape(keptShape(x.shape, p.axes)), x.shape))];
  },
});

const maxOp = defineOp<ReduceParams>('max', {
  forward: ([x], p) => ({ y: K.max(x, p.axes, p.keepDims) }),
  // The gradient flows to the elements equal to the maximum (all of them on ties).
  backward: (dy, { inputs: [x], y, params: p }) => [
    K.scope(() => {
      const ks = keptShape(x.shape, p.axes);
      const mask = K.binary(x, y.reshape(ks), 'equal');
      return K.mul(mask, dy.reshape(ks));
    }),
  ],
});

function reduceParams(x: Var, axes: number | readonly number[] | undefined, keepDims: boolean, op: string): ReduceParams {
  return { axes: normAxes(op, axes, x.shape.length), keepDims };
}

export const sum = (x: Var, axes?: number | readonly number[], keepDims = false) => sumOp([x], reduceParams(x, axes, keepDims, 'sum'));
export const mean = (x: Var, axes?: number | readonly number[], keepDims = false) => meanOp([x], reduceParams(x, axes, keepDims, 'mean'));
export const max = (x: Var, axes?: number | readonly number[], keepDims = false) => maxOp([x], reduceParams(x, axes, keepDims, 'max'));

const softmaxOp = defineOp('softmax', {
  forward: ([x]) => ({ y: K.softmax(x) }),
  // dx = y * (dy - sum(dy * y)) over the last axis
  backward: (dy, { y }) => [K.softmaxGrad(y, dy)],
});
const logSoftmaxOp = defineOp('logSoftmax', {
  forward: ([x]) => ({ y: K.logSoftmax(x) }),
  // dx = dy - softmax(x) * sum(dy) over the last axis
  backward: (dy, { y }) => [K.logSoftmaxGrad(y, dy)],
});

/** Softmax over the last axis. */
export const softmax = (x: Var) => softmaxOp([x], undefined);
/** Log-softmax over the last axis. */
export const logSoftmax = (x: Var) => logSoftmaxOp([x], undefined);
