import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { matmul, tensor, type Device, type Tensor } from '../src/index.js';
import { type MatmulInternalOptions } from '../src/matmul/matmul.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

/**
 * Tolerance. The CPU reference accumulates in f64 and rounds once; a WGSL kernel accumulates K products in f32
 * in its own order. With inputs in [-1, 1) each partial sum is bounded by K, and the rounding error of a sum of
 * K terms in f32 is about sqrt(K) * eps * (sum of |terms|) for random rounding (K * eps worst case), with
 * eps = 2^-24 ~ 6e-8. The elements of C can be near 0 by cancellation, so the bound is absolute and scaled by
 * the magnitude of the terms: atol = 4 * sqrt(K) * eps * K * scaleA * scaleB (sum of |a||b| <= K * scaleA *
 * scaleB), plus a small rtol for the final rounding of the result and the bias addition.
 */
function tolFor(K: number, scale = 1): { atol: number; rtol: number } {
  const eps = 2 ** -24;
  return { atol: 4 * Math.sqrt(Math.max(K, 1)) * eps * Math.max(K, 1) * scale + 1e-30, rtol: 4 * eps };
}

interface Case {
  batchA: number[];
  batchB: number[];
  M: number;
  K: number;
  N: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
}

function shapes(c: Case): { aShape: number[]; bShape: number[] } {
  return {
    aShape: [...c.batchA, ...(c.transA ? [c.K, c.M] : [c.M, c.K])],
    bShape: [...c.batchB, ...(c.transB ? [c.N, c.K] : [c.K, c.N])],
  };
}

/** Which WGSL path: the op's own choice, the naive kernel, or the blocked kernel without subgroups. */
type Path = 'auto' | 'naive' | 'nosg';

async function runBoth(c: Case, seed: number, lo = -1, hi = 1, path: Path = 'auto') {
  const { aShape, bShape } = shapes(c);
  const na = aShape.reduce((x, y) => x * y, 1);
  const nb = bShape.reduce((x, y) => x * y, 1);
  const A = randomArray(na, seed, lo, hi);
  const B = randomArray(nb, seed + 1, lo, hi);
  const Bias = randomArray(c.N, seed + 2, lo, hi);
  const g = await gpu();
  const on = async (d: Device) => {
    const opts: MatmulInternalOptions = { transA: c.transA, transB: c.transB };
    if (c.bias) opts.bias = tensor(d, Bias);
    if (d !== cpu && path === 'naive') opts.variant = 'naive';
    if (d !== cpu && path === 'nosg') opts.subgroups = false;
    const y = matmul(tensor(d, A, aShape), tensor(d, B, bShape), opts);
    return { shape: y.shape, data: await read(y) };
  };
  const want = await on(cpu);
  const got = await on(g);
  return { want, got, aShape, bShape };
}

const dim = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 32, 33, 61, 64, 65, 127));
const batchPair = fc.constantFrom<[number[], number[]]>(
  [[], []],
  [[3], []],
  [[], [2]],
  [[2], [2]],
  [[2, 3], [3]],
  [[1, 3], [2, 1]],
  [[2, 1, 3], [1, 2, 1]],
  [[4, 1], [1]],
);
const caseArb = fc.record({
  batch: batchPair,
  M: dim,
  K: fc.oneof(dim, fc.constantFrom(0, 100, 257)),
  N: dim,
  transA: fc.boolean(),
  transB: fc.boolean(),
  bias: fc.boolean(),
});

