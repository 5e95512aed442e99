import { describe, expect, it } from 'vitest';
import * as K from '@twist/kernels';
import { scope, tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import { cpu } from './harness.js';

/**
 * Rules with several outputs (defineMultiOp): the backward runs once per application with one gradient per
 * output (null for an output no gradient reached), whichever outputs the loss uses and however often.
 */
const calls: (boolean[])[] = [];
// y0 = 2 x, y1 = x * x (elementwise)
const twoOut = A.defineMultiOp<undefined>('test.twoOut', {
  forward: ([x]) => ({ ys: [K.affine(x, 2, 0), K.mul(x, x)] }),
  backward: (dys, { inputs: [x] }) => {
    calls.push(dys.map((d) => d !== null));
    const parts = [dys[0] && K.affine(dys[0], 2, 0), dys[1] && K.mul(K.affine(x, 2, 0), dys[1])].filter((t): t is K.Tensor => !!t);
    return [parts.length === 2 ? K.add(parts[0], parts[1]) : parts[0]];
  },
});

const grads = async (f: (ys: A.Var[]) => A.Var) => {
  calls.length = 0;
  const g = scope(() => {
    const x = A.variable(tensor(cpu, new Float32Array([1, -2, 3]), [3]));
    return A.grad(f(twoOut([x], undefined)), [x])[0];
  });
  return Array.from((await g.toArray()) as Float32Array);
};

describe('defineMultiOp', () => {
  it('sums both outputs gradients in one backward call', async () => {
    expect(await grads(([a, b]) => A.add(A.sum(a), A.sum(b)))).toEqual([2 + 2, 2 - 4, 2 + 6]);
    expect(calls).toEqual([[true, true]]);
  });

  it('passes null for an output the loss does not use', async () => {
    expect(await grads(([, b]) => A.sum(b))).toEqual([2, -4, 6]);
    expect(calls).toEqual([[false, true]]);
    expect(await grads(([a]) => A.sum(A.mul(a, a)))).toEqual([8, -16, 24]);
    expect(calls).toEqual([[true, false]]);
  });

  it('adds an output used several times before the call', async () => {
    expect(await grads(([a, b]) => A.add(A.add(A.sum(b), A.sum(b)), A.sum(a)))).toEqual([6, -6, 14]);
    expect(calls).toEqual([[true, true]]);
  });

  it('records nothing without gradients', () => {
    scope(() => {
      const x = A.variable(tensor(cpu, new Float32Array([1]), [1]));
      const ys = A.noGrad(() => twoOut([x], undefined));
      expect(ys.map((y) => [y.requiresGrad, y.node])).toEqual([[false, null], [false, null]]);
    });
  });

  it('klBalanced returns its mean KL as the second output, without a gradient', async () => {
    const r = scope(() => {
      const post = A.variable(tensor(cpu, new Float32Array([0.1, 0.5, -0.3, 0.2]), [1, 1, 4]));
      const prior = A.variable(tensor(cpu, new Float32Array([0.3, -0.2, 0.1, 0.0]), [1, 1, 4]));
      const { loss, meanKL } = A.klBalanced(post, prior, { free: 0 });
      expect(meanKL.requiresGrad).toBe(false);
      return [loss.value, meanKL.value, A.categoricalKL(post, prior).value];
    });
    const [l, m, k] = await Promise.all(r.map((t) => t.toArray()));
    expect(l[0]).toBeCloseTo(k[0], 6);
    expect(m[0]).toBeCloseTo(k[0], 6);
  });
});
