import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  adamGate,
  adamGateSum,
  adamStep,
  adamStepGated,
  clipScale,
  flatLayout,
  packInto,
  scope,
  sqrt,
  sumOfSquares,
  sumOfSquaresChunks,
  sumsqChunkTable,
  tensor,
  unpackFrom,
  zeros,
  type AdamConfig,
  type Device,
  type Tensor,
} from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);

/** Double-precision sum of squares over several arrays (the oracle). */
const sumSq = (xs: Float32Array[]) => xs.reduce((acc, x) => acc + x.reduce((a, v) => a + v * v, 0), 0);
const norm = (xs: Float32Array[]) => Math.sqrt(sumSq(xs));

/** Adam state of one parameter tensor on a device. */
interface Slot {
  p: Tensor;
  m: Tensor;
  v: Tensor;
}
const slot = (d: Device, p0: Float32Array, m0: Float32Array = new Float32Array(p0.length), v0: Float32Array = new Float32Array(p0.length)): Slot => ({
  p: tensor(d, p0),
  m: tensor(d, m0),
  v: tensor(d, v0),
});

/** One clipped training step over several parameters: global norm on the device, then one fused Adam each. */
function clippedStep(d: Device, slots: Slot[], grads: Float32Array[], step: number, cfg: AdamConfig, maxNorm: number | null): void {
  scope(() => {
    const gs = grads.map((g) => tensor(d, g));
    const scale = maxNorm === null ? null : clipScale(sumOfSquares(gs), maxNorm);
    slots.forEach((s, i) => adamStep(s.p, gs[i], s.m, s.v, step, cfg, scale));
  });
}

