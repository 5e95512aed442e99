import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { gruCell, gruCellBackward, tensor, type Device, type GruParams } from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

interface Case {
  B: number;
  I: number;
  H: number;
  x: Float32Array;
  h: Float32Array;
  Wx: Float32Array;
  Wh: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  dhNew: Float32Array;
}

/** Random cell inputs; `gain` scales gamma (large gains saturate the gates), `hScale` the state. */
function makeCase(B: number, I: number, H: number, seed: number, gain = 1, hScale = 1, xScale = 1): Case {
  const wx = 1 / Math.sqrt(I);
  const wh = 1 / Math.sqrt(H);
  return {
    B,
    I,
    H,
    x: randomArray(B * I, seed, -xScale, xScale),
    h: randomArray(B * H, seed + 1, -hScale, hScale),
    Wx: randomArray(I * 3 * H, seed + 2, -wx, wx),
    Wh: randomArray(H * 3 * H, seed + 3, -wh, wh),
    gamma: randomArray(3 * H, seed + 4, -1.5 * gain, 1.5 * gain),
    beta: randomArray(3 * H, seed + 5, -0.5, 0.5),
    dhNew: randomArray(B * H, seed + 6, -1, 1),
  };
}

function up(dev: Device, c: Case) {
  return {
    x: tensor(dev, c.x, [c.B, c.I]),
    h: tensor(dev, c.h, [c.B, c.H]),
    Wx: tensor(dev, c.Wx, [c.I, 3 * c.H]),
    Wh: tensor(dev, c.Wh, [c.H, 3 * c.H]),
    gamma: tensor(dev, c.gamma),
    beta: tensor(dev, c.beta),
    dhNew: tensor(dev, c.dhNew, [c.B, c.H]),
  };
}

async function run(dev: Device, c: Case, opts: GruParams = {}) {
  const t = up(dev, c);
  const f = gruCell(t.x, t.h, t.Wx, t.Wh, t.gamma, t.beta, opts);
  const g = gruCellBackward(t.dhNew, f.saved, t.x, t.h, t.Wx, t.Wh, t.gamma);
  const out = {
    h: await read(f.h),
    pre: await read(f.saved.pre),
    aux: await read(f.saved.aux),
    dx: await read(g.dx),
    dh: await read(g.dh),
    dWx: await read(g.dWx),
    dWh: await read(g.dWh),
    dgamma: await read(g.dgamma),
    dbeta: await read(g.dbeta),
  };
  f.saved.dispose();
  for (const v of [...Object.values(t), f.h, ...Object.values(g)]) v.dispose();
  return out;
}

type Out = Awaited<ReturnType<typeof run>>;

/**
 * GPU (f32 matmuls and row sums, lavapipe exp/tanh) against the CPU reference (f64 sums rounded to f32).
 * pre: K-term dot products of O(1/sqrt(K))-scaled terms, ~1e-6. hNew: pre's error times rstd, through gates
 * with slope <= 1 (times |gamma| <= 1.5 * gain): 2e-5. The gradients are sums over the batch (dW, dgamma,
 * dbeta: up to ~100 rows) or over 3H features (dx, dh) of O(1) terms with cancelling signs, each from values
 * already ~1e-6 off; and d tanh, d sigmoid amplify nothing above 1: atol 2e-4 with rtol 1e-3.
 */
function compare(got: Out, want: Out, what: string, gain = 1): void {
  expectClose(got.pre, want.pre, { atol: 1e-5, rtol: 1e-5 }, `pre ${what}`);
  expectClose(got.aux, want.aux, { atol: 1e-5, rtol: 1e-4 }, `mean/rstd/beta ${what}`);
  expectClose(got.h, want.h, { atol: 2e-5 * gain, rtol: 1e-4 }, `hNew ${what}`);
  const tol = { atol: 2e-4 * gain, rtol: 1e-3 };
  for (const k of ['dx', 'dh', 'dWx', 'dWh', 'dgamma', 'dbeta'] as const) expectClose(got[k], want[k], tol, `${k} ${what}`);
}

