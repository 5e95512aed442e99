import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { peakCopy, peakFma, tensor } from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

describe.runIf(hasGpu)('device-peak probes: WGSL equals the CPU reference', () => {
  // fma() may round once (fused) or twice (mul + add) depending on the driver; over <= 40 rounds the
  // difference stays below ~1e-6 relative on values of order 1.
  test.prop([fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 40 })], { numRuns: 8 })('fma chain', async (n, iters) => {
    const g = await gpu();
    expectClose(await read(peakFma(g, n, iters)), await read(peakFma(cpu, n, iters)), { atol: 1e-5, rtol: 1e-5 }, `fma n=${n}`);
  });

  test.prop([fc.integer({ min: 1, max: 5000 })], { numRuns: 8 })('vec4 copy', async (n4) => {
    const g = await gpu();
    const x = randomArray(n4 * 4, n4);
    expect(await read(peakCopy(tensor(g, x)))).toEqual(x);
  });
});

describe('peak probes validate input', () => {
  it('names the problem', () => {
    expect(() => peakFma(cpu, 0, 1)).toThrow(/peakFma: n and iters must be positive integers, got n=0, iters=1/);
    expect(() => peakCopy(tensor(cpu, [1, 2, 3]))).toThrow(/multiple of 4, got f32 of 3/);
  });
});
