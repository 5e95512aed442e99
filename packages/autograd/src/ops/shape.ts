import * as K from '@twist/kernels';
import { normAxes } from '@twist/kernels';
import { defineOp } from '../op.js';
import { fmt } from '../util.js';
import { constant, Var } from '../var.js';
import { reduceTo } from './elementwise.js';

const reshapeOp = defineOp<{ shape: number[] }>('reshape', {
  forward: ([x], p) => ({ y: x.reshape(p.shape) }),
  backward: (dy, { inputs: [x] }) => [dy.reshape(x.shape)],
  view: true,
});
/** A view with another shape (one dim may be -1). */
export const reshape = (x: Var, shape: readonly number[]) => reshapeOp([x], { shape: [...shape] });

const permuteOp = defineOp<{ perm: number[] }>('permute', {
  forward: ([x], p) => ({ y: K.permute(x, p.perm) }),
  backward: (dy, { params: { perm } }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [K.permute(dy, inv)];
  },
});
export const permute = (x: Var, perm: readonly number[]) => permuteOp([x], { perm: [...perm] });
/** Swaps the last two axes. */
export const transpose = (x: Var) => {
  const r = x.shape.length;
  if (r < 2) throw new Error(`transpose: needs rank >= 2, got shape ${fmt(x.shape)}`);
  return permute(x, [...Array(r - 2).keys(), r - 1, r - 2]);
};

const concatOp = defineOp<{ axis: number }>('concat', {
  forward: (xs, p) => ({ y: K.concat(xs, p.axis) }),
  backward: (dy, { inputs, params: { axis }, needs }) => {
    let off = 0;
    return inputs.map((x, i) => {
      const begin = dy.shape.map((_, k) => (k === axis ? off : 0));
      off += x.shape[axis];
      return needs[i] ? K.slice(dy, begin, x.shape) : null;
    });
  },
  slices: ({ axis }, shapes) => {
    let off = 0;
    return shapes.map((s) => {
      const begin = s.map((_, k) => (k === axis ? off : 0));
      off += s[axis];
      return begin;
    });
  },
});
export function concat(xs: readonly Var[], axis: number): Var {
  if (xs.length === 0) throw new Error('concat: needs at least one input, got 0');
  const [ax] = normAxes('concat', axis, xs[0].shape.length);
  return concatOp([...xs], { axis: ax });
}

const sliceOp = defineOp<{ begin: number[]; size: number[] }>('slice', {
  forward: ([x], p) => ({ y: K.slice(x, p.begin, p.size) }),
  backward: (dy, { inputs: [x], params: { begin } }) => [K.sliceBackward(dy, x.shape, begin)],
  // grad() keeps the gradients of several slices of one Var as pieces and assembles them once (grad.ts).
  piece: (p) => ({ input: 0, begin: p.begin, shape: p.size }),
});
/** x[begin : begin + size] per axis; size -1 means to the end. */
export function slice(x: Var, begin: readonly number[], size: readonly number[]): Var {
  const sz = size.map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s));
  return sliceOp([x], { begin: [...begin], size: sz });
}

const sliceAddOp = defineOp<{ begin: number[]; box: number[] }>('sliceAdd', {
  forward: ([a, x], p) => {
    const a2 = a.reshape(p.box);
    const y = K.sliceAdd(a2, x, p.begin);
    a2.dispose();
    if (y.shape.length === a.shape.length && y.shape.every((d, k) => d === a.shape[k])) return { y };
    const v = y.reshape(a.shape);
    y.dispose();
    return { y: v };
  },
  backward: (dy, { inputs: [x, big], params: { begin, box }, needs }) => [
    needs[0] ? dy.reshape(x.shape) : null,
    needs[1] ? K.scope(() => K.sliceBackward(dy.reshape(box), big.shape, begin)) : null,
  ],
  // x's gradient is dy at begin (grad() keeps it as a piece, like a slice's).
  piece: (p) => ({ input: 1, begin: p.begin, shape: p.box }),
});
/**
 * a + x[begin : begin + size] in one dispatch (the same values as add(a, reshape(slice(x, begin, size)))). size
 * defaults to a's shape; otherwise it is the box of x (with a's element count) that is added, viewed as a's shape.
 */