const BATCH = fc.oneof(fc.constantFrom(1, 2, 7, 31, 63, 64, 65, 97), fc.integer({ min: 1, max: 100 }));
const HIDDEN = fc.oneof(fc.constantFrom(1, 7, 31, 200), fc.integer({ min: 1, max: 90 }));
const INPUT = fc.oneof(fc.constantFrom(1, 5, 13, 64), fc.integer({ min: 1, max: 70 }));
/** (B, I, H) with at most ~2M multiply-adds per matmul: the CPU reference and lavapipe's matmul stay fast. */
const SIZES = fc.tuple(BATCH, INPUT, HIDDEN).filter(([B, I, H]) => B * (I + H) * 3 * H <= 2e6);

describe.runIf(hasGpu)('gruCell: WGSL equals the CPU reference', () => {
  test.prop([SIZES, fc.integer(), fc.double({ min: -2, max: 1, noNaN: true })], { numRuns: 25 })(
    'forward and backward on awkward sizes',
    async ([B, I, H], seed, updateBias) => {
      const g = await gpu();
      const c = makeCase(B, I, H, seed);
      const opts = { updateBias, eps: 1e-3 };
      compare(await run(g, c, opts), await run(cpu, c, opts), `B=${B} I=${I} H=${H} ub=${updateBias}`);
    },
  );

  it('extreme inputs: saturated gates, large states and inputs, tiny eps', async () => {
    const g = await gpu();
    // [what, case, options, scale of the outputs (gamma gain or state size), scale of pre (x's units)]
    const cases: [string, Case, GruParams, number, number][] = [
      // |gamma| up to 60: pre-activations of +-100, sigmoid/tanh at 0 and 1, their derivatives underflow to 0
      ['gain 40', makeCase(70, 9, 31, 1, 40), {}, 40, 1],
      ['gain 40, few rows', makeCase(3, 9, 200, 2, 40), {}, 40, 1],
      // h of +-100 passes through (1 - u) h: hNew and du = dh' (c - h) scale with it
      ['state 100', makeCase(66, 13, 7, 3, 1, 100), {}, 100, 100],
      // x of +-1e3: pre has a large spread, the LayerNorm scales it back
      ['input 1e3', makeCase(40, 20, 17, 4, 1, 1, 1e3), { eps: 1e-6 }, 1, 1e3],
    ];
    for (const [what, c, opts, scale, preScale] of cases) {
      const want = await run(cpu, c, opts);
      const got = await run(g, c, opts);
      for (const [k, v] of Object.entries(got)) expect(v.every(Number.isFinite), `${what}: ${k} has a non-finite value`).toBe(true);
      // pre and the mean are in the units of x and h: dot products with cancellation, atol in those units
      expectClose(got.pre, want.pre, { atol: 1e-5 * preScale, rtol: 1e-5 }, `pre ${what}`);
      expectClose(got.aux, want.aux, { atol: 1e-5 * preScale, rtol: 1e-4 }, `aux ${what}`);
      compare({ ...got, pre: want.pre, aux: want.aux }, want, what, scale);
    }
  });

  it('DreamerV2 size (batch 800, hidden 200): 3 dispatches forward, 6 ops backward, rows equal to the CPU, no leaks', async () => {
    // input 64 keeps the three x-side matmuls cheap on lavapipe; the h-side ones are the full 800x200x600
    const g = await gpu();
    const c = makeCase(800, 64, 200, 42);
    const t = up(g, c);
    await g.sync();
    const live = g.stats().liveBuffers;
    const d0 = g.stats().dispatches;
    const f = gruCell(t.x, t.h, t.Wx, t.Wh, t.gamma, t.beta);
    const fwd = g.stats().dispatches - d0;
    const b = gruCellBackward(t.dhNew, f.saved, t.x, t.h, t.Wx, t.Wh, t.gamma);
    const bwd = g.stats().dispatches - d0 - fwd;
    expect(fwd).toBeLessThanOrEqual(4);
    expect(fwd).toBe(3);
    // Backward: 2 fused kernels + 4 matmuls (dx, dh, dWx, dWh). The weight gradients reduce over the batch
    // (K = 800), which matmul splits into 256-wide accumulating dispatches to stay in cache; the CPU backend
    // test below pins the exact count of 6 ops.
    expect(bwd).toBeGreaterThanOrEqual(6);
    expect(bwd).toBeLessThanOrEqual(2 + 4 * Math.ceil(800 / 256));
    const got = { h: await read(f.h), pre: await read(f.saved.pre), dx: await read(b.dx), dh: await read(b.dh) };
    const sums = { dWx: await read(b.dWx), dWh: await read(b.dWh), dgamma: await read(b.dgamma), dbeta: await read(b.dbeta) };
    f.saved.dispose();
    for (const v of [f.h, ...Object.values(b), ...Object.values(t)]) v.dispose();
    await g.sync();
    expect(g.stats().liveBuffers).toBe(live - Object.keys(t).length);
    // Rows are independent in hNew, pre, dx and dh: check the first and last rows against the CPU reference on
    // just those rows (the full-batch CPU matmuls would take seconds). The batch sums are checked for finiteness
    // here and against the CPU at batch <= 100 above.
    for (const [r0, r1] of [[0, 3], [797, 800]]) {
      const sub: Case = { ...c, B: r1 - r0, x: c.x.slice(r0 * c.I, r1 * c.I), h: c.h.slice(r0 * c.H, r1 * c.H), dhNew: c.dhNew.slice(r0 * c.H, r1 * c.H) };
      const want = await run(cpu, sub);
      const rows = (a: Float32Array, w: number) => a.slice(r0 * w, r1 * w);
      expectClose(rows(got.pre, 3 * c.H), want.pre, { atol: 1e-5, rtol: 1e-5 }, `pre rows ${r0}..${r1}`);
      expectClose(rows(got.h, c.H), want.h, { atol: 2e-5, rtol: 1e-4 }, `hNew rows ${r0}..${r1}`);
      expectClose(rows(got.dx, c.I), want.dx, { atol: 2e-4, rtol: 1e-3 }, `dx rows ${r0}..${r1}`);
      expectClose(rows(got.dh, c.H), want.dh, { atol: 2e-4, rtol: 1e-3 }, `dh rows ${r0}..${r1}`);
    }
    for (const [k, v] of Object.entries(sums)) expect(v.every(Number.isFinite), `${k} has a non-finite value`).toBe(true);
  });
});

