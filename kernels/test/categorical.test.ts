import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  categoricalEntropy,
  categoricalKL,
  categoricalKLGrad,
  categoricalSample,
  categoricalSampleGrad,
  randomUniform,
  scope,
  tensor,
  type Device,
  type Tensor,
} from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

const ln = Math.log;

/** Logits of a given shape: uniform in [-a, a], or a mix with +-50 extremes and ties when `extreme`. */
function logitsData(n: number, seed: number, extreme: boolean, a = 4): Float32Array {
  const x = randomArray(n, seed, -a, a);
  if (!extreme) return x;
  const pick = randomArray(n, seed ^ 0x5bd1e995, 0, 1);
  for (let i = 0; i < n; i++) {
    if (pick[i] < 0.2) x[i] = 50;
    else if (pick[i] < 0.4) x[i] = -50;
    else if (pick[i] < 0.5) x[i] = 0; // ties
  }
  return x;
}

/** Index of the 1 in each one-hot row; throws unless every row holds exactly one 1 and zeros elsewhere. */
function argOneHot(sample: Float32Array, C: number): Int32Array {
  const rows = sample.length / C;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let k = -1;
    for (let c = 0; c < C; c++) {
      const v = sample[r * C + c];
      if (v === 1 && k < 0) k = c;
      else if (v !== 0) throw new Error(`row ${r} is not one-hot: [${Array.from(sample.subarray(r * C, r * C + C))}]`);
    }
    if (k < 0) throw new Error(`row ${r} has no 1`);
    out[r] = k;
  }
  return out;
}

/** Central finite differences of a scalar CPU objective along every element of x. */
async function finiteDiff(x: Float32Array, h: number, objective: (x: Float32Array) => Promise<number>): Promise<Float64Array> {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xp = x.slice();
    const xm = x.slice();
    xp[i] += h;
    xm[i] -= h;
    g[i] = ((await objective(xp)) - (await objective(xm))) / (xp[i] - xm[i]);
  }
  return g;
}