describe('Adam and global-norm clipping on the CPU reference', () => {
  it('matches a hand-computed two-step example', async () => {
    // lr 0.1, b1 0.9, b2 0.999, eps 1e-8, no decay; p0 = [1, -2]; g1 = [0.5, -1]; g2 = [0.1, 0.2].
    // step 1: m = 0.1 g1 = [0.05, -0.1]; v = 0.001 g1^2 = [2.5e-4, 1e-3]; mhat = g1, vhat = g1^2
    //         p = p0 - 0.1 * g1 / (|g1| + 1e-8) = [0.9 + 2e-9, -1.9 - 1e-9]
    // step 2: m = 0.9 m + 0.1 g2 = [0.055, -0.07]; v = 0.999 v + 0.001 g2^2 = [2.5975e-4, 1.039e-3]
    //         bc1 = 1 - 0.81 = 0.19; bc2 = 1 - 0.998001 = 0.001999
    //         mhat = [0.28947368, -0.36842105]; sqrt(vhat) = [0.36047187, 0.72094374]
    //         p = [0.9 - 0.1 * 0.80304409, -1.9 + 0.1 * 0.51102606] = [0.81969591, -1.84889739]
    const s = slot(cpu, new Float32Array([1, -2]));
    const cfg = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    adamStep(s.p, tensor(cpu, [0.5, -1]), s.m, s.v, 1, cfg);
    expectClose(await read(s.p), [0.900000002, -1.900000001], { atol: 0, rtol: 1e-7 }, 'p after step 1');
    expectClose(await read(s.m), [0.05, -0.1], { atol: 0, rtol: 1e-6 }, 'm after step 1');
    expectClose(await read(s.v), [2.5e-4, 1e-3], { atol: 0, rtol: 1e-6 }, 'v after step 1');
    adamStep(s.p, tensor(cpu, [0.1, 0.2]), s.m, s.v, 2, cfg);
    expectClose(await read(s.m), [0.055, -0.07], { atol: 0, rtol: 1e-6 }, 'm after step 2');
    expectClose(await read(s.v), [2.5975e-4, 1.039e-3], { atol: 0, rtol: 1e-6 }, 'v after step 2');
    // f32 storage of p, m, v between the steps: 1e-6 relative
    expectClose(await read(s.p), [0.8196959063846518, -1.8488973939904947], { atol: 0, rtol: 1e-6 }, 'p after step 2');
  });

  it('applies decoupled weight decay and the gradient scale', async () => {
    // One step with g = 0: m = v = 0, so p -= lr * wd * p exactly: 2 - 0.5 * 0.1 * 2 = 1.9.
    const s = slot(cpu, new Float32Array([2]));
    adamStep(s.p, tensor(cpu, [0]), s.m, s.v, 1, { lr: 0.5, weightDecay: 0.1, eps: 1e-5 });
    expectClose(await read(s.p), [1.9], { atol: 0, rtol: 1e-7 }, 'decay');
    // scale multiplies the gradient: m = (1 - b1) * g * scale
    const t = slot(cpu, new Float32Array([0, 0]));
    adamStep(t.p, tensor(cpu, [4, -8]), t.m, t.v, 1, { lr: 1 }, tensor(cpu, [0.25]));
    expectClose(await read(t.m), [0.1, -0.2], { atol: 0, rtol: 1e-6 }, 'scaled m');
    expectClose(await read(t.v), [0.001, 0.004], { atol: 0, rtol: 1e-6 }, 'scaled v');
  });

  it('updates in place (views of the parameter see the update) with one dispatch', async () => {
    const s = slot(cpu, new Float32Array([1, 2, 3, 4]));
    const view = s.p.reshape([2, 2]);
    const before = cpu.stats().dispatches;
    adamStep(s.p, tensor(cpu, [1, 1, 1, 1]), s.m, s.v, 1, { lr: 0.5 });
    expect(cpu.stats().dispatches - before).toBe(1);
    expectClose(await read(view), [0.5, 1.5, 2.5, 3.5], { atol: 1e-6, rtol: 0 }, 'view');
  });

  it('computes clipScale = min(1, maxNorm / (sqrt(sumSq) + 1e-6))', async () => {
    expectClose(await read(clipScale(tensor(cpu, [25]), 1)), [1 / (5 + 1e-6)], { atol: 0, rtol: 1e-7 }, 'clipped');
    expect(await clipScale(tensor(cpu, [0.25]), 1).item()).toBe(1);
    expect(await clipScale(tensor(cpu, [0]), 1).item()).toBe(1);
  });

  it('sumOfSquares uses one dispatch per non-empty tensor plus one', async () => {
    const data = [7, 0, 5000, 1].map((n, i) => randomArray(n, i));
    const xs = data.map((x) => tensor(cpu, x));
    const before = cpu.stats().dispatches;
    const s = sumOfSquares(xs);
    expect(cpu.stats().dispatches - before).toBe(4);
    expect(s.shape).toEqual([1]);
    expectClose(await read(s), [sumSq(data)], { atol: 0, rtol: 1e-6 }, 'sum');
  });

  it('rejects bad arguments naming the op, the expected and the actual', () => {
    const p = tensor(cpu, [1, 2]);
    const g = tensor(cpu, [1, 2]);
    const m = tensor(cpu, [0, 0]);
    const v = tensor(cpu, [0, 0]);
    expect(() => adamStep(p, tensor(cpu, [1, 2, 3]), m, v, 1, { lr: 1 })).toThrow(/adamStep: grad must have shape \[2\] \(that of param\), got \[3\]/);
    expect(() => adamStep(p, g, m, tensor(cpu, new Int32Array(2)), 1, { lr: 1 })).toThrow(/adamStep: v must have dtype f32, got i32/);
    expect(() => adamStep(p, g, m, v, 0, { lr: 1 })).toThrow(/adamStep: step must be an integer >= 1, got 0/);
    expect(() => adamStep(p, g, m, v, 1, { lr: -1 })).toThrow(/adamStep: cfg\.lr must be a finite number >= 0, got -1/);
    expect(() => adamStep(p, g, m, v, 1, { lr: 1, beta2: 1 })).toThrow(/adamStep: cfg\.beta2 must be in \[0, 1\), got 1/);
    expect(() => adamStep(p, g, m, v, 1, { lr: 1 }, tensor(cpu, [1, 1]))).toThrow(/adamStep: scale must have exactly 1 element, got shape \[2\]/);
    expect(() => adamStep(p, g, m, m, 1, { lr: 1 })).toThrow(/adamStep: m and v must be distinct tensors/);
    expect(() => adamStep(p, p.reshape([2]), m, v, 1, { lr: 1 })).toThrow(/adamStep: param and grad must be distinct tensors/);
    expect(() => sumOfSquares([])).toThrow(/sumOfSquares: xs must be a non-empty array of tensors, got \[\]/);
    expect(() => sumOfSquares([p, tensor(cpu, new Int32Array(2))])).toThrow(/sumOfSquares: xs\[1\] must have dtype f32, got i32/);
    expect(() => clipScale(p, 1)).toThrow(/clipScale: sumSq must have exactly 1 element, got shape \[2\]/);
    expect(() => clipScale(tensor(cpu, [1]), 0)).toThrow(/clipScale: maxNorm must be a finite number > 0, got 0/);
  });
});

