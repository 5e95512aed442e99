import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { layerNorm, layerNormBackward, tensor, type Device, type Tensor } from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

/** Row sizes that hit both kernel layouts (>= 64 rows: a thread per row; fewer: 32/64 threads share a row). */
const ROWS = fc.oneof(fc.constantFrom(1, 2, 3, 7, 31, 63, 64, 65, 97), fc.integer({ min: 1, max: 130 }));
/** Feature sizes: 1, primes, DreamerV2's 3 * 200, and sizes that are no multiple of 32/64. */
const COLS = fc.oneof(fc.constantFrom(1, 2, 7, 31, 33, 200, 600, 2053), fc.integer({ min: 1, max: 700 }));

interface Case {
  x: Float32Array;
  gamma: Float32Array | null;
  beta: Float32Array | null;
  rows: number;
  cols: number;
}

function makeCase(rows: number, cols: number, seed: number, affine: number, offset = 0, scale = 1): Case {
  const x = randomArray(rows * cols, seed, offset - scale, offset + scale);
  const gamma = affine & 1 ? randomArray(cols, seed + 1, -2, 2) : null;
  const beta = affine & 2 ? randomArray(cols, seed + 2, -1, 1) : null;
  return { x, gamma, beta, rows, cols };
}

function up(dev: Device, c: Case) {
  return {
    x: tensor(dev, c.x, [c.rows, c.cols]),
    gamma: c.gamma ? tensor(dev, c.gamma) : null,
    beta: c.beta ? tensor(dev, c.beta) : null,
  };
}

async function forward(dev: Device, c: Case, eps = 1e-3) {
  const t = up(dev, c);
  const r = layerNorm(t.x, t.gamma, t.beta, eps);
  return { y: await read(r.y), mean: await read(r.mean), rstd: await read(r.rstd) };
}

async function backward(dev: Device, c: Case, dy: Float32Array, eps = 1e-3) {
  const t = up(dev, c);
  const f = layerNorm(t.x, t.gamma, t.beta, eps);
  // parameter gradients whenever the case has gamma or beta (layerNormBackward gives them by default with gamma)
  const g = layerNormBackward(tensor(dev, dy, [c.rows, c.cols]), t.x, t.gamma, f.mean, f.rstd, c.gamma !== null || c.beta !== null);
  return {
    dx: await read(g.dx),
    dgamma: g.dgamma ? await read(g.dgamma) : null,
    dbeta: g.dbeta ? await read(g.dbeta) : null,
  };
}

/**
 * Tolerances, GPU (f32 sums, serial or tree order, lavapipe's inverseSqrt) against the CPU reference (f64 sums
 * rounded to f32). The shifted mean makes the mean's error relative to the spread of a row, not its offset;
 * per-element outputs then carry ~sqrt(cols) ulp of sum error times |gamma| <= 2: 1e-5 relative to the spread
 * of a row is ample. The spread is `scale` in the inputs, so atol scales with it where it is in x's units.
 */
const TOL_Y = { atol: 2e-5, rtol: 1e-4 };
const TOL_RSTD = { atol: 0, rtol: 1e-4 };
// dgamma / dbeta sum up to 130 rows of O(1) terms of both signs: absolute error ~ rows * ulp.
const TOL_PARAM = { atol: 1e-4, rtol: 1e-4 };