/** Bit-for-bit equality of two arrays (fast on large arrays, unlike toEqual); names the first difference. */
function expectIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) throw new Error(`${what}: ${bad}/${actual.length} elements differ; first at [${first}]: got ${actual[first]}, expected ${expected[first]}`);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe('categorical ops on the CPU reference', () => {
  it('KL matches hand-computed values, summed over the last two axes', async () => {
    // Row 0: p = [1/4, 3/4], q = [1/2, 1/2]. Row 1: p = [1/2, 1/2], q = [1/5, 4/5]. Shape [1, 2, 2] -> [1].
    const p = tensor(cpu, [0, ln(3), 0, 0], [1, 2, 2]);
    const q = tensor(cpu, [0, 0, 0, ln(4)], [1, 2, 2]);
    const row0 = 0.25 * ln(0.25 / 0.5) + 0.75 * ln(0.75 / 0.5);
    const row1 = 0.5 * ln(0.5 / 0.2) + 0.5 * ln(0.5 / 0.8);
    const kl = categoricalKL(p, q);
    expect(kl.shape).toEqual([1]);
    expectClose(await read(kl), [row0 + row1], { atol: 0, rtol: 1e-6 }, 'KL');
    // unimix 0.2 mixes both sides: p' = 0.8 p + 0.1.
    const mix = (v: number) => 0.8 * v + 0.1;
    const term = (a: number, b: number) => mix(a) * ln(mix(a) / mix(b));
    const want = term(0.25, 0.5) + term(0.75, 0.5) + term(0.5, 0.2) + term(0.5, 0.8);
    expectClose(await read(categoricalKL(p, q, 0.2)), [want], { atol: 0, rtol: 1e-6 }, 'KL unimix');
    // [B, T, V, C] -> [B, T]; rank 2 -> a scalar.
    expect(categoricalKL(tensor(cpu, new Float32Array(2 * 3 * 4 * 5), [2, 3, 4, 5]), tensor(cpu, new Float32Array(120), [2, 3, 4, 5])).shape).toEqual([2, 3]);
    expect(categoricalKL(tensor(cpu, [0, 1], [1, 2]), tensor(cpu, [0, 1], [1, 2])).shape).toEqual([]);
  });

  it('KL of identical logits is exactly 0, also for extreme logits and with unimix', async () => {
    const x = logitsData(4 * 32 * 32, 3, true);
    for (const u of [0, 0.01]) {
      const kl = await read(categoricalKL(tensor(cpu, x, [4, 32, 32]), tensor(cpu, x, [4, 32, 32]), u));
      expect(Array.from(kl)).toEqual([0, 0, 0, 0]);
    }
  });

  it('entropy: uniform logits give V ln C, a near one-hot gives ~0, unimix raises the floor', async () => {
    expectClose(await read(categoricalEntropy(tensor(cpu, new Float32Array(3 * 32), [3, 32]))), [3 * ln(32)], { atol: 0, rtol: 1e-6 });
    const peaked = new Float32Array(8).fill(-50);
    peaked[2] = 50;
    expectClose(await read(categoricalEntropy(tensor(cpu, peaked, [1, 8]))), [0], { atol: 1e-30, rtol: 0 });
    const u = 0.1;
    const top = 1 - u + u / 8;
    const low = u / 8;
    expectClose(await read(categoricalEntropy(tensor(cpu, peaked, [1, 8]), u)), [-(top * ln(top) + 7 * low * ln(low))], { atol: 0, rtol: 1e-5 });
  });

  it('sample is one-hot, probs sum to 1 and the unimix floor is unimix / C', async () => {
    const C = 32;
    const x = logitsData(200 * C, 7, true);
    for (const unimix of [0, 0.01, 0.3]) {
      const { sample, probs } = categoricalSample(tensor(cpu, x, [10, 20, C]), { key: { seed: 1 }, unimix });
      expect(sample.shape).toEqual([10, 20, C]);
      argOneHot(await read(sample), C);
      const p = await read(probs);
      for (let r = 0; r < 200; r++) {
        const row = p.subarray(r * C, r * C + C);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
        expect(Math.min(...row)).toBeGreaterThanOrEqual(Math.fround(unimix / C) * (1 - 1e-6));
      }
    }
    // A single dominant class: the others sit exactly at the floor (f32), the winner at 1 - u + u/C.
    const peaked = new Float32Array(C).fill(-50);
    peaked[5] = 50;
    const p = await read(categoricalSample(tensor(cpu, peaked, [1, C]), { key: { seed: 2 }, unimix: 0.01 }).probs);
    for (let c = 0; c < C; c++) expectClose([p[c]], [c === 5 ? 0.99 + 0.01 / C : 0.01 / C], { atol: 0, rtol: 1e-6 }, `class ${c}`);
  });

  it('row r uses element r of randomUniform(key): the inverse CDF of probs at that uniform', async () => {
    // Two equal classes: class 1 exactly when u_r >= 1/2 (the integer weights are equal, so this is exact).
    const rows = 4096;
    const key = { seed: 12345, offset: 77 };
    const u = await read(randomUniform(cpu, [rows], key));
    const k = argOneHot(await read(categoricalSample(tensor(cpu, new Float32Array(rows * 2), [rows, 2]), { key }).sample), 2);
    for (let r = 0; r < rows; r++) expect(k[r]).toBe(u[r] >= 0.5 ? 1 : 0);
    // General logits and unimix: the f64 inverse CDF of the returned probs agrees except within 1e-5 of a
    // boundary (the sampler's integer weights match exp to ~1e-5 relative).
    for (const unimix of [0, 0.05]) {
      const C = 7;
      const x = logitsData(rows * C, 11, false);
      const { sample, probs } = categoricalSample(tensor(cpu, x, [rows, C]), { key, unimix });
      const ks = argOneHot(await read(sample), C);
      const p = await read(probs);
      let boundary = 0;
      for (let r = 0; r < rows; r++) {
        let cdf = 0;
        let want = C - 1;
        let near = false;
        for (let c = 0; c < C; c++) {
          cdf += p[r * C + c];
          if (Math.abs(cdf - u[r]) < 1e-5) near = true;
          if (u[r] < cdf) {
            want = c;
            break;
          }
        }
        if (ks[r] !== want) {
          expect(near, `row ${r}: class ${ks[r]} but the inverse CDF at u=${u[r]} is ${want}`).toBe(true);
          boundary++;
        }
      }
      expect(boundary).toBeLessThan(3);
    }
  });

  it('the same key gives the same samples; other offsets and seeds give others', async () => {
    const x = tensor(cpu, logitsData(500 * 16, 5, false, 1), [500, 16]);
    const draw = async (seed: number, offset?: number) => argOneHot(await read(categoricalSample(x, { key: { seed, offset } }).sample), 16);
    const a = await draw(3);
    expect(await draw(3, 0)).toEqual(a);
    for (const b of [await draw(3, 1), await draw(4), await draw(3 + 2 ** 32)]) {
      const same = a.filter((v, i) => v === b[i]).length;
      expect(same).toBeLessThan(200); // independent draws agree on ~1/16 of 500 rows
    }
  });

  it('categoricalSampleGrad equals the finite-difference JVP of the CPU probs', async () => {
    for (const unimix of [0, 0.1]) {
      const shape = [3, 5];
      const x = logitsData(15, 21, false, 2);
      const dS = randomArray(15, 22, -1, 1);
      const key = { seed: 1 };
      const fd = await finiteDiff(x, 1e-2, async (xx) => dot(dS, await read(categoricalSample(tensor(cpu, xx, shape), { key, unimix }).probs)));
      const probs = categoricalSample(tensor(cpu, x, shape), { key, unimix }).probs;
      const got = await read(categoricalSampleGrad(tensor(cpu, dS, shape), probs, unimix));
      // f32 forward: FD noise ~ 5 * 6e-8 / 2e-2 and truncation h^2/6 |f'''| <~ 2e-5.
      expectClose(got, fd, { atol: 1e-4, rtol: 1e-3 }, `sample grad unimix=${unimix}`);
    }
  });

  it('categoricalKLGrad equals finite differences of the CPU KL, scaled by each weight', async () => {
    for (const unimix of [0, 0.1]) {
      const shape = [2, 3, 4];
      const a = logitsData(24, 31, false, 2);
      const b = logitsData(24, 32, false, 2);
      const dkl = randomArray(2, 33, 0.5, 2);
      const obj = async (aa: Float32Array, bb: Float32Array) => dot(dkl, await read(categoricalKL(tensor(cpu, aa, shape), tensor(cpu, bb, shape), unimix)));
      const fdA = await finiteDiff(a, 1e-2, (aa) => obj(aa, b));
      const fdB = await finiteDiff(b, 1e-2, (bb) => obj(a, bb));
      const { dp, dq } = categoricalKLGrad(tensor(cpu, dkl, [2]), tensor(cpu, a, shape), tensor(cpu, b, shape), 0.2, 0.8, unimix);
      // KL <~ 10 in f32: FD noise ~ 1e-6 / 2e-2; truncation h^2/6 |f'''| <~ 1e-4.
      const tol = { atol: 2e-4, rtol: 2e-3 };
      expectClose(await read(dp!), fdA.map((v) => 0.2 * v), tol, `dp unimix=${unimix}`);
      expectClose(await read(dq!), fdB.map((v) => 0.8 * v), tol, `dq unimix=${unimix}`);
      // A zero weight skips that output.
      const onlyQ = categoricalKLGrad(tensor(cpu, dkl, [2]), tensor(cpu, a, shape), tensor(cpu, b, shape), 0, 1, unimix);
      expect(onlyQ.dp).toBeNull();
      expectClose(await read(onlyQ.dq!), fdB, tol, 'dq alone');
      const onlyP = categoricalKLGrad(tensor(cpu, dkl, [2]), tensor(cpu, a, shape), tensor(cpu, b, shape), 1, 0, unimix);
      expect(onlyP.dq).toBeNull();
      expectClose(await read(onlyP.dp!), fdA, tol, 'dp alone');
    }
  });

  it('rejects bad input naming the op, the expected and the actual', () => {
    const x = tensor(cpu, new Float32Array(12), [2, 2, 3]);
    const key = { seed: 1 };
    expect(() => categoricalSample(x, { key, unimix: 1 })).toThrow(/categoricalSample: unimix must be a number in \[0, 1\), got 1/);
    expect(() => categoricalSample(x, { key: { seed: 0.5 } })).toThrow(/categoricalSample: key.seed must be a safe integer, got 0.5/);
    expect(() => categoricalSample(tensor(cpu, new Int32Array(3)), { key })).toThrow(/categoricalSample: logits must have dtype f32, got i32/);
    expect(() => categoricalSample(tensor(cpu, [1]).reshape([]), { key })).toThrow(/logits must have rank >= 1/);
    expect(() => categoricalSample(tensor(cpu, new Float32Array(0), [3, 0]), { key })).toThrow(/last axis \(classes\) >= 1, got shape \[3,0\]/);
    expect(() => categoricalKL(x, tensor(cpu, new Float32Array(12), [2, 3, 2]))).toThrow(/categoricalKL: qLogits must have the shape of pLogits \[2,2,3\], got \[2,3,2\]/);
    expect(() => categoricalKL(tensor(cpu, [1, 2, 3]), tensor(cpu, [1, 2, 3]))).toThrow(/categoricalKL: pLogits must have rank >= 2/);
    expect(() => categoricalKLGrad(tensor(cpu, [1, 2, 3]), x, x, 1, 1)).toThrow(/categoricalKLGrad: dkl must have shape \[2\] .*got \[3\]/);
    expect(() => categoricalKLGrad(tensor(cpu, [1, 2]), x, x, NaN, 1)).toThrow(/weights must be finite numbers, got wP=NaN, wQ=1/);
    expect(() => categoricalSampleGrad(tensor(cpu, [1, 2]), x)).toThrow(/categoricalSampleGrad: dSample must have the shape of probs \[2,2,3\], got \[2\]/);
    expect(() => categoricalEntropy(x, -0.1)).toThrow(/categoricalEntropy: unimix must be a number in \[0, 1\), got -0.1/);
  });
});

