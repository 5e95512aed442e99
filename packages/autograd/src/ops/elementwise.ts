import * as K from '@twist/kernels';
import type { Tensor, UnaryOp } from '@twist/kernels';
import { defineOp } from '../op.js';
import { constant, Var } from '../var.js';

/** A new Tensor object viewing the same storage (so disposing one never frees the other's data). */
export const view = (t: Tensor): Tensor => t.reshape(t.shape);

/** Reduces a broadcast gradient back to the input's shape (the adjoint of broadcasting). */
export function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return view(g);
  return K.sumTo(g, shape);
}

const unaryOp = defineOp<{ op: UnaryOp; p0: number; p1: number }>('unary', {
  forward: ([x], p) => ({ y: K.unary(x, p.op, p.p0, p.p1) }),
  backward: (dy, { inputs: [x], params: p }) => [K.unaryGrad(x, dy, p.op, p.p0, p.p1)],
});

/** y = f(x) for any differentiable unary op of @twist/kernels (see its unary-defs for p0, p1). */
export const unary = (x: Var, op: UnaryOp, p0 = 0, p1 = 0) => unaryOp([x], { op, p0, p1 });
export const neg = (x: Var) => unary(x, 'neg');
export const abs = (x: Var) => unary(x, 'abs');
export const exp = (x: Var) => unary(x, 'exp');
export const log = (x: Var) => unary(x, 'log');
export const sqrt = (x: Var) => unary(x, 'sqrt');
export const square = (x: Var) => unary(x, 'square');
export const reciprocal = (x: Var) => unary(x, 'reciprocal');
export const relu = (x: Var) => unary(x, 'relu');
export const elu = (x: Var, alpha = 1) => unary(x, 'elu', alpha);
export const sigmoid = (x: Var) => unary(x, 'sigmoid');
export const silu = (x: Var) => unary(x, 'silu');
export const tanh = (x: Var) => unary(x, 'tanh');
export const softplus = (x: Var) => unary(x, 'softplus');
export const symlog = (x: Var) => unary(x, 'symlog');
export const symexp = (x: Var) => unary(x, 'symexp');
/** y = scale * x + shift */
export const affine = (x: Var, scale: number, shift = 0) => unary(x, 'affine', scale, shift);
export const scale = (x: Var, s: number) => unary(x, 'affine', s, 0);
export const addScalar = (x: Var, s: number) => unary(x, 'affine', 1, s);
export const powScalar = (x: Var, e: number) => unary(x, 'pow', e);
/** Clamp to [lo, hi]; the gradient is zero outside. */
export const clamp = (x: Var, lo: number, hi: number) => {
  if (!(lo <= hi)) throw new Error(`clamp: lo must be <= hi, got lo=${lo}, hi=${hi}`);
  return unary(x, 'clamp', lo, hi);
};

export type ActivationName = 'elu' | 'silu' | 'relu' | 'tanh' | 'sigmoid' | 'none';
export const ACTIVATIONS: readonly ActivationName[] = ['elu', 'silu', 'relu', 'tanh', 'sigmoid', 'none'];
export function activation(x: Var, act: ActivationName): Var {
  switch (act) {
    case 'elu':
      return elu(x);
    case 'silu':
      return silu(x);
    case 'relu':
      return relu(x);
    case 'tanh':
      return tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'none':
      return x;
    default:
      throw new Error(`activation: unknown '${String(act)}'; valid: ${ACTIVATIONS.join(', ')}`);
  }
}

// Binary ops with NumPy broadcasting; each input's gradient is reduced back to its own shape.
type DiffBinary = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

const binaryOp = defineOp<{ op: DiffBinary }>('binary', {
  forward: ([a, b], { op }) => ({ y: K.binary(a, b, op) }),
  backward: (dy, { inputs: [a, b], params: { op }, needs }) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    switch (op) {
      case 'add':
        ga = needs[0] ? reduceTo(dy, a.shape) : null;
        gb = needs[1] ? reduceTo(dy, b.shape) : null;
        break;
      case 'sub':
        ga = needs[0] ? reduceTo(dy, a.shape) : null;
        gb = needs[1] ? K.scope(() => K.sumTo(K.neg(dy), b.shape)) : null;
        break;
      case 'mul': // d(ab) = b da + a db
        ga = needs[0] ? K.scope(() => reduceTo(K.mul(dy, b), a.shape)) : null;
        gb = needs[1] ? K.scope(() => reduceTo(K.mul(dy, a), b.shape)) : null;
        break;
      case 'div': // d(a/b) = da / b - a db / b^2
        ga = needs[0] ? K.scope(() => reduceTo(K.div(dy, b), a.shape)) : null;
        gb = needs[1] ? K.scope(() => reduceTo(K.neg(K.div(K.mul(dy, a), K.square(b))), b.shape)) : null;
        break;
      case 'maximum':
      case 'minimum': {
        // The gradient goes to the selected input; ties go to a (subgradient).
        const cmp = op === 'maximum' ? 'greaterEqual' : 'less';
        ga = needs[0] ? K.scope(() => reduceTo(K.mul(dy, K.binary(a, b, cmp)), a.shape)) : null;
        gb = needs[1]
          ? K.scope(() => {
              const notA = K.affine(K.binary(a, b, cmp), -1, 1);
              return reduceTo(K.mul(dy, notA), b.shape);
            })
          : null;
        break;
      }
    }
    return [ga, gb];
  },
});

export const add = (a: Var, b: Var) => binaryOp([a, b], { op: 'add' });
export const sub = (a: Var, b: Var) => binaryOp([a, b], { op: 'sub' });
export const mul = (a: Var, b: Var) => binaryOp([a, b], { op: 'mul' });
export const div = (a: Var, b: Var) => binaryOp([a, b], { op: 'div' });
export const maximum = (a: Var, b: Var) => binaryOp([a, b], { op: 'maximum' });
export const minimum = (a: Var, b: Var) => binaryOp([a, b], { op: 'minimum' });

const whereOp = defineOp('where', {
  forward: ([c, a, b]) => ({ y: K.where(c, a, b) }),
  backward: (dy, { inputs: [c, a, b], needs }) => {
    const z = () => K.zeros(dy.device, [1]);
    return [
      null,
      needs[1] ? K.scope(() => reduceTo(K.where(c, dy, z()), a.shape)) : null,
      needs[2] ? K.scope(() => reduceTo(K.where(c, z(), dy), b.shape)) : null,
    ];
  },
});
/** cond != 0 ? a : b (broadcasting); cond gets no gradient. */
export const where = (cond: Var | Tensor, a: Var, b: Var) => whereOp([cond instanceof Var ? cond : constant(cond), a, b], undefined);