export function sliceAdd(a: Var, x: Var, begin: readonly number[], size?: readonly number[]): Var {
  const box = size ? size.map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s)) : [...a.shape];
  const n = box.reduce((p, d) => p * d, 1);
  if (n !== a.size) throw new Error(`sliceAdd: the box [${box.join(',')}] of x must have a's ${a.size} elements (a is ${fmt(a.shape)}), got ${n}`);
  return sliceAddOp([a, x], { begin: [...begin], box });
}

/** Stacks equally shaped Vars along a new axis. */
export function stack(xs: readonly Var[], axis = 0): Var {
  if (xs.length === 0) throw new Error('stack: needs at least one input, got 0');
  const shape = xs[0].shape;
  for (const x of xs) {
    if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`stack: all inputs must have shape ${fmt(shape)}, got ${fmt(x.shape)}`);
    }
  }
  const ax = axis < 0 ? axis + shape.length + 1 : axis;
  const expanded = [...shape.slice(0, ax), 1, ...shape.slice(ax)];
  return concat(
    xs.map((x) => reshape(x, expanded)),
    ax,
  );
}

/** Splits along an axis into Vars without that axis (the inverse of stack). */
export function unstack(x: Var, axis = 0): Var[] {
  const [ax] = normAxes('unstack', axis, x.shape.length);
  const n = x.shape[ax];
  const rest = x.shape.filter((_, i) => i !== ax);
  return Array.from({ length: n }, (_, i) => {
    const begin = x.shape.map((_, k) => (k === ax ? i : 0));
    const size = x.shape.map((d, k) => (k === ax ? 1 : d));
    return reshape(slice(x, begin, size), rest);
  });
}

const broadcastOp = defineOp<{ shape: number[] }>('broadcastTo', {
  forward: ([x], p) => ({ y: K.broadcastTo(x, p.shape) }),
  backward: (dy, { inputs: [x] }) => [reduceTo(dy, x.shape)],
});
export const broadcastTo = (x: Var, shape: readonly number[]) => broadcastOp([x], { shape: [...shape] });

const gatherOp = defineOp<{ axis: number }>('gather', {
  forward: ([x, idx], p) => ({ y: K.gather(x, idx, p.axis) }),
  backward: (dy, { inputs: [x, idx], params: { axis } }) => [K.gatherBackward(dy, idx, x.shape, axis), null],
});
/** Selects entries of x along axis by i32 indices; the gradient scatter-adds back (duplicates accumulate). */
export function gather(x: Var, indices: Var | K.Tensor, axis = 0): Var {
  const idx = indices instanceof Var ? indices : constant(indices);
  const [ax] = normAxes('gather', axis, x.shape.length);
  return gatherOp([x, idx], { axis: ax });
}

/** Splits x along an axis into pieces of the given sizes (they must add up to the axis length). */
export function split(x: Var, sizes: readonly number[], axis = -1): Var[] {
  const [ax] = normAxes('split', axis, x.shape.length);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (!sizes.every((n) => Number.isInteger(n) && n >= 0) || total !== x.shape[ax]) {
    throw new Error(`split: sizes [${sizes.join(',')}] must be non-negative integers adding up to dim ${ax} of ${fmt(x.shape)} (${x.shape[ax]}), got ${total}`);
  }
  let off = 0;
  return sizes.map((n) => {
    const begin = x.shape.map((_, k) => (k === ax ? off : 0));
    const size = x.shape.map((d, k) => (k === ax ? n : d));
    off += n;
    return slice(x, begin, size);
  });
}
