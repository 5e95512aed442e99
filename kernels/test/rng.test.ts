import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { philox4x32, randomBits, randomNormal, randomUniform, type Device, type RngKey } from '../src/index.js';
import { mulhi32 } from '../src/rng/philox.js';
import { cpu, expectClose, gpu, hasGpu, read } from './harness.js';

const hex = (ws: number[]) => ws.map((w) => w.toString(16).padStart(8, '0')).join(' ');
const u32 = async (t: { toArray(): Promise<ArrayLike<number>> }) => Uint32Array.from(await t.toArray(), (v) => v >>> 0);

/** Sizes that exercise the 4-wide blocks (partial last block) and workgroups of 64 blocks. */
const awkwardSize = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 250, max: 260 }), fc.integer({ min: 1, max: 5000 }));
const anySeed = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 32, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER));
const anyOffset = fc.oneof(fc.nat(1000), fc.constantFrom(2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3));

describe('Philox4x32-10 CPU reference', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    const f = 0xffffffff;
    expect(hex(philox4x32([f, f, f, f], [f, f]))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe(
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    );
  });

  test.prop([fc.nat(0xffffffff), fc.nat(0xffffffff)], { numRuns: 2000 })('mulhi32 (16-bit halves) equals the BigInt product', (a, b) => {
    expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
  });

  it('element i of randomBits is word i % 4 of philox([i/4, 0, offset], seed)', async () => {
    const seed = -3 * 2 ** 33 + 12345; // negative, with a non-trivial high word
    const offset = 2 ** 32 + 7;
    const bits = await u32(randomBits(cpu, [10], { seed, offset }));
    const k: [number, number] = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
    for (let i = 0; i < 10; i++) expect(bits[i]).toBe(philox4x32([i >> 2, 0, 7, 1], k)[i & 3]);
  });

  it('uniforms are the top 24 bits of the words, scaled by 2^-24', async () => {
    const key = { seed: 99, offset: 3 };
    const bits = await u32(randomBits(cpu, [1001], key));
    const uni = await read(randomUniform(cpu, [1001], key));
    for (let i = 0; i < bits.length; i++) expect(uni[i]).toBe((bits[i] >>> 8) * 2 ** -24);
    const scaled = await read(randomUniform(cpu, [1001], key, -2, 3));
    for (let i = 0; i < bits.length; i++) expect(scaled[i]).toBe(Math.fround(-2 + Math.fround(5 * uni[i])));
  });

  it('different offsets and seeds give different, non-overlapping streams', async () => {
    const a = await u32(randomBits(cpu, [4096], { seed: 1 }));
    const b = await u32(randomBits(cpu, [4096], { seed: 1, offset: 1 }));
    const c = await u32(randomBits(cpu, [4096], { seed: 1 + 2 ** 32 })); // only the high key word differs
    const d = await u32(randomBits(cpu, [4096], { seed: 1, offset: 2 ** 32 })); // only the high offset word differs
    const words = new Set(a);
    for (const other of [b, c, d]) {
      expect(other).not.toEqual(a);
      // No shifted copy either: with 2^32 possible words, a 4096-word overlap would show thousands of repeats.
      expect(other.filter((w) => words.has(w)).length).toBeLessThan(5);
    }
    expect(await u32(randomBits(cpu, [4096], { seed: 1, offset: 0 }))).toEqual(a); // offset defaults to 0
  });

  it('uniform and normal statistics on the CPU (10^5 draws)', async () => {
    await checkStats(cpu, 100_000);
  });

  it('rejects bad keys, bounds and shapes naming the op', () => {
    expect(() => randomUniform(cpu, [2], { seed: 1.5 })).toThrow(/randomUniform: key.seed must be a safe integer, got 1.5/);
    expect(() => randomUniform(cpu, [2], { seed: 2 ** 53 })).toThrow(/key.seed must be a safe integer/);
    expect(() => randomBits(cpu, [2], { seed: 1, offset: -1 })).toThrow(/randomBits: key.offset must be a non-negative safe integer, got -1/);
    expect(() => randomUniform(cpu, [2], { seed: 1 }, 1, 0)).toThrow(/lo <= hi, got lo=1, hi=0/);
    expect(() => randomNormal(cpu, [2], { seed: 1 }, 0, -1)).toThrow(/std finite and >= 0, got mean=0, std=-1/);
    expect(() => randomNormal(cpu, [2, -1], { seed: 1 })).toThrow(/randomNormal: shape must hold non-negative integers/);
    expect(() => randomBits(cpu, [2], undefined as unknown as RngKey)).toThrow(/randomBits: key must be an object/);
  });

  it('empty shapes and scalars', async () => {
    expect((await read(randomUniform(cpu, [0, 3], { seed: 1 }))).length).toBe(0);
    expect((await read(randomNormal(cpu, [], { seed: 1 }))).length).toBe(1);
  });
});

/**
 * Moments of 'n' uniforms and normals. Bounds are ~6 standard errors (false alarm < 1e-8 per check; the seeds are
 * fixed anyway): mean of U(0,1): sd 0.289/sqrt(n); variance: sd 0.0745/sqrt(n) (fourth central moment 1/80);
 * normal mean: sd 1/sqrt(n); normal std: sd 0.707/sqrt(n). Plus a 16-bin chi-square of the uniforms against the
 * df = 15 critical value at p = 0.001 (37.70), and P(|z| < 1.96) = 0.95 +- 6 sd.
 */