describe.runIf(hasGpu)('layerNorm: WGSL equals the CPU reference', () => {
  test.prop([ROWS, COLS, fc.integer({ min: 0, max: 3 }), fc.integer()], { numRuns: 40 })(
    'forward on awkward sizes, with and without gamma/beta',
    async (rows, cols, affine, seed) => {
      const g = await gpu();
      const c = makeCase(rows, cols, seed, affine);
      const want = await forward(cpu, c);
      const got = await forward(g, c);
      const what = `rows=${rows} cols=${cols} affine=${affine}`;
      // the mean's f32 sum of cols terms of spread 1 (serial on the GPU): up to ~cols/2 ulp of a partial sum
      expectClose(got.mean, want.mean, { atol: 1e-5, rtol: 1e-5 }, `mean ${what}`);
      expectClose(got.rstd, want.rstd, TOL_RSTD, `rstd ${what}`);
      expectClose(got.y, want.y, TOL_Y, `y ${what}`);
    },
  );

  test.prop([ROWS, COLS, fc.integer({ min: 0, max: 3 }), fc.integer()], { numRuns: 40 })(
    'backward (dx, dgamma, dbeta) on awkward sizes',
    async (rows, cols, affine, seed) => {
      const g = await gpu();
      const c = makeCase(rows, cols, seed, affine);
      const dy = randomArray(rows * cols, seed + 7, -1, 1);
      const want = await backward(cpu, c, dy);
      const got = await backward(g, c, dy);
      const what = `rows=${rows} cols=${cols} affine=${affine}`;
      // dx = rstd * (dn - mean(dn) - n mean(dn n)): two row sums, each ~sqrt(cols) ulp; cancellation between the
      // terms is absolute, so atol relative to |dn| ~ |gamma dy| <= 2.
      expectClose(got.dx, want.dx, { atol: 5e-5, rtol: 1e-4 }, `dx ${what}`);
      expect(got.dgamma === null).toBe(affine === 0);
      if (got.dgamma) expectClose(got.dgamma, want.dgamma!, TOL_PARAM, `dgamma ${what}`);
      if (got.dbeta) expectClose(got.dbeta, want.dbeta!, TOL_PARAM, `dbeta ${what}`);
    },
  );

  it('extreme inputs: large offsets, tiny and huge spreads, constant rows, one column', async () => {
    const g = await gpu();
    const cases: [string, Case][] = [
      // mean 1e4, spread 1: the shift keeps the mean exact to the input's own f32 resolution
      ['offset 1e4', makeCase(70, 600, 1, 3, 1e4, 1)],
      ['offset -3e5, few rows', makeCase(5, 333, 2, 3, -3e5, 10)],
      // var << eps: rstd ~ 1/sqrt(eps)
      ['spread 1e-4', makeCase(66, 200, 3, 3, 0, 1e-4)],
      ['spread 1e15', makeCase(9, 600, 4, 3, 0, 1e15)],
      ['one column', makeCase(80, 1, 5, 3)],
    ];
    const constant = makeCase(3, 50, 6, 3);
    constant.x.fill(2.5);
    cases.push(['constant rows', constant]);
    for (const [what, c] of cases) {
      const want = await forward(cpu, c);
      const got = await forward(g, c);
      expect(got.y.every(Number.isFinite), `${what}: non-finite y`).toBe(true);
      expectClose(got.rstd, want.rstd, TOL_RSTD, `rstd ${what}`);
      // y is in units of the row's spread (or of 1/sqrt(eps) * spread when var << eps): absolute tolerance holds
      expectClose(got.y, want.y, TOL_Y, `y ${what}`);
      const dy = randomArray(c.rows * c.cols, 11, -1, 1);
      const gb = await backward(g, c, dy);
      const cb = await backward(cpu, c, dy);
      expect(gb.dx.every(Number.isFinite), `${what}: non-finite dx`).toBe(true);
      // dx scales with rstd (1/spread): relative to max |dx|
      const scale = Math.max(1e-30, ...cb.dx.map(Math.abs));
      expectClose(gb.dx, cb.dx, { atol: 1e-4 * scale, rtol: 1e-4 }, `dx ${what}`);
      expectClose(gb.dbeta!, cb.dbeta!, TOL_PARAM, `dbeta ${what}`);
      expectClose(gb.dgamma!, cb.dgamma!, { atol: 1e-3, rtol: 1e-4 }, `dgamma ${what}`);
    }
  });

  it('one dispatch forward, two backward, no leaks', async () => {
    const g = await gpu();
    const c = makeCase(800, 600, 9, 3);
    const t = up(g, c);
    const dy = tensor(g, randomArray(800 * 600, 3), [800, 600]);
    await g.sync();
    const live = g.stats().liveBuffers;
    const d0 = g.stats().dispatches;
    const f = layerNorm(t.x, t.gamma, t.beta);
    expect(g.stats().dispatches - d0).toBe(1);
    const b = layerNormBackward(dy, t.x, t.gamma, f.mean, f.rstd);
    expect(g.stats().dispatches - d0).toBe(3);
    for (const r of [f.y, f.mean, f.rstd, b.dx, b.dgamma!, b.dbeta!]) r.dispose();
    await g.sync();
    expect(g.stats().liveBuffers).toBe(live);
  });
});

// ---- gradient check: the CPU backward against central differences of an independent f64 forward ----

function lnF64(x: Float64Array, rows: number, cols: number, gamma: Float64Array | null, beta: Float64Array | null, eps: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m += x[r * cols + c];
    m /= cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[r * cols + c] - m) ** 2;
    v /= cols;
    for (let c = 0; c < cols; c++) {
      y[r * cols + c] = ((x[r * cols + c] - m) / Math.sqrt(v + eps)) * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
    }
  }
  return y;
}