// ---- GPU ---------------------------------------------------------------------------------------------------------

/** Class counts C: 1 and 2, primes around the DreamerV2 32, a non-power-of-two 100. */
const classCounts = fc.constantFrom(1, 2, 3, 31, 32, 33, 100);
const leading = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 3 });
/** Leading dims of the [..., V, C] ops (V up to 40, so the totals stay ~1e5). */
const smallLeading = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 2 });
const unimixes = fc.constantFrom(0, 0.01, 0.5);

// f32 softmax on the GPU vs f64 on the CPU: exp/log on lavapipe are ~1e-6 relative; sums of <= 100 terms.
const PROB_TOL = { atol: 1e-6, rtol: 1e-5 };
// KL/entropy sums over V*C terms of magnitude up to ~100 (+-50 logits) in f32: relative 1e-5 of the total plus
// 2e-5 per row of absolute error for the terms that cancel.
const klTol = (V: number) => ({ atol: 2e-5 * Math.max(1, V), rtol: 1e-4 });

async function onBoth<T>(f: (d: Device) => T, g: Device): Promise<[T, T]> {
  return [f(cpu), f(g)];
}

describe.runIf(hasGpu)('categorical kernels: WGSL equals the CPU reference', () => {
  test.prop([leading, classCounts, fc.boolean(), unimixes, fc.integer(), fc.nat(1000)], { numRuns: 50 })(
    'samples are bit-identical and probs close (random shapes, extreme logits)',
    async (lead, C, extreme, unimix, seed, offset) => {
      const g = await gpu();
      const shape = [...lead, C];
      const x = logitsData(shape.reduce((a, b) => a * b, 1), seed, extreme);
      const key = { seed, offset };
      const [want, got] = await onBoth((d) => categoricalSample(tensor(d, x, shape), { key, unimix }), g);
      expectIdentical(await read(got.sample), await read(want.sample), `sample ${shape} unimix=${unimix}`);
      expectClose(await read(got.probs), await read(want.probs), PROB_TOL, `probs C=${C}`);
    },
  );

  it('DreamerV2 latents [800, 32, 32] (25600 rows): bit-identical samples in one dispatch', async () => {
    const g = await gpu();
    const shape = [800, 32, 32];
    const x = logitsData(800 * 32 * 32, 99, false, 3);
    const key = { seed: 2024, offset: 17 };
    for (const unimix of [0, 0.01]) {
      const lg = tensor(g, x, shape);
      await g.sync();
      const before = g.stats().dispatches;
      const t0 = performance.now();
      const got = categoricalSample(lg, { key, unimix });
      const gotSample = await read(got.sample);
      const ms = performance.now() - t0;
      expect(g.stats().dispatches - before).toBe(1);
      const want = categoricalSample(tensor(cpu, x, shape), { key, unimix });
      expectIdentical(gotSample, await read(want.sample), `sample unimix=${unimix}`);
      expectClose(await read(got.probs), await read(want.probs), PROB_TOL, 'probs');
      console.log(`categoricalSample [800,32,32] unimix=${unimix}: ${ms.toFixed(1)} ms on ${g.label} (incl. readback)`);
    }
  });

  it('larger C (1000, 4099) works and matches', async () => {
    const g = await gpu();
    for (const [rows, C] of [
      [7, 1000],
      [3, 4099],
    ]) {
      const x = logitsData(rows * C, C, false, 6);
      for (const unimix of [0, 0.01]) {
        const [want, got] = await onBoth((d) => categoricalSample(tensor(d, x, [rows, C]), { key: { seed: C }, unimix }), g);
        expectIdentical(await read(got.sample), await read(want.sample), `sample C=${C}`);
        expectClose(await read(got.probs), await read(want.probs), PROB_TOL, `probs C=${C}`);
        const [wk, gk] = await onBoth((d) => categoricalKL(tensor(d, x, [rows, C]), tensor(d, x.slice().reverse(), [rows, C]), unimix), g);
        expectClose(await read(gk), await read(wk), klTol(rows), `KL C=${C}`);
      }
    }
  });

  /**
   * Chi-square goodness of fit of GPU samples to the returned probs, at fixed seeds. Thresholds are the chi-square
   * critical values at p = 0.001: df = 7 -> 24.32, df = 31 -> 61.10.
   */
  it('sampled class frequencies match the probabilities (chi-square, p = 0.001)', async () => {
    const g = await gpu();
    const cases = [
      { C: 8, rows: 40_000, unimix: 0, logits: [0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02].map(ln), crit: 24.32 },
      { C: 32, rows: 64_000, unimix: 0.01, logits: Array.from(randomArray(32, 8, -3, 3)), crit: 61.1 },
    ];
    for (const { C, rows, unimix, logits, crit } of cases) {
      const x = new Float32Array(rows * C);
      for (let r = 0; r < rows; r++) x.set(logits, r * C);
      const { sample, probs } = categoricalSample(tensor(g, x, [rows, C]), { key: { seed: 31337, offset: C }, unimix });
      const k = argOneHot(await read(sample), C);
      const p = (await read(probs)).subarray(0, C);
      const counts = new Array<number>(C).fill(0);
      for (const v of k) counts[v]++;
      let chi2 = 0;
      for (let c = 0; c < C; c++) {
        const e = rows * p[c];
        expect(e).toBeGreaterThan(5);
        chi2 += (counts[c] - e) ** 2 / e;
      }
      expect(chi2, `C=${C}: chi2=${chi2.toFixed(2)} counts=${counts}`).toBeLessThan(crit);
    }
  });

  test.prop([smallLeading, fc.integer({ min: 1, max: 40 }), classCounts, fc.boolean(), unimixes, fc.integer()], { numRuns: 40 })(
    'KL and entropy',
    async (lead, V, C, extreme, unimix, seed) => {
      const g = await gpu();
      const shape = [...lead, V, C];
      const n = shape.reduce((a, b) => a * b, 1);
      const a = logitsData(n, seed, extreme);
      const b = logitsData(n, seed + 1, extreme);
      const [wk, gk] = await onBoth((d) => categoricalKL(tensor(d, a, shape), tensor(d, b, shape), unimix), g);
      expect(gk.shape).toEqual(lead);
      expectClose(await read(gk), await read(wk), klTol(V), `KL ${shape}`);
      const [wh, gh] = await onBoth((d) => categoricalEntropy(tensor(d, a, shape), unimix), g);
      expectClose(await read(gh), await read(wh), klTol(V), `entropy ${shape}`);
      const same = await read(categoricalKL(tensor(g, a, shape), tensor(g, a, shape), unimix));
      expect(same.every((v) => v === 0)).toBe(true);
    },
  );

  test.prop([smallLeading, fc.integer({ min: 1, max: 20 }), classCounts, fc.boolean(), unimixes, fc.constantFrom([0.8, 0.2], [0, 1], [1, 0], [0.5, 0.5])], {
    numRuns: 40,
  })('KL gradients', async (lead, V, C, extreme, unimix, [wP, wQ]) => {
    const g = await gpu();
    const shape = [...lead, V, C];
    const n = shape.reduce((a, b) => a * b, 1);
    const a = logitsData(n, n + C, extreme);
    const b = logitsData(n, n + C + 1, extreme);
    const d = randomArray(Math.max(1, lead.reduce((x, y) => x * y, 1)), 3, -2, 2);
    const [want, got] = await onBoth((dev) => categoricalKLGrad(tensor(dev, d, lead), tensor(dev, a, shape), tensor(dev, b, shape), wP, wQ, unimix), g);
    // Gradients are differences of probabilities scaled by log-ratios up to ~100 (+-50 logits).
    const tol = { atol: extreme ? 5e-5 : 5e-6, rtol: 1e-4 };
    expect(got.dp === null).toBe(wP === 0);
    expect(got.dq === null).toBe(wQ === 0);
    if (got.dp) expectClose(await read(got.dp), await read(want.dp!), tol, `dp ${shape}`);
    if (got.dq) expectClose(await read(got.dq), await read(want.dq!), tol, `dq ${shape}`);
  });

  test.prop([leading, classCounts, fc.boolean(), unimixes, fc.integer()], { numRuns: 40 })('straight-through sample gradient', async (lead, C, extreme, unimix, seed) => {
    const g = await gpu();
    const shape = [...lead, C];
    const n = shape.reduce((a, b) => a * b, 1);
    const x = logitsData(n, seed, extreme);
    const dS = randomArray(n, seed + 1, -1, 1);
    const probs = await read(categoricalSample(tensor(cpu, x, shape), { key: { seed }, unimix }).probs);
    const [want, got] = await onBoth((d) => categoricalSampleGrad(tensor(d, dS, shape), tensor(d, probs, shape), unimix), g);
    expectClose(await read(got), await read(want), { atol: 1e-6, rtol: 1e-5 }, `sample grad ${shape}`);
  });

  it('every op is one dispatch and releases its intermediates', async () => {
    const g = await gpu();
    const x = tensor(g, logitsData(4 * 8 * 32 * 32, 1, false), [4, 8, 32, 32]);
    const y = tensor(g, logitsData(4 * 8 * 32 * 32, 2, false), [4, 8, 32, 32]);
    const dkl = tensor(g, randomArray(32, 3), [4, 8]);
    await g.sync();
    const live = g.stats().liveBuffers;
    const count = (f: () => unknown) => {
      const before = g.stats().dispatches;
      scope(() => {
        f();
      });
      return g.stats().dispatches - before;
    };
    expect(count(() => categoricalSample(x, { key: { seed: 1 }, unimix: 0.01 }))).toBe(1);
    expect(count(() => categoricalSampleGrad(y, x, 0.01))).toBe(1);
    expect(count(() => categoricalKL(x, y, 0.01))).toBe(1);
    expect(count(() => categoricalKLGrad(dkl, x, y, 0.2, 0.8, 0.01))).toBe(1);
    expect(count(() => categoricalKLGrad(dkl, x, y, 0, 0.8))).toBe(1);
    expect(count(() => categoricalEntropy(x))).toBe(1);
    await g.sync();
    expect(g.stats().liveBuffers).toBe(live);
    for (const t of [x, y, dkl] as Tensor[]) t.dispose();
  });
});