async function checkStats(dev: Device, n: number): Promise<void> {
  const u = await read(randomUniform(dev, [n], { seed: 20240601, offset: 5 }));
  let s = 0;
  let s2 = 0;
  const bins = new Array<number>(16).fill(0);
  let outside = 0;
  for (const v of u) {
    if (!(v >= 0 && v < 1)) outside++;
    s += v;
    s2 += v * v;
    bins[Math.floor(v * 16)]++;
  }
  expect(outside).toBe(0);
  const mean = s / n;
  const variance = s2 / n - mean * mean;
  const se = 6 / Math.sqrt(n);
  expect(Math.abs(mean - 0.5)).toBeLessThan(0.289 * se);
  expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.0745 * se);
  const chi2 = bins.reduce((acc, b) => acc + (b - n / 16) ** 2 / (n / 16), 0);
  expect(chi2).toBeLessThan(37.7);

  const z = await read(randomNormal(dev, [n], { seed: 777 }, 0, 1));
  let zs = 0;
  let zs2 = 0;
  let inside = 0;
  for (const v of z) {
    zs += v;
    zs2 += v * v;
    if (Math.abs(v) < 1.959964) inside++;
  }
  const zm = zs / n;
  const zsd = Math.sqrt(zs2 / n - zm * zm);
  expect(Math.abs(zm)).toBeLessThan(se);
  expect(Math.abs(zsd - 1)).toBeLessThan(0.707 * se);
  expect(Math.abs(inside / n - 0.95)).toBeLessThan(Math.sqrt(0.95 * 0.05) * se);

  const shifted = await read(randomNormal(dev, [n], { seed: 777 }, 3, 2));
  expectClose(shifted, z.map((v) => 3 + 2 * v), { atol: 1e-5, rtol: 1e-6 }, 'mean + std * z');
}

describe.runIf(hasGpu)('rng kernels: WGSL equals the CPU reference', () => {
  test.prop([awkwardSize, anySeed, anyOffset], { numRuns: 40 })('bits are bit-identical', async (n, seed, offset) => {
    const g = await gpu();
    const key = { seed, offset };
    expect(await u32(randomBits(g, [n], key))).toEqual(await u32(randomBits(cpu, [n], key)));
  });

  test.prop([awkwardSize, anySeed, anyOffset], { numRuns: 40 })('uniforms in [0, 1) are bit-identical', async (n, seed, offset) => {
    const g = await gpu();
    const key = { seed, offset };
    const got = await read(randomUniform(g, [n], key));
    expect(got).toEqual(await read(randomUniform(cpu, [n], key)));
  });

  // lo + (hi - lo) * u may be one fused multiply-add on the GPU: 1 ulp of the result.
  test.prop([awkwardSize, fc.integer(), fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true })], {
    numRuns: 25,
  })('scaled uniforms agree to 1 ulp', async (n, seed, lo, width) => {
    const g = await gpu();
    const key = { seed };
    const want = await read(randomUniform(cpu, [n], key, lo, lo + width));
    const got = await read(randomUniform(g, [n], key, lo, lo + width));
    expectClose(got, want, { atol: 2 ** -24 * (Math.abs(lo) + width), rtol: 2 ** -23 }, `uniform [${lo}, ${lo + width})`);
  });

  // Same uniforms; only sqrt/log/sin/cos accuracy differs. |z| <= sqrt(2 ln 2^24) = 5.77; the radius near u1 = 1
  // uses a series (rng.wgsl), so lavapipe's max |z_gpu - z_cpu| over 2^21 draws is 9.5e-7. 1e-5 leaves room for
  // hardware sin/cos (~4e-7 absolute on [-pi, pi], times the radius).
  test.prop([awkwardSize, anySeed, fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 4, noNaN: true })], { numRuns: 25 })(
    'normals agree within the transcendental tolerance',
    async (n, seed, mean, std) => {
      const g = await gpu();
      const key = { seed, offset: 11 };
      const want = await read(randomNormal(cpu, [n], key, mean, std));
      const got = await read(randomNormal(g, [n], key, mean, std));
      expectClose(got, want, { atol: 1e-5 * Math.max(1, std) + 1e-6 * Math.abs(mean), rtol: 1e-6 }, 'normal');
    },
  );

  it('uniform and normal statistics on the GPU (2^20 draws), one dispatch each', async () => {
    const g = await gpu();
    await checkStats(g, 2 ** 20);
    const before = g.stats().dispatches;
    randomUniform(g, [5, 7], { seed: 1 }).dispose();
    randomNormal(g, [5, 7], { seed: 1 }).dispose();
    randomBits(g, [5, 7], { seed: 1 }).dispose();
    expect(g.stats().dispatches - before).toBe(3);
  });

  it('large tensors fold the grid into y and still match the CPU', async () => {
    const g = await gpu();
    const n = 65535 * 64 * 4 + 13; // more than 65535 workgroups of 64 blocks
    const key = { seed: 5, offset: 9 };
    const got = new Uint32Array(((await randomBits(g, [n], key).toArray()) as Int32Array).buffer);
    expect(got.length).toBe(n);
    // The CPU reference for 4000 indices spread over the whole range (all of it would take the CPU seconds).
    const k: [number, number] = [5, 0];
    let bad = 0;
    for (let t = 0; t < 4000; t++) {
      const i = t < 1000 ? t : t < 2000 ? n - 1 - (t - 1000) : Math.floor(((t - 2000) / 2000) * n);
      if (got[i] !== philox4x32([i >> 2, 0, 9, 0], k)[i & 3]) bad++;
    }
    expect(bad).toBe(0);
  });
});
