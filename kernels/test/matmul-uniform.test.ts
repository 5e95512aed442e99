import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { matmul, matmulAct, tensor, type Device } from '../src/index.js';
import { type MatmulInternalOptions } from '../src/matmul/matmul.js';
import { planMatmul, uboColsFor, uboRowsFor } from '../src/matmul/matmul-kernel.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

// Y bound as uniform windows (MatmulPlan.uboRows / uboCols, on llvmpipe by default): the same products as Y in a
// storage buffer, bit for bit where K is not split (each output's k-sum runs in the same order), within f32
// rounding of it where it is (a later window adds to C), and both against the f64 CPU reference.

describe('uniform windows of Y: the plan', () => {
  it('rows per window (c4): multiples of 16 within 64 KiB, all of K when it fits, aligned last windows only', () => {
    const p = (K: number, sYk: number, ySize = K * sYk, sy = [0, 0, 0, 0]) => uboRowsFor({ K, sYk, sy, ySize });
    expect(p(256, 256)).toBe(64); // 64 rows x 256 floats = 64 KiB
    expect(p(48, 256)).toBe(48); // fits one window
    expect(p(256, 384)).toBe(32); // 16384 / 384 = 42.7 -> 32
    expect(p(100, 256)).toBe(64); // last window at row 36: 36 x 256 floats, 256-byte aligned
    expect(p(100, 4)).toBe(100); // one window of 400 floats
    expect(p(900, 20)).toBe(0); // 816 rows fit; the last window would start at (900 - 816) x 20 floats, not 256-byte aligned
    expect(p(64, 2048)).toBe(0); // 16384 / 2048 = 8 rows < 16
    expect(p(64, 6)).toBe(0); // row stride not a multiple of 4
    expect(p(64, 256, 64 * 256, [0, 256, 0, 0])).toBe(0); // batched Y
    expect(p(64, 256, 63 * 256 + 128)).toBe(0); // K whole rows would run past Y
    expect(p(200, 600)).toBe(0); // 16 rows per window: too thin to split K into 13 dispatches
    expect(p(600, 256)).toBe(0); // 10 windows of 64 rows: more than MAX_WINDOWS
  });

  it('columns per window (k4): multiples of 64 within 64 KiB, all columns when they fit, else a divisor of them', () => {
    const p = (K: number, Cc: number, sYc: number, ySize = Cc * sYc) => uboColsFor({ K, Cc, sYc, sy: [0, 0, 0, 0], ySize });
    expect(p(256, 256, 256)).toBe(64);
    expect(p(128, 384, 128)).toBe(128);
    expect(p(128, 100, 128)).toBe(100); // all 100 columns in one window of 12800 floats
    expect(p(128, 200, 128)).toBe(0); // 200 is not a multiple of 128
    expect(p(512, 64, 512)).toBe(0); // 16384 / 512 = 32 columns < a workgroup's 64
    expect(p(300, 64, 256)).toBe(0); // K beyond the column stride
  });

  it('planMatmul takes them only with uniformY and the matching Y layout', () => {
    const c4 = { R: 800, Cc: 256, K: 256, sYk: 256, sYc: 1, sy: [0, 0, 0, 0], ySize: 65536 };
    expect(planMatmul(c4, { subgroups: true, uniformY: true })).toMatchObject({ ymode: 'c4', uboRows: 64, kSplit: 64, uboVec4s: 4096, uboCols: 0 });
    expect(planMatmul(c4, { subgroups: true })).toMatchObject({ uboRows: 0, uboCols: 0, kSplit: 0 });
    const k4 = { R: 800, Cc: 256, K: 256, sYk: 1, sYc: 256, sy: [0, 0, 0, 0], ySize: 65536 };
    expect(planMatmul(k4, { subgroups: true, uniformY: true })).toMatchObject({ ymode: 'k4', uboCols: 64, uboVec4s: 4096, uboRows: 0, kSplit: 0 });
    expect(planMatmul({ ...c4, Cc: 6, sYk: 6, ySize: 6 * 256 }, { subgroups: true, uniformY: true })).toMatchObject({ ymode: 's', uboRows: 0, uboCols: 0 });
  });
});