// ---- gradient check: the CPU backward against central differences of an independent f64 forward ----

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** DreamerV2's cell written out in f64 from the formula: LayerNorm(concat(x, h) @ W), split, gates. */
function cellF64(c: Record<'x' | 'h' | 'Wx' | 'Wh' | 'gamma' | 'beta', Float64Array>, B: number, I: number, H: number, ub: number, eps: number): Float64Array {
  const out = new Float64Array(B * H);
  const C = 3 * H;
  const parts = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < C; k++) {
      let s = 0;
      for (let i = 0; i < I; i++) s += c.x[b * I + i] * c.Wx[i * C + k];
      for (let i = 0; i < H; i++) s += c.h[b * H + i] * c.Wh[i * C + k];
      parts[k] = s;
    }
    const mean = parts.reduce((a, v) => a + v, 0) / C;
    const variance = parts.reduce((a, v) => a + (v - mean) ** 2, 0) / C;
    for (let k = 0; k < C; k++) parts[k] = ((parts[k] - mean) / Math.sqrt(variance + eps)) * c.gamma[k] + c.beta[k];
    for (let j = 0; j < H; j++) {
      const reset = sig(parts[j]);
      const cand = Math.tanh(reset * parts[H + j]);
      const update = sig(parts[2 * H + j] + ub);
      out[b * H + j] = update * cand + (1 - update) * c.h[b * H + j];
    }
  }
  return out;
}