describe('global-norm clipping bounds what Adam consumes and how far it moves (CPU, and GPU where present)', () => {
  it('the clipped gradient has global norm maxNorm, and a gradient spike no longer inflates the step', async () => {
    // Two parameters in steady state for gradient g (m = g, v = g^2, late step so bias corrections are ~1).
    // A spike of 1000 g then gives, unclipped, m = 100.9 g and v = 1000.999 g^2: a step of 3.19 lr per element.
    // Clipped to maxNorm = |g| (global over both tensors) the consumed gradient is g again: a step of lr.
    const g = [randomArray(37, 1, 0.5, 1), randomArray(1000, 2, -1, -0.5)];
    const maxNorm = norm(g);
    const spike = g.map((x) => x.map((v) => v * 1000));
    const lr = 1e-3;
    const cfg = { lr, eps: 1e-12 };
    for (const d of await devices()) {
      const run = async (clip: number | null) => {
        const slots = g.map((x) => slot(d, new Float32Array(x.length), x, x.map((v) => v * v)));
        clippedStep(d, slots, spike, 20000, cfg, clip);
        const dp = await Promise.all(slots.map(async (s) => (await read(s.p)).map(Math.abs)));
        const m = await Promise.all(slots.map((s) => read(s.m)));
        // The gradient Adam consumed: (m - b1 * m_prev) / (1 - b1), with m_prev = g.
        const consumed = m.map((mi, k) => mi.map((v, i) => (v - 0.9 * g[k][i]) / 0.1));
        return { step: Math.max(...dp.map((x) => Math.max(...x))), consumed: norm(consumed) };
      };
      const plain = await run(null);
      const clipped = await run(maxNorm);
      expect(plain.consumed / maxNorm, d.label).toBeCloseTo(1000, 0);
      expect(Math.abs(clipped.consumed / maxNorm - 1), d.label).toBeLessThan(1e-3);
      expect(plain.step / lr, d.label).toBeGreaterThan(3);
      expect(clipped.step / lr, d.label).toBeLessThan(1.001);
    }
  });

  it('leaves gradients under maxNorm untouched (scale exactly 1)', async () => {
    for (const d of await devices()) {
      const xs = [randomArray(100, 3), randomArray(3, 4)];
      const s = clipScale(sumOfSquares(xs.map((x) => tensor(d, x))), norm(xs) * 1.01);
      expect(await s.item(), d.label).toBe(1);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// WGSL against the CPU reference.
// sumOfSquares: both sum f32 squares in a different order from the double oracle: 1e-5 relative covers
// 20000-element f32 partials. Adam: the update divides by sqrt(vhat) + eps, so f32 rounding of m and v
// (1e-7 relative) moves p by ~lr * 1e-6 per step: 1e-6 absolute for lr = 1e-2 over 6 steps.
// ---------------------------------------------------------------------------------------------------------------
const awkward = fc.oneof(fc.constantFrom(0, 1, 2, 3, 255, 256, 257, 4095, 4096, 4097, 8193), fc.integer({ min: 1, max: 20000 }));

describe.runIf(hasGpu)('optim kernels: WGSL equals the CPU reference', () => {
  test.prop([fc.array(awkward, { minLength: 1, maxLength: 12 }), fc.integer(), fc.double({ min: 1e-3, max: 1e3, noNaN: true })], { numRuns: 25 })(
    'sumOfSquares over many tensors of awkward sizes',
    async (sizes, seed, amp) => {
      const g = await gpu();
      const xs = sizes.map((n, i) => randomArray(n, seed + i, -amp, amp));
      const want = sumSq(xs);
      const dispatches = g.stats().dispatches;
      const got = await read(sumOfSquares(xs.map((x) => tensor(g, x))));
      expect(g.stats().dispatches - dispatches).toBe(sizes.filter((n) => n > 0).length + 1);
      const ref = await read(sumOfSquares(xs.map((x) => tensor(cpu, x))));
      expectClose(got, [want], { atol: 0, rtol: 1e-5 }, `GPU sumOfSquares of sizes [${sizes}]`);
      expectClose(ref, [want], { atol: 0, rtol: 1e-6 }, `CPU sumOfSquares of sizes [${sizes}]`);
    },
  );

  it('sumOfSquares handles large values and all-empty input', async () => {
    const g = await gpu();
    const xs = [new Float32Array([1e18, -1e18, 3]), randomArray(5000, 9, -1e3, 1e3)];
    expectClose(await read(sumOfSquares(xs.map((x) => tensor(g, x)))), [sumSq(xs)], { atol: 0, rtol: 1e-5 }, 'large');
    expect(await sumOfSquares([tensor(g, new Float32Array(0))]).item()).toBe(0);
  });

  test.prop([fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e3, noNaN: true })], { numRuns: 20 })(
    'clipScale',
    async (s, maxNorm) => {
      const g = await gpu();
      const got = await read(clipScale(tensor(g, [s]), maxNorm));
      const ref = await read(clipScale(tensor(cpu, [s]), maxNorm));
      // sqrt and the division are correctly rounded or within 2.5 ulp in WGSL: 1e-6 relative.
      expectClose(got, ref, { atol: 0, rtol: 1e-6 }, `clipScale(${s}, ${maxNorm})`);
    },
  );

  test.prop(
    [
      fc.array(fc.oneof(fc.constantFrom(1, 7, 257), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 5 }),
      fc.integer(),
      fc.record({
        lr: fc.constantFrom(1e-2, 1e-3, 4e-4),
        beta1: fc.constantFrom(0.9, 0.5, 0),
        beta2: fc.constantFrom(0.999, 0.99),
        eps: fc.constantFrom(1e-8, 1e-5),
        weightDecay: fc.constantFrom(0, 1e-6, 1e-2),
      }),
      fc.constantFrom<number | null>(null, 0.5, 100),
    ],
    { numRuns: 12 },
  )('Adam over several steps with and without clipping', async (sizes, seed, cfg, maxNorm) => {
    const g = await gpu();
    const p0 = sizes.map((n, i) => randomArray(n, seed + i, -2, 2));
    const sc = sizes.map((n, i) => slot(cpu, p0[i]));
    const sg = sizes.map((n, i) => slot(g, p0[i]));
    for (let step = 1; step <= 6; step++) {
      const grads = sizes.map((n, i) => randomArray(n, seed * 31 + step * 7 + i, -3, 3));
      clippedStep(cpu, sc, grads, step, cfg, maxNorm);
      clippedStep(g, sg, grads, step, cfg, maxNorm);
    }
    for (let i = 0; i < sizes.length; i++) {
      const what = `param ${i} (n=${sizes[i]}, ${JSON.stringify(cfg)}, clip ${maxNorm})`;
      expectClose(await read(sg[i].m), await read(sc[i].m), { atol: 1e-6, rtol: 1e-5 }, `m of ${what}`);
      expectClose(await read(sg[i].v), await read(sc[i].v), { atol: 1e-7, rtol: 1e-5 }, `v of ${what}`);
      expectClose(await read(sg[i].p), await read(sc[i].p), { atol: 1e-6, rtol: 1e-6 }, `p of ${what}`);
    }
  });

  it('runs one fused dispatch per parameter and leaks nothing', async () => {
    const g = await gpu();
    const live = g.stats().liveBuffers;
    const s = slot(g, randomArray(1000, 1));
    const d0 = g.stats().dispatches;
    scope(() => {
      const grad = tensor(g, randomArray(1000, 2));
      adamStep(s.p, grad, s.m, s.v, 1, { lr: 1e-3 }, clipScale(sumOfSquares([grad]), 1));
    });
    expect(g.stats().dispatches - d0).toBe(4); // partial, final, clip, adam
    await g.sync();
    for (const t of [s.p, s.m, s.v]) t.dispose();
    expect(g.stats().liveBuffers).toBe(live);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Guarded steps: adamGate decides on the device whether a step is taken (finite squared norm) and counts skips;
// adamStepGated then does nothing on a skip. No readback anywhere in a step.
// ---------------------------------------------------------------------------------------------------------------

/** Bit patterns of a float array, for bit-identity checks (NaN-safe, distinguishes -0). */
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const counters = (d: Device, c: [number, number, number] = [0, 0, 0]) => tensor(d, new Int32Array(c), [3]);
const readI = async (t: Tensor) => Array.from((await t.toArray()) as Int32Array);

/** One guarded step over several parameters, as Adam.apply runs it: sumOfSquares, adamGate, adamStepGated each. */
function gatedStep(d: Device, slots: Slot[], grads: Float32Array[], ctr: Tensor, cfg: AdamConfig, maxNorm: number | null): void {
  scope(() => {
    const gs = grads.map((g) => tensor(d, g));
    const gate = adamGate(sumOfSquares(gs), ctr, { maxNorm, beta1: cfg.beta1, beta2: cfg.beta2 });
    slots.forEach((s, i) => adamStepGated(s.p, gs[i], s.m, s.v, gate, cfg));
  });
}

describe('guarded Adam steps on the CPU reference', () => {
  it('adamGate: a finite norm applies the step (t advances, consecutive resets); NaN and Inf skip it and count', async () => {
    const c = counters(cpu, [4, 2, 2]);
    const g1 = adamGate(tensor(cpu, [25]), c, { maxNorm: 1, beta1: 0.9, beta2: 0.999 });
    expect(await readI(c)).toEqual([5, 2, 0]);
    expectClose(await read(g1), [1 / (5 + 1e-6), 1, 1 - 0.9 ** 5, 1 - 0.999 ** 5], { atol: 0, rtol: 1e-7 }, 'gate of an applied step');
    for (const bad of [NaN, Infinity, -Infinity]) {
      const g = adamGate(tensor(cpu, [bad]), c, { maxNorm: 1 });
      expect(Array.from(await read(g)), String(bad)).toEqual([0, 0, 1, 1]);
    }
    expect(await readI(c)).toEqual([5, 5, 3]);
    // no clipping: scale exactly 1 whatever the norm
    const g2 = adamGate(tensor(cpu, [1e30]), c, {});
    expect(await readI(c)).toEqual([6, 5, 0]);
    expect((await read(g2))[0]).toBe(1);
  });

  it('a gated step equals adamStep at the applied step t, bit for bit; a skipped one leaves p, m and v bit-identical', async () => {
    const cfg = { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 1e-2 };
    const p0 = randomArray(300, 1, -2, 2);
    const a = slot(cpu, p0);
    const b = slot(cpu, p0);
    const ctr = counters(cpu);
    let [t, skipped, consecutive] = [0, 0, 0];
    for (let k = 0; k < 8; k++) {
      const g = randomArray(300, 10 + k, -3, 3);
      const skip = k === 2 || k === 3 || k === 6;
      if (skip) g[(k * 37) % 300] = k === 3 ? -Infinity : NaN;
      const before = await Promise.all([b.p, b.m, b.v].map(read));
      gatedStep(cpu, [b], [g], ctr, cfg, 0.5);
      [skipped, consecutive] = skip ? [skipped + 1, consecutive + 1] : [skipped, 0];
      expect(await readI(ctr), `counters after step ${k}`).toEqual([t + (skip ? 0 : 1), skipped, consecutive]);
      if (skip) {
        const after = await Promise.all([b.p, b.m, b.v].map(read));
        after.forEach((x, i) => expect(bits(x), `${['p', 'm', 'v'][i]} after skipped step ${k}`).toEqual(bits(before[i])));
        continue;
      }
      t++;
      clippedStep(cpu, [a], [g], t, cfg, 0.5);
      for (const w of ['p', 'm', 'v'] as const) expect(bits(await read(b[w])), `${w} after step ${k} (t = ${t})`).toEqual(bits(await read(a[w])));
    }
    expect(await readI(ctr)).toEqual([5, 3, 0]); // skips at k = 2, 3, 6; k = 7 applied resets the consecutive count
  });

  it('rejects bad arguments naming the op, the expected and the actual', () => {
    const s = slot(cpu, new Float32Array([1, 2]));
    const g = tensor(cpu, [1, 2]);
    const c = counters(cpu);
    expect(() => adamGate(tensor(cpu, [1, 2]), c)).toThrow(/adamGate: sumSq must have exactly 1 element, got shape \[2\]/);
    expect(() => adamGate(tensor(cpu, [1]), tensor(cpu, [0, 0, 0]))).toThrow(/adamGate: counters must have dtype i32, got f32/);
    expect(() => adamGate(tensor(cpu, [1]), tensor(cpu, new Int32Array(2)))).toThrow(/adamGate: counters must have exactly 3 elements \[applied, skipped, consecutive\], got shape \[2\]/);
    expect(() => adamGate(tensor(cpu, [1]), c, { maxNorm: -1 })).toThrow(/adamGate: cfg\.maxNorm must be a finite number > 0 \(or 0\/null for no clipping\), got -1/);
    expect(() => adamGate(tensor(cpu, [1]), c, { beta2: 1 })).toThrow(/adamGate: cfg\.beta2 must be in \[0, 1\), got 1/);
    expect(() => adamStepGated(s.p, g, s.m, s.v, tensor(cpu, [1]), { lr: 1 })).toThrow(/adamStepGated: gate must have exactly 4 elements \(from adamGate\), got shape \[1\]/);
    expect(() => adamStepGated(s.p, g, s.m, s.v, tensor(cpu, new Int32Array(4)), { lr: 1 })).toThrow(/adamStepGated: gate must have dtype f32, got i32/);
    expect(() => adamStepGated(s.p, g, s.m, s.m, tensor(cpu, [1, 1, 1, 1]), { lr: 1 })).toThrow(/adamStepGated: m and v must be distinct tensors/);
  });
});

describe.runIf(hasGpu)('guarded Adam steps: WGSL equals the CPU reference', () => {
  it('the bias corrections 1 - beta^t computed on the device are within 1e-6 relative of double', async () => {
    // The shader gets ln(beta) as f32 and evaluates -expm1(t ln beta) by a Taylor series for |t ln beta| < 1:
    // ln(beta)'s f32 rounding (6e-8 relative) and the series' f32 arithmetic give ~3e-7; 1e-6 leaves margin.
    const g = await gpu();
    const betas = [0, 0.5, 0.9, 0.99, 0.999, 0.9999];
    const ts = [1, 2, 3, 7, 10, 100, 999, 1000, 1001, 10_000, 100_000, 1_000_000, 50_000_000];
    for (let k = 0; k < betas.length; k += 2) {
      for (const t of ts) {
        const c = counters(g, [t - 1, 0, 0]);
        const [b1, b2] = [betas[k], betas[k + 1]];
        const gate = await read(adamGate(tensor(g, [1]), c, { beta1: b1, beta2: b2 }));
        const want = [1 - b1 ** t, 1 - b2 ** t];
        expectClose(gate.subarray(2), want, { atol: 0, rtol: 1e-6 }, `bias corrections of beta ${b1}, ${b2} at t = ${t}`);
        expect(await readI(c)).toEqual([t, 0, 0]);
      }
    }
  });

  test.prop(
    [
      fc.array(fc.oneof(fc.constantFrom(1, 7, 257), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 4 }),
      fc.integer(),
      fc.constantFrom<number | null>(null, 0.5, 100),
      fc.array(fc.constantFrom('ok', 'ok', 'nan', 'inf', '-inf', 'huge'), { minLength: 6, maxLength: 10 }),
    ],
    { numRuns: 10 },
  )('NaN / Inf gradients skip the step on both backends: state bit-identical, counters equal', async (sizes, seed, maxNorm, kinds) => {
    const g = await gpu();
    const cfg = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-6 };
    const p0 = sizes.map((n, i) => randomArray(n, seed + i, -2, 2));
    const sc = sizes.map((n, i) => slot(cpu, p0[i]));
    const sg = sizes.map((n, i) => slot(g, p0[i]));
    const cc = counters(cpu);
    const cg = counters(g);
    let [applied, skipped, consecutive] = [0, 0, 0];
    for (let step = 0; step < kinds.length; step++) {
      const grads = sizes.map((n, i) => randomArray(n, seed * 31 + step * 7 + i, -3, 3));
      const kind = kinds[step];
      const which = Math.abs(seed + step) % sizes.length;
      const at = Math.abs(seed * 7 + step) % sizes[which];
      // 'huge': finite elements whose squares overflow the f32 sum (global norm > 1.8e19): skipped as well.
      if (kind !== 'ok') grads[which][at] = kind === 'nan' ? NaN : kind === 'inf' ? Infinity : kind === '-inf' ? -Infinity : 3e19;
      const before = await Promise.all(sg.map((s) => Promise.all([s.p, s.m, s.v].map(read))));
      gatedStep(cpu, sc, grads, cc, cfg, maxNorm);
      gatedStep(g, sg, grads, cg, cfg, maxNorm);
      if (kind === 'ok') [applied, consecutive] = [applied + 1, 0];
      else [skipped, consecutive] = [skipped + 1, consecutive + 1];
      expect(await readI(cg), `GPU counters after step ${step} (${kind})`).toEqual([applied, skipped, consecutive]);
      expect(await readI(cc), `CPU counters after step ${step} (${kind})`).toEqual([applied, skipped, consecutive]);
      if (kind !== 'ok') {
        for (let i = 0; i < sizes.length; i++) {
          const after = await Promise.all([sg[i].p, sg[i].m, sg[i].v].map(read));
          after.forEach((x, w) => expect(bits(x), `GPU ${['p', 'm', 'v'][w]} of param ${i} after skipped step ${step}`).toEqual(bits(before[i][w])));
        }
      }
    }
    for (let i = 0; i < sizes.length; i++) {
      const what = `param ${i} (n=${sizes[i]}, clip ${maxNorm}, steps [${kinds}])`;
      for (const w of ['p', 'm', 'v'] as const) expect((await read(sg[i][w])).every(Number.isFinite), `GPU ${w} of ${what} finite`).toBe(true);
      expectClose(await read(sg[i].m), await read(sc[i].m), { atol: 1e-6, rtol: 1e-5 }, `m of ${what}`);
      expectClose(await read(sg[i].v), await read(sc[i].v), { atol: 1e-7, rtol: 1e-5 }, `v of ${what}`);
      expectClose(await read(sg[i].p), await read(sc[i].p), { atol: 1e-6, rtol: 1e-6 }, `p of ${what}`);
    }
  });

  it('a guarded step is partial + final + gate + one adam per parameter, and leaks nothing', async () => {
    const g = await gpu();
    const live = g.stats().liveBuffers;
    const s = [slot(g, randomArray(1000, 1)), slot(g, randomArray(10, 2))];
    const c = counters(g);
    const d0 = g.stats().dispatches;
    gatedStep(g, s, [randomArray(1000, 3), randomArray(10, 4)], c, { lr: 1e-3 }, 1);
    expect(g.stats().dispatches - d0).toBe(6);
    await g.sync();
    for (const t of [...s.flatMap((x) => [x.p, x.m, x.v]), c]) t.dispose();
    expect(g.stats().liveBuffers).toBe(live);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Multi-tensor steps: the tensors of a step in one flat buffer (flatLayout), their partial sums of squares in
// one dispatch (sumOfSquaresChunks), the sum and the gate in one (adamGateSum), one adamStepGated over the whole
// buffer. Against the per-tensor composition (sumOfSquares, adamGate, sqrt, one adamStepGated per tensor),
// which stays the reference: bit for bit on each backend, since the chunks and the order of additions are
// the same and the update is elementwise.
// ---------------------------------------------------------------------------------------------------------------
describe('multi-tensor Adam pieces equal the per-tensor composition bit for bit (every backend)', () => {
  test.prop(
    [
      fc.array(fc.oneof(fc.constantFrom(0, 1, 2, 63, 64, 65, 4095, 4096, 4097, 8193), fc.integer({ min: 1, max: 9000 })), { minLength: 1, maxLength: 9 }),
      fc.integer(),
      fc.constantFrom<number | null>(null, 0.5, 100),
      fc.array(fc.constantFrom('ok', 'ok', 'ok', 'nan', 'inf', 'huge'), { minLength: 3, maxLength: 5 }),
    ],
    { numRuns: 12 },
  )('flat steps over awkward sizes with skipped steps', async (sizes, seed, maxNorm, kinds) => {
    const cfg = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-6 };
    for (const d of await devices()) {
      const layout = flatLayout(sizes);
      const p0 = sizes.map((n, i) => randomArray(n, seed + i, -2, 2));
      const ref = sizes.map((n, i) => slot(d, p0[i]));
      const cRef = counters(d);
      const flat = { p: zeros(d, [layout.total]), g: zeros(d, [layout.total]), m: zeros(d, [layout.total]), v: zeros(d, [layout.total]) };
      packInto(flat.p, p0.map((x) => tensor(d, x)), layout.offsets);
      const table = tensor(d, sumsqChunkTable(layout), undefined, 'i32');
      const cFlat = counters(d);
      for (let step = 0; step < kinds.length; step++) {
        const grads = sizes.map((n, i) => randomArray(n, seed * 31 + step * 7 + i, -3, 3));
        const kind = kinds[step];
        const which = grads.findIndex((g) => g.length > 0);
        if (kind !== 'ok' && which >= 0) grads[which][Math.abs(seed + step) % grads[which].length] = kind === 'nan' ? NaN : kind === 'inf' ? Infinity : 3e19;
        const what = `${d.backend} step ${step} (${kind}), sizes [${sizes}], clip ${maxNorm}`;
        const [refNorm, refGate] = scope(() => {
          const gs = grads.map((g) => tensor(d, g));
          const sumSq = sumOfSquares(gs);
          const gate = adamGate(sumSq, cRef, { maxNorm, beta1: cfg.beta1, beta2: cfg.beta2 });
          ref.forEach((s, i) => adamStepGated(s.p, gs[i], s.m, s.v, gate, cfg));
          return [sqrt(sumSq), gate];
        });
        const n0 = d.stats().dispatches;
        const [norm, gate] = scope(() => {
          packInto(flat.g, grads.map((g) => tensor(d, g)), layout.offsets);
          const r = adamGateSum(sumOfSquaresChunks(flat.g, table), cFlat, { maxNorm, beta1: cfg.beta1, beta2: cfg.beta2 });
          adamStepGated(flat.p, flat.g, flat.m, flat.v, r.gate, cfg);
          return [r.norm, r.gate];
        });
        expect(d.stats().dispatches - n0, what).toBe(Math.ceil(sizes.filter((n) => n > 0).length / 7) + 3);
        expect(bits(await read(norm)), `norm, ${what}`).toEqual(bits(await read(refNorm)));
        expect(bits(await read(gate)), `gate, ${what}`).toEqual(bits(await read(refGate)));
        expect(await readI(cFlat), `counters, ${what}`).toEqual(await readI(cRef));
      }
      for (const w of ['p', 'm', 'v'] as const) {
        const outs = sizes.map((n) => zeros(d, [n]));
        unpackFrom(flat[w], outs, layout.offsets);
        for (let i = 0; i < sizes.length; i++) expect(bits(await read(outs[i])), `${d.backend} ${w} of tensor ${i} (n=${sizes[i]})`).toEqual(bits(await read(ref[i][w])));
      }
    }
  });

  it('flatLayout aligns every slot to 64 elements; the chunk table is sumOfSquares\' chunks', () => {
    const l = flatLayout([0, 1, 64, 65, 4097]);
    expect(l.offsets).toEqual([0, 64, 128, 192, 320]);
    expect(l.total).toBe(320 + 4160);
    expect(Array.from(sumsqChunkTable(l))).toEqual([64, 65, 128, 192, 192, 257, 320, 320 + 4096, 320 + 4096, 320 + 4097]);
    expect(() => flatLayout([-1])).toThrow(/flatLayout: sizes must be non-negative integers, got -1/);
  });

  it('rejects bad arguments naming the op, the expected and the actual', () => {
    const f = zeros(cpu, [64]);
    expect(() => sumOfSquaresChunks(f, tensor(cpu, new Int32Array(3), [3]))).toThrow(/sumOfSquaresChunks: table must have shape \[2 \* groups\] \(start, end pairs\), got \[3\]/);
    expect(() => sumOfSquaresChunks(f, f)).toThrow(/sumOfSquaresChunks: table must have dtype i32, got f32/);
    expect(() => adamGateSum(f, tensor(cpu, new Int32Array(2), [2]))).toThrow(/adamGateSum: counters must have exactly 3 elements/);
    expect(() => adamGateSum(f, counters(cpu), { beta1: 1 })).toThrow(/adamGateSum: cfg.beta1 must be in \[0, 1\), got 1/);
  });
});