describe('layerNorm CPU reference', () => {
  test.prop([fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }), fc.integer()], { numRuns: 40 })(
    'backward equals central finite differences of the f64 forward',
    async (rows, cols, affine, seed) => {
      const eps = 1e-3;
      const c = makeCase(rows, cols, seed, affine, 0, 1.5);
      const w = randomArray(rows * cols, seed + 3, -1, 1); // loss = sum(w * y), so dy = w
      const got = await backward(cpu, c, w, eps);
      const x = Float64Array.from(c.x);
      const gm = c.gamma ? Float64Array.from(c.gamma) : null;
      const bt = c.beta ? Float64Array.from(c.beta) : null;
      const loss = () => lnF64(x, rows, cols, gm, bt, eps).reduce((s, v, i) => s + v * w[i], 0);
      // step 1e-5 in f64: truncation error ~h^2 * f''' ~ 1e-10 with rstd <= 1/sqrt(eps) ~ 32, round-off ~1e-11
      const h = 1e-5;
      const fd = (arr: Float64Array) =>
        Array.from(arr, (_v, i) => {
          const v0 = arr[i];
          arr[i] = v0 + h;
          const lp = loss();
          arr[i] = v0 - h;
          const lm = loss();
          arr[i] = v0;
          return (lp - lm) / (2 * h);
        });
      // the analytic gradient went through f32 storage (x, mean, rstd, dx): ~1e-6 relative, amplified by the
      // cancellation in dn - mean(dn) - n mean(dn n) up to rstd * |dn| ~ 64: atol 1e-4
      const tol = { atol: 1e-4, rtol: 1e-3 };
      expectClose(got.dx, fd(x), tol, `dx rows=${rows} cols=${cols}`);
      if (gm) expectClose(got.dgamma!, fd(gm), tol, 'dgamma');
      if (bt) expectClose(got.dbeta!, fd(bt), tol, 'dbeta');
    },
  );

  it('computes the documented formula', async () => {
    // row [1, 2, 3]: mean 2, biased variance 2/3
    const s = Math.sqrt(3 / 2);
    const r = layerNorm(tensor(cpu, [1, 2, 3], [1, 3]), tensor(cpu, [1, 2, 1]), tensor(cpu, [0, 0, 5]), 0);
    expectClose(await read(r.y), [-s, 0, s + 5], { atol: 1e-6, rtol: 1e-6 });
    expectClose(await read(r.mean), [2], { atol: 0, rtol: 0 });
    // default eps 1e-3; a constant row normalises to 0 with rstd = 1/sqrt(eps)
    const x = tensor(cpu, [1, 2, 3, 10, 10, 10], [2, 3]);
    const r2 = layerNorm(x, null, null);
    const k = s * Math.sqrt(2 / 3 / (2 / 3 + 1e-3));
    expectClose(await read(r2.y), [-k, 0, k, 0, 0, 0], { atol: 1e-6, rtol: 1e-6 });
    expectClose(await read(r2.mean), [2, 10], { atol: 0, rtol: 0 });
    expectClose(await read(r2.rstd), [1 / Math.sqrt(2 / 3 + 1e-3), 1 / Math.sqrt(1e-3)], { atol: 0, rtol: 1e-6 });
    // rank 3: normalised over the last axis, stats per leading index
    const r3 = layerNorm(tensor(cpu, randomArray(24, 1), [2, 3, 4]), null, null);
    expect(r3.mean.shape).toEqual([6]);
    expect(r3.y.shape).toEqual([2, 3, 4]);
  });

  it('gives dgamma/dbeta only with gamma, or when asked', () => {
    const x = tensor(cpu, randomArray(6, 1), [2, 3]);
    const f = layerNorm(x, null, null);
    const dy = tensor(cpu, randomArray(6, 2), [2, 3]);
    const b = layerNormBackward(dy, x, null, f.mean, f.rstd);
    expect(b.dgamma).toBeNull();
    expect(b.dbeta).toBeNull();
    const b2 = layerNormBackward(dy, x, null, f.mean, f.rstd, true);
    expect(b2.dgamma!.shape).toEqual([3]);
    expect(b2.dbeta!.shape).toEqual([3]);
  });

  it('rejects bad input with the op, expected and actual', () => {
    const x = tensor(cpu, randomArray(6, 1), [2, 3]);
    expect(() => layerNorm(x, tensor(cpu, [1, 2]), null)).toThrow(/layerNorm: gamma must have shape \[3\], got \[2\]/);
    expect(() => layerNorm(x, null, tensor(cpu, [1, 2, 3, 4]))).toThrow(/layerNorm: beta must have shape \[3\], got \[4\]/);
    expect(() => layerNorm(tensor(cpu, new Int32Array(3)), null, null)).toThrow(/layerNorm: x must have dtype f32, got i32/);
    expect(() => layerNorm(tensor(cpu, [], [2, 0]), null, null)).toThrow(/last axis of x must be >= 1/);
    expect(() => layerNorm(x, null, null, -1)).toThrow(/eps must be a finite number >= 0, got -1/);
    const f = layerNorm(x, null, null);
    expect(() => layerNormBackward(tensor(cpu, [1, 2, 3]), x, null, f.mean, f.rstd)).toThrow(/dy must have the shape of x \[2,3\], got \[3\]/);
    expect(() => layerNormBackward(x, x, null, f.rstd.reshape([1, 2]), f.rstd)).toThrow(/mean must have shape \[2\], got \[1,2\]/);
    const gone: Tensor = tensor(cpu, [1, 2, 3]);
    gone.dispose();
    expect(() => layerNorm(x, gone, null)).toThrow(/used after dispose/);
  });
});