describe('gruCell CPU reference', () => {
  test.prop([fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer(), fc.double({ min: -2, max: 1, noNaN: true })], {
    numRuns: 30,
  })('forward equals the f64 formula; backward equals central finite differences of it', async (B, I, H, seed, ub) => {
    const eps = 1e-3;
    const c = makeCase(B, I, H, seed);
    const got = await run(cpu, c, { updateBias: ub, eps });
    const p = {
      x: Float64Array.from(c.x),
      h: Float64Array.from(c.h),
      Wx: Float64Array.from(c.Wx),
      Wh: Float64Array.from(c.Wh),
      gamma: Float64Array.from(c.gamma),
      beta: Float64Array.from(c.beta),
    };
    // forward: the reference's only differences are f32 storage of pre, mean, rstd and hNew
    expectClose(got.h, cellF64(p, B, I, H, ub, eps), { atol: 1e-6, rtol: 1e-5 }, 'hNew');
    const w = c.dhNew; // loss = sum(w * hNew), so dL/dhNew = w
    const loss = () => cellF64(p, B, I, H, ub, eps).reduce((s, v, i) => s + v * w[i], 0);
    // central differences in f64 with step 1e-5: truncation ~h^2 |f'''| (rstd <= 32, gates smooth) ~1e-8
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
    // the analytic gradient went through f32 storage (pre, mean, rstd, dpre): ~1e-6 relative, amplified by
    // rstd (up to 1/sqrt(eps) ~ 32 when a row's parts barely vary) in the LayerNorm backward: atol 1e-4
    const tol = { atol: 1e-4, rtol: 1e-3 };
    const what = `B=${B} I=${I} H=${H} ub=${ub}`;
    expectClose(got.dx, fd(p.x), tol, `dx ${what}`);
    expectClose(got.dh, fd(p.h), tol, `dh ${what}`);
    expectClose(got.dWx, fd(p.Wx), tol, `dWx ${what}`);
    expectClose(got.dWh, fd(p.Wh), tol, `dWh ${what}`);
    expectClose(got.dgamma, fd(p.gamma), tol, `dgamma ${what}`);
    expectClose(got.dbeta, fd(p.beta), tol, `dbeta ${what}`);
  });

  it('defaults to updateBias -1 and eps 1e-3; the backward keeps its own copy of beta', async () => {
    const c = makeCase(2, 3, 4, 5);
    const a = await run(cpu, c);
    const b = await run(cpu, c, { updateBias: -1, eps: 1e-3 });
    expect(a.h).toEqual(b.h);
    expect(a.dgamma).toEqual(b.dgamma);
    const t = up(cpu, c);
    const f = gruCell(t.x, t.h, t.Wx, t.Wh, t.gamma, t.beta);
    t.beta.dispose();
    const g = gruCellBackward(t.dhNew, f.saved, t.x, t.h, t.Wx, t.Wh, t.gamma);
    expect(await read(g.dbeta)).toEqual(a.dbeta);
  });

  it('counts 3 dispatches forward and 6 backward on the CPU backend too, and leaks nothing', () => {
    const c = makeCase(5, 3, 4, 7);
    const t = up(cpu, c);
    const live = cpu.stats().liveBuffers;
    const d0 = cpu.stats().dispatches;
    const f = gruCell(t.x, t.h, t.Wx, t.Wh, t.gamma, t.beta);
    expect(cpu.stats().dispatches - d0).toBe(3);
    const g = gruCellBackward(t.dhNew, f.saved, t.x, t.h, t.Wx, t.Wh, t.gamma);
    expect(cpu.stats().dispatches - d0).toBe(9);
    f.saved.dispose();
    for (const v of [f.h, ...Object.values(g)]) v.dispose();
    expect(cpu.stats().liveBuffers).toBe(live);
  });

  it('rejects bad input with the op, expected and actual', () => {
    const t = up(cpu, makeCase(2, 3, 4, 1));
    const { x, h, Wx, Wh, gamma, beta } = t;
    expect(() => gruCell(x, h, Wh, Wh, gamma, beta)).toThrow(/gruCell: Wx must have shape \[3,12\], got \[4,12\]/);
    expect(() => gruCell(x, h, Wx, Wx, gamma, beta)).toThrow(/gruCell: Wh must have shape \[4,12\], got \[3,12\]/);
    expect(() => gruCell(x, h, Wx, Wh, beta.reshape([2, 6]), beta)).toThrow(/gruCell: gamma must have shape \[12\], got \[2,6\]/);
    expect(() => gruCell(x, tensor(cpu, randomArray(12, 1), [3, 4]), Wx, Wh, gamma, beta)).toThrow(/h must have shape \[2, H\]/);
    expect(() => gruCell(x.reshape([6]), h, Wx, Wh, gamma, beta)).toThrow(/x must have shape \[B, I\], got \[6\]/);
    expect(() => gruCell(x, h, Wx, Wh, gamma, beta, { eps: -1 })).toThrow(/eps must be a finite number >= 0, got -1/);
    expect(() => gruCell(x, h, Wx, Wh, gamma, beta, { updateBias: NaN })).toThrow(/updateBias must be a finite number/);
    const f = gruCell(x, h, Wx, Wh, gamma, beta);
    expect(() => gruCellBackward(h.reshape([4, 2]), f.saved, x, h, Wx, Wh, gamma)).toThrow(/gruCellBackward: dhNew must have shape \[2,4\], got \[4,2\]/);
    f.saved.dispose();
    expect(() => gruCellBackward(t.dhNew, f.saved, x, h, Wx, Wh, gamma)).toThrow(/used after dispose/);
  });
});