describe.runIf(hasGpu)('matmul: WGSL equals the CPU reference', () => {
  // 'auto' is the op's own plan (register-blocked, subgroups where the device has them); 'naive' the simple
  // kernel. The blocked kernel without subgroups is tested below on fixed shapes (each plan is a pipeline that
  // llvmpipe compiles in about a second, so the random cases stick to few of them).
  test.prop([caseArb, fc.constantFrom<Path>('auto', 'auto', 'auto', 'naive'), fc.integer()], { numRuns: 120 })(
    'random shapes, transposes, batch broadcasting, bias',
    async (r, path, seed) => {
      const c: Case = { ...r, batchA: r.batch[0], batchB: r.batch[1] };
      const { want, got, aShape, bShape } = await runBoth(c, seed, -1, 1, path);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.data, tolFor(c.K), `matmul[${path}] a=[${aShape}] b=[${bShape}] tA=${c.transA} tB=${c.transB} bias=${c.bias}`);
    },
  );

  it('large magnitudes: scale carries through without overflow', async () => {
    for (const [lo, hi] of [
      [-1e18, 1e18],
      [-1e-18, 1e-18],
    ]) {
      const c: Case = { batchA: [], batchB: [], M: 13, K: 37, N: 19, transA: false, transB: true, bias: false };
      const { want, got } = await runBoth(c, 7, lo, hi);
      expect(got.data.every(Number.isFinite)).toBe(true);
      expectClose(got.data, want.data, tolFor(c.K, hi * hi), `range ${hi}`);
    }
  });

  it('propagates inf and NaN as IEEE arithmetic does', async () => {
    const g = await gpu();
    const a = [1, 2, Infinity, 0, Number.NaN, 1];
    const b = [1, 0, 1, 1, 1, 1];
    const want = await read(matmul(tensor(cpu, a, [3, 2]), tensor(cpu, b, [2, 3])));
    const got = await read(matmul(tensor(g, a, [3, 2]), tensor(g, b, [2, 3])));
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(want[3]).toBe(Infinity); // inf * 1 + 0 * 1
    expect(Number.isNaN(want[4])).toBe(true); // inf * 0 + 0 * 1
  });

  it('blocked kernel without subgroups (the path for adapters that lack them)', async () => {
    for (const c of [
      { batchA: [2], batchB: [], M: 19, K: 45, N: 36, transA: false, transB: false, bias: true },
      { batchA: [], batchB: [3], M: 11, K: 23, N: 37, transA: true, transB: true, bias: true },
    ] satisfies Case[]) {
      const { want, got } = await runBoth(c, 5, -1, 1, 'nosg');
      expectClose(got.data, want.data, tolFor(c.K), JSON.stringify(c));
    }
  });

  it('splits grids beyond 65535 workgroups per dimension', async () => {
    // 70000 batches (z), and 524289 rows = 65536 row blocks of 8 (y)
    for (const c of [
      { batchA: [], batchB: [70000], M: 1, K: 2, N: 1, transA: false, transB: false, bias: true },
      { batchA: [], batchB: [], M: 524289, K: 1, N: 32, transA: false, transB: false, bias: false },
    ] satisfies Case[]) {
      const { want, got } = await runBoth(c, 3);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.data, tolFor(c.K), JSON.stringify({ ...c, M: c.M }));
    }
  });

  it('large shapes, many batches and folded linear layers', async () => {
    for (const c of [
      { batchA: [], batchB: [], M: 130, K: 300, N: 250, transA: false, transB: false, bias: true },
      { batchA: [70], batchB: [], M: 3, K: 5, N: 2, transA: false, transB: false, bias: true },
      { batchA: [], batchB: [70], M: 3, K: 5, N: 2, transA: true, transB: false, bias: false },
      { batchA: [5, 6], batchB: [5, 6], M: 1, K: 64, N: 129, transA: false, transB: true, bias: true },
      // K split into several dispatches that add to C (large K and Y)
      { batchA: [], batchB: [], M: 20, K: 777, N: 400, transA: false, transB: false, bias: true },
      { batchA: [2], batchB: [2], M: 9, K: 1030, N: 260, transA: true, transB: true, bias: true },
    ] satisfies Case[]) {
      const { want, got } = await runBoth(c, 11);
      expectClose(got.data, want.data, tolFor(c.K), JSON.stringify(c));
    }
  });
});

