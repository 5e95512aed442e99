// DreamerV3's percentile return normalisation: quantiles against hand-computed values, the EMA fold, the scale,
// the settle-before-save contract, and that a run with it enabled still resumes bit for bit.
import { describe, expect, it } from 'vitest';
import { tensor } from '@twist/kernels';
import { quantile, ReturnNorm } from '../src/return-norm.js';
import { train, type TrainOptions } from '../src/node.js';
import { cpu } from './harness.js';
import { checkpointJson, expectSameRun, tempRuns } from './run-fixture.js';

describe('quantile (linear interpolation between order statistics, as numpy/jnp)', () => {
  it('matches hand-computed values', () => {
    // sorted: 1 2 3 4 10; q = 0.05 -> pos 0.2 -> 1 + 0.2 (2 - 1) = 1.2; q = 0.95 -> pos 3.8 -> 4 + 0.8 (10 - 4) = 8.8
    expect(quantile([10, 3, 1, 4, 2], 0.05)).toBeCloseTo(1.2, 12);
    expect(quantile([10, 3, 1, 4, 2], 0.95)).toBeCloseTo(8.8, 12);
    expect(quantile([10, 3, 1, 4, 2], 0.5)).toBe(3);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([1, 2], 1)).toBe(2);
  });
  it('refuses empty input and q outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(/no values/);
    expect(() => quantile([1], 1.5)).toThrow(/q must be in \[0, 1\], got 1.5/);
  });
});

describe('ReturnNorm', () => {
  it('folds the 5%/95% quantiles into an EMA (decay 0.99) and scales by max(1, hi - lo)', async () => {
    const rn = new ReturnNorm();
    expect(rn.scale).toBe(1);
    // returns 0..100 (101 values): q05 = 5, q95 = 95
    const xs = Float32Array.from({ length: 101 }, (_, i) => i);
    rn.observe(tensor(cpu, xs, [101]));
    expect(rn.pending).toBe(true);
    await rn.settle();
    expect(rn.pending).toBe(false);
    expect(rn.state.lo).toBeCloseTo(0.01 * 5, 10);
    expect(rn.state.hi).toBeCloseTo(0.01 * 95, 10);
    expect(rn.scale).toBe(1); // spread 0.9 < 1: never scaled up
    for (let k = 0; k < 500; k++) {
      rn.observe(tensor(cpu, xs, [101]));
      await rn.settle();
    }
    // after 501 folds the EMA is 1 - 0.99^501 of the way to (5, 95)
    const f = 1 - 0.99 ** 501;
    expect(rn.state.lo).toBeCloseTo(5 * f, 6);
    expect(rn.state.hi).toBeCloseTo(95 * f, 6);
    expect(rn.scale).toBeCloseTo(90 * f, 5);
    expect(rn.state.count).toBe(501);
  });
  it('refuses a second observe before settle, non-finite returns and a bad restored state', async () => {
    const rn = new ReturnNorm();
    rn.observe(tensor(cpu, Float32Array.of(1, 2), [2]));
    expect(() => rn.observe(tensor(cpu, Float32Array.of(1, 2), [2]))).toThrow(/not settled/);
    await rn.settle();
    rn.observe(tensor(cpu, Float32Array.of(1, NaN), [2]));
    await expect(rn.settle()).rejects.toThrow(/non-finite lambda-returns/);
    expect(() => rn.restore({ lo: 0, hi: Number.NaN, count: 1 })).toThrow(/state.hi must be a finite number/);
  });
});

describe('training with returnNorm', () => {
  const tmp = tempRuns('twist-rn-');
  const tiny = (dir: string, steps: number, extra: Partial<TrainOptions> = {}): TrainOptions => ({
    dir,
    device: cpu,
    method: 'oracle',
    task: 'cartpole-balance',
    preset: 'debug',
    seed: 9,
    steps,
    episodeLength: 40,
    overrides: {
      agent: {
        behaviour: { horizon: 4, returnNorm: true },
        loop: { envs: 2, batch: 3, length: 8, prefill: 40, pretrain: 3, trainEvery: 5, evalEvery: 80, evalEpisodes: 2, checkpointEvery: 80, logEvery: 1 },
      },
    },
    ...extra,
  });

  it('resumes to the same weights, metrics and return scale as an uninterrupted run (CPU backend)', async () => {
    const a = tmp();
    const b = tmp();
    await train(tiny(a, 320));
    const first = await train(tiny(b, 320, { stopAfterCheckpoints: 2 }));
    expect(first.stoppedEarly).toBe(true);
    await train({ dir: b, device: cpu, resume: true });
    const rnA = checkpointJson(a).info.agent.behaviour.returnNorm;
    expect(rnA.count).toBeGreaterThan(10);
    expect(checkpointJson(b).info.agent.behaviour.returnNorm).toEqual(rnA);
    expectSameRun(a, b);
  });
});