describe.skipIf(!hasGpu)('uniform windows of Y on the device', () => {
  const run = async (d: Device, M: number, K: number, N: number, transB: boolean, seed: number, extra: MatmulInternalOptions = {}, act = false) => {
    const a = tensor(d, randomArray(M * K, seed), [M, K]);
    const b = tensor(d, randomArray(K * N, seed + 1), transB ? [N, K] : [K, N]);
    const bias = tensor(d, randomArray(N, seed + 2), [N]);
    const opts: MatmulInternalOptions = { transB, bias, ...extra };
    const y = act ? matmulAct(a, b, { ...opts, act: 'elu' }).y : matmul(a, b, opts);
    return read(y);
  };

  // shapes that bind Y in one window, split K over several (c4), and columns over blocks (k4), with odd row counts
  const shapes: [number, number, number, boolean, string][] = [
    [37, 48, 256, false, 'c4, one window'],
    [37, 100, 256, false, 'c4, K split, the last window moved back'],
    [9, 256, 384, false, 'c4, K split in 8 windows of 32 rows'],
    [37, 128, 384, true, 'k4, three column blocks'],
    [21, 128, 100, true, 'k4, one window of 100 columns'],
  ];

  it.each(shapes)('%i x %i x %i (transB %s: %s): the CPU reference; storage Y bit for bit where K is not split', async (M, K, N, transB) => {
    const g = await gpu();
    const want = await run(cpu, M, K, N, transB, 5);
    const tol = { atol: 4 * Math.sqrt(K) * 2 ** -24 * K + 1e-30, rtol: 2 ** -22 };
    const before = g.stats().dispatches;
    const uni = await run(g, M, K, N, transB, 5, { uniformY: true });
    const dispatches = g.stats().dispatches - before;
    const sto = await run(g, M, K, N, transB, 5, { uniformY: false });
    expectClose(uni, want, tol, 'uniform Y vs the CPU reference');
    const plan = planMatmul(
      transB ? { R: M, Cc: N, K, sYk: 1, sYc: K, sy: [0, 0, 0, 0], ySize: N * K } : { R: M, Cc: N, K, sYk: N, sYc: 1, sy: [0, 0, 0, 0], ySize: K * N },
      { subgroups: true, uniformY: true },
    );
    const windows = plan.uboRows ? Math.ceil(K / plan.uboRows) : Math.ceil(N / plan.uboCols);
    expect(plan.uboRows || plan.uboCols).toBeGreaterThan(0);
    expect(dispatches).toBe(windows); // one dispatch per window: the uniform path ran
    if (plan.uboCols || plan.uboRows >= K) expect(uni).toEqual(sto);
    else expectClose(uni, sto, tol, 'uniform Y vs storage Y');
  });

  test.prop([fc.integer({ min: 1, max: 40 }), fc.constantFrom(16, 64, 100, 128, 200), fc.constantFrom(64, 128, 256), fc.boolean(), fc.integer()], { numRuns: 6 })(
    'matmulAct (elu) with either layout of Y: the activation of the whole k-sum, within rounding of the storage path',
    async (M, K, N, transB, seed) => {
      const g = await gpu();
      const uni = await run(g, M, K, N, transB, seed, { uniformY: true }, true);
      const sto = await run(g, M, K, N, transB, seed, { uniformY: false }, true);
      const want = await run(cpu, M, K, N, transB, seed, {}, true);
      const tol = { atol: 4 * Math.sqrt(K) * 2 ** -24 * K + 1e-30, rtol: 2 ** -22 };
      expectClose(uni, want, tol, 'uniform Y vs the CPU reference');
      expectClose(uni, sto, tol, 'uniform Y vs storage Y');
    },
  );
});