describe('matmul on the CPU reference', () => {
  const t = (data: number[], shape: number[]): Tensor => tensor(cpu, data, shape);

  it('computes hand-checked products', async () => {
    const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = t([7, 8, 9, 10, 11, 12], [3, 2]);
    expect(Array.from(await read(matmul(a, b)))).toEqual([58, 64, 139, 154]);
    // a^T b^T = (b a)^T: [3,2]^T... use transA on a [3,2] stored tensor
    const aT = t([1, 4, 2, 5, 3, 6], [3, 2]); // = a^T stored
    const bT = t([7, 9, 11, 8, 10, 12], [2, 3]); // = b^T stored
    expect(Array.from(await read(matmul(aT, b, { transA: true })))).toEqual([58, 64, 139, 154]);
    expect(Array.from(await read(matmul(a, bT, { transB: true })))).toEqual([58, 64, 139, 154]);
    expect(Array.from(await read(matmul(aT, bT, { transA: true, transB: true })))).toEqual([58, 64, 139, 154]);
    const y = matmul(a, b, { bias: t([1, -1], [2]) });
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(await read(y))).toEqual([59, 63, 140, 153]);
  });

  it('broadcasts batch dims NumPy-style', async () => {
    // a: [2,1,2,2] (two matrices), b: [3,2,2] (three matrices) -> [2,3,2,2]
    const a = t([1, 0, 0, 1, 2, 0, 0, 2], [2, 1, 2, 2]);
    const b = t([1, 2, 3, 4, 0, 1, 1, 0, 1, 1, 1, 1], [3, 2, 2]);
    const y = matmul(a, b);
    expect(y.shape).toEqual([2, 3, 2, 2]);
    expect(Array.from(await read(y))).toEqual([1, 2, 3, 4, 0, 1, 1, 0, 1, 1, 1, 1, 2, 4, 6, 8, 0, 2, 2, 0, 2, 2, 2, 2]);
    // rank-2 against batched, both ways
    const w = t([1, 1], [2, 1]);
    expect(Array.from(await read(matmul(b, w)))).toEqual([3, 7, 1, 1, 2, 2]);
    expect(matmul(b, w).shape).toEqual([3, 2, 1]);
    const r = t([1, 2], [1, 2]);
    expect(Array.from(await read(matmul(r, b)))).toEqual([7, 10, 2, 1, 3, 3]);
    expect(matmul(r, b).shape).toEqual([3, 1, 2]);
  });

  it('handles K = 0 (bias only) and empty results', async () => {
    const y = matmul(tensor(cpu, new Float32Array(0), [2, 0]), tensor(cpu, new Float32Array(0), [0, 3]), { bias: t([1, 2, 3], [3]) });
    expect(Array.from(await read(y))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(matmul(tensor(cpu, new Float32Array(0), [0, 4]), t([1, 2, 3, 4], [4, 1])).shape).toEqual([0, 1]);
    // a size-0 batch dim broadcasts against size 1 to size 0
    expect(matmul(tensor(cpu, new Float32Array(0), [0, 2, 3]), tensor(cpu, new Float32Array(12), [1, 3, 4])).shape).toEqual([0, 2, 4]);
  });

  it('rejects bad input naming the op, expected and actual', () => {
    const z = (shape: number[]) => tensor(cpu, new Float32Array(shape.reduce((x, y) => x * y, 1)), shape);
    expect(() => matmul(z([16, 200]), z([300, 64]))).toThrow('matmul: inner dims differ: a is [16,200], b is [300,64]');
    expect(() => matmul(z([16, 200]), z([200, 64]), { transA: true })).toThrow(/inner dims differ: a is \[16,200\] \(transA\)/);
    expect(() => matmul(tensor(cpu, new Int32Array(4), [2, 2]), z([2, 2]))).toThrow('matmul: a must have dtype f32, got i32');
    expect(() => matmul(z([2, 2]), tensor(cpu, new Int32Array(4), [2, 2]))).toThrow('matmul: b must have dtype f32, got i32');
    expect(() => matmul(z([2, 3]), z([3, 4]), { bias: z([3]) })).toThrow('matmul: bias must have shape [4], got [3]');
    expect(() => matmul(z([2, 3]), z([3, 4]), { bias: z([1, 4]) })).toThrow('matmul: bias must have shape [4], got [1,4]');
    expect(() => matmul(z([3]), z([3, 4]))).toThrow('matmul: a must have rank >= 2 ([..., M, K]), got [3]');
    expect(() => matmul(z([2, 2, 3]), z([3, 3, 4]))).toThrow(/matmul: batch dims do not broadcast: a is \[2,2,3\], b is \[3,3,4\]/);
    const d = z([2, 2]);
    d.dispose();
    expect(() => matmul(d, z([2, 2]))).toThrow(/used after dispose/);
  });
});
