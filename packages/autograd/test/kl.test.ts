import { describe, expect, it } from 'vitest';
import { tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import { cpu, randomArray } from './harness.js';

const v = (data: number[] | Float32Array, shape: number[]) => A.variable(tensor(cpu, Float32Array.from(data), shape));

describe('KL balancing and free nats (DreamerV2), against hand-computed values', () => {
  // p = softmax([0, 0]) = [1/2, 1/2], q = softmax([ln 3, 0]) = [3/4, 1/4]
  // KL(p || q) = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3)
  const klHand = 0.5 * Math.log(4 / 3);

  it('forward is max(mean KL, free)', async () => {
    const post = v([0, 0], [1, 1, 2]);
    const prior = v([Math.log(3), 0], [1, 1, 2]);
    const a = A.klBalanced(post, prior, { balance: 0.8, free: 0 });
    expect(await a.loss.item()).toBeCloseTo(klHand, 6);
    expect(await a.meanKL.item()).toBeCloseTo(klHand, 6);
    const b = A.klBalanced(post, prior, { balance: 0.8, free: 1.0 });
    expect(await b.loss.item()).toBeCloseTo(1.0, 6);
    expect(await b.meanKL.item()).toBeCloseTo(klHand, 6);
  });

  it('splits the gradient: balance to the prior, 1 - balance to the posterior', async () => {
    const shape = [4, 3, 5];
    const pd = randomArray(60, 1, -2, 2);
    const qd = randomArray(60, 2, -2, 2);
    const post = v(pd, shape);
    const prior = v(qd, shape);
    const { loss } = A.klBalanced(post, prior, { balance: 0.8, free: 0 });
    const [gPost, gPrior] = A.grad(loss, [post, prior]);
    // Reference: gradients of mean KL(post || prior), unbalanced.
    const post2 = v(pd, shape);
    const prior2 = v(qd, shape);
    const [rPost, rPrior] = A.grad(A.mean(A.categoricalKL(post2, prior2)), [post2, prior2]);
    const [a, b, c, d] = await Promise.all([gPost, gPrior, rPost, rPrior].map((t) => t.toArray()));
    for (let i = 0; i < a.length; i++) {
      expect(a[i]).toBeCloseTo(0.2 * c[i], 6);
      expect(b[i]).toBeCloseTo(0.8 * d[i], 6);
    }
  });

  it('gives no gradient while the mean KL is below the free nats', async () => {
    const post = v(randomArray(24, 3, -0.1, 0.1), [2, 3, 4]);
    const prior = v(randomArray(24, 4, -0.1, 0.1), [2, 3, 4]);
    const { loss } = A.klBalanced(post, prior, { free: 1.0 });
    const grads = await Promise.all(A.grad(loss, [post, prior]).map((g) => g.toArray()));
    for (const g of grads) expect(g.every((x) => x === 0)).toBe(true);
  });

  it('rejects invalid options naming them', () => {
    const p = v([0, 0], [1, 1, 2]);
    expect(() => A.klBalanced(p, p, { balance: 1.5 })).toThrow(/balance must be in \[0, 1\], got 1.5/);
    expect(() => A.klBalanced(p, p, { free: -1 })).toThrow(/free nats must be >= 0, got -1/);
  });
});