describe('gruCellBackward adding into gradients so far (in place, or a strided addend for dh)', () => {
  test.prop([SIZES, fc.integer()], { numRuns: 15 })('equals add(prev, result) and result + box, bit for bit (every backend)', async ([B, I, H], seed) => {
    const c = makeCase(B, I, H, seed);
    const devs: Device[] = hasGpu ? [cpu, await gpu()] : [cpu];
    for (const d of devs) {
      const t = up(d, c);
      const { saved } = gruCell(t.x, t.h, t.Wx, t.Wh, t.gamma, t.beta);
      const dy = tensor(d, c.dhNew, [B, H]);
      const plain = gruCellBackward(dy, saved, t.x, t.h, t.Wx, t.Wh, t.gamma);
      const shapes = { dx: [B, I], dh: [B, H], dWx: [I, 3 * H], dWh: [H, 3 * H], dgamma: [3 * H], dbeta: [3 * H] } as const;
      const keys = Object.keys(shapes) as (keyof typeof shapes)[];
      const prev = keys.map((k, i) => randomArray(shapes[k].reduce((a, b) => a * b, 1), seed + 10 + i));
      const into = Object.fromEntries(keys.map((k, i) => [k, tensor(d, prev[i], shapes[k])]));
      const got = gruCellBackward(dy, saved, t.x, t.h, t.Wx, t.Wh, t.gamma, into);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        expect(got[k], k).toBe(into[k]);
        const want = Float32Array.from(await read(plain[k]), (v, j) => Math.fround(prev[i][j] + v));
        expect(Array.from(new Uint32Array((await read(got[k])).buffer)), `${d.backend} ${k} [${B},${I},${H}]`).toEqual(Array.from(new Uint32Array(want.buffer)));
      }
      // dh's gradient so far as time step 1 of a [B, 3, H] tensor
      const big = randomArray(B * 3 * H, seed + 20);
      const boxed = gruCellBackward(dy, saved, t.x, t.h, t.Wx, t.Wh, t.gamma, { dhAddend: { x: tensor(d, big, [B, 3, H]), offset: H, rowStride: 3 * H } });
      const dh = await read(plain.dh);
      const want = Float32Array.from(dh, (v, j) => Math.fround(v + big[Math.floor(j / H) * 3 * H + H + (j % H)]));
      expect(Array.from(new Uint32Array((await read(boxed.dh)).buffer)), `${d.backend} dh + box`).toEqual(Array.from(new Uint32Array(want.buffer)));
    }
  });
});
