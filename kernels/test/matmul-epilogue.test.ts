import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { add, matmul, matmulAct, matmulActGrad, MATMUL_ACTS, scope, slice, sumTo, tensor, unary, unaryGrad, type Device, type MatmulAct, type Tensor } from '../src/index.js';
import { type MatmulInternalOptions } from '../src/matmul/matmul.js';
import { cpu, expectClose, gpu, hasGpu, randomArray } from './harness.js';

/**
 * The matmul epilogues against the unfused composition they replace, on awkward shapes (1, primes, sizes
 * that are not multiples of the tile, narrow outputs computed as C^T, batches, a K split into dispatches):
 *  - accumulate: out += A B (+ bias) equals add(out, matmul(A, B)), bit for bit on each backend (the product
 *    is rounded to f32 before it is added, as add does), except where K is split (chunks added one by one);
 *  - matmulAct: y = act(A B + bias) and pre = A B + bias equal matmul then unary(act), bit for bit.
 */
const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);
const bits = async (t: Tensor) => {
  const a = (await t.toArray()) as Float32Array;
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
};

const dim = fc.constantFrom<number>(1, 2, 3, 5, 8, 13, 31, 33, 64, 130);
const caseArb = fc.record({
  batch: fc.constantFrom<number[]>([], [], [3], [2, 1]),
  M: dim,
  K: dim,
  N: dim,
  transA: fc.boolean(),
  transB: fc.boolean(),
  bias: fc.boolean(),
  path: fc.constantFrom<'auto' | 'naive' | 'nosg'>('auto', 'auto', 'naive', 'nosg'),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function make(d: Device, c: Case, seed: number) {
  const aShape = [...c.batch, ...(c.transA ? [c.K, c.M] : [c.M, c.K])];
  const bShape = c.transB ? [c.N, c.K] : [c.K, c.N];
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const opts: MatmulInternalOptions = { transA: c.transA, transB: c.transB };
  if (c.bias) opts.bias = tensor(d, randomArray(c.N, seed + 2, -1, 1));
  if (d !== cpu && c.path === 'naive') opts.variant = 'naive';
  if (d !== cpu && c.path === 'nosg') opts.subgroups = false;
  return { a: tensor(d, randomArray(size(aShape), seed, -2, 2), aShape), b: tensor(d, randomArray(size(bShape), seed + 1, -2, 2), bShape), opts, outShape: [...c.batch, c.M, c.N] };
}

describe('matmul epilogues equal the unfused composition (every backend)', () => {
  test.prop([caseArb, fc.integer()], { numRuns: 40 })('accumulate: out += A B (+ bias) is add(out, matmul), bit for bit', async (c, seed) => {
    for (const d of await devices()) {
      const { a, b, opts, outShape } = make(d, c, seed);
      const prev = randomArray(outShape.reduce((x, y) => x * y, 1), seed + 3, -3, 3);
      const want = scope(() => add(tensor(d, prev, outShape), matmul(a, b, opts)));
      const out = tensor(d, prev, outShape);
      const n0 = d.stats().dispatches;
      const r = matmul(a, b, { ...opts, out, accumulate: true });
      expect(r, 'returns out').toBe(out);
      expect(d.stats().dispatches - n0, `${d.backend}: one dispatch`).toBe(1);
      expect(await bits(out), `${d.backend} ${JSON.stringify(c)}`).toEqual(await bits(want));
      // out without accumulate: the plain product, written in place
      const fresh = tensor(d, prev, outShape);
      matmul(a, b, { ...opts, out: fresh });
      expect(await bits(fresh), `${d.backend} out=`).toEqual(await bits(scope(() => matmul(a, b, opts))));
    }
  });

  test.prop([caseArb, fc.constantFrom<MatmulAct>(...MATMUL_ACTS), fc.integer()], { numRuns: 25 })('matmulAct: act(A B + bias) and the pre-activation in one dispatch, bit for bit', async (c, act, seed) => {
    for (const d of await devices()) {
      const { a, b, opts } = make(d, c, seed);
      const pre0 = scope(() => matmul(a, b, opts));
      const y0 = act === 'none' ? pre0 : scope(() => unary(pre0, act, 1));
      const n0 = d.stats().dispatches;
      const { y, pre } = matmulAct(a, b, { ...opts, act });
      expect(d.stats().dispatches - n0, `${d.backend}: one dispatch`).toBe(1);
      const what = `${d.backend} ${act} ${JSON.stringify(c)}`;
      expect(await bits(pre), `pre, ${what}`).toEqual(await bits(pre0));
      expect(await bits(y), `y, ${what}`).toEqual(await bits(y0));
    }
  });

  test.prop([caseArb, fc.constantFrom<MatmulAct>('none', 'elu', 'tanh'), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.integer()], { numRuns: 30 })(
    'addend: act(A B + D[:, t, :]) equals act(add(matmul, slice)), bit for bit',
    async (c0, act, T, tSeed, seed) => {
      const c = { ...c0, bias: false, batch: c0.batch.length === 1 && !c0.transA ? c0.batch : [] }; // folded batches only: one [rows, N] product
      const rows = c.batch.reduce((x, y) => x * y, 1) * c.M;
      const t = tSeed % T;
      for (const d of await devices()) {
        const { a, b, opts } = make(d, c, seed);
        const D = tensor(d, randomArray(rows * T * c.N, seed + 5, -2, 2), [rows, T, c.N]);
        const want = scope(() => {
          const s = add(matmul(a, b, opts).reshape([rows, c.N]), slice(D, [0, t, 0], [rows, 1, c.N]).reshape([rows, c.N]));
          return act === 'none' ? s : unary(s, act, 1);
        });
        const addend = { x: D, offset: t * c.N, rowStride: T * c.N };
        const n0 = d.stats().dispatches;
        const { y } = matmulAct(a, b, { ...opts, addend, act });
        expect(d.stats().dispatches - n0).toBe(1);
        expect(await bits(y), `${d.backend} ${act} t ${t}/${T} ${JSON.stringify(c)}`).toEqual(await bits(want));
      }
    },
  );

  test.prop(
    [fc.constantFrom<number>(1, 2, 3, 4, 5, 63, 64, 65, 200, 801), fc.constantFrom<number>(1, 3, 63, 64, 65, 130), fc.constantFrom<Exclude<MatmulAct, 'none'>>('elu', 'silu', 'relu', 'tanh', 'sigmoid'), fc.boolean(), fc.integer()],
    { numRuns: 30 },
  )('matmulActGrad: dpre is unaryGrad bit for bit, dbias the column sums (in place: added as add would)', async (R, N, act, into, seed) => {
    const dyData = randomArray(R * N, seed, -2, 2);
    const preData = randomArray(R * N, seed + 1, -4, 4);
    const prev = randomArray(N, seed + 2, -1, 1);
    for (const d of await devices()) {
      const dy = tensor(d, dyData, [R, N]);
      const pre = tensor(d, preData, [R, N]);
      const target = into ? tensor(d, prev, [N]) : null;
      const n0 = d.stats().dispatches;
      const { dpre, dbias } = matmulActGrad(dy, pre, act, target);
      expect(d.stats().dispatches - n0).toBe(1);
      if (into) expect(dbias).toBe(target);
      const want = scope(() => unaryGrad(pre, dy, act as Exclude<MatmulAct, 'none'>, 1));
      expect(await bits(dpre), `${d.backend} dpre ${act} [${R},${N}]`).toEqual(await bits(want));
      // dbias: the same f32 values summed in another order than sumTo: ~R * eps relative of the absolute sum
      const dp = (await dpre.toArray()) as Float32Array;
      const oracle = Array.from({ length: N }, (_, c) => {
        let s = 0;
        for (let r = 0; r < R; r++) s += dp[r * N + c];
        return into ? Math.fround(prev[c] + Math.fround(s)) : s;
      });
      const scale = Array.from({ length: N }, (_, c) => {
        let s = 0;
        for (let r = 0; r < R; r++) s += Math.abs(dp[r * N + c]);
        return s;
      });
      const got = (await dbias.toArray()) as Float32Array;
      for (let c = 0; c < N; c++) expect(Math.abs(got[c] - oracle[c]), `${d.backend} dbias[${c}] ${act} [${R},${N}]`).toBeLessThanOrEqual(2 * R * 2 ** -24 * (scale[c] + Math.abs(prev[c])) + 1e-30);
      if (d === cpu) expectClose(got, into ? oracle : await sumTo(dpre, [N]).toArray(), { atol: 1e-5, rtol: 1e-5 }, 'CPU dbias vs sumTo');
    }
  });

  it('a K split into several dispatches: accumulate within f32 rounding of add, matmulAct exact', async () => {
    // K = 600 > 384 and K * N * 4 > 1 MiB with more than one row block: the blocked kernel splits K in 3 chunks.
    for (const d of await devices()) {
      const c: Case = { batch: [], M: 17, K: 600, N: 512, transA: false, transB: false, bias: true, path: 'auto' };
      const { a, b, opts, outShape } = make(d, c, 7);
      const prev = randomArray(17 * 512, 9, -3, 3);
      const want = await scope(() => add(tensor(d, prev, outShape), matmul(a, b, opts))).toArray();
      const out = tensor(d, prev, outShape);
      matmul(a, b, { ...opts, out, accumulate: true });
      const got = await out.toArray();
      // three chunk sums added one by one to prev instead of once: a few f32 roundings of values up to ~100
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `${d.backend} element ${i}`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(want[i])));
      const pre0 = scope(() => matmul(a, b, opts));
      const { y, pre } = matmulAct(a, b, { ...opts, act: 'elu' });
      expect(await bits(pre), d.backend).toEqual(await bits(pre0));
      expect(await bits(y), d.backend).toEqual(await bits(scope(() => unary(pre0, 'elu', 1))));
    }
  });

  it('rejects a bad out, accumulate without out and unknown activations, naming the op', () => {
    const a = tensor(cpu, randomArray(6, 1), [2, 3]);
    const b = tensor(cpu, randomArray(12, 2), [3, 4]);
    expect(() => matmul(a, b, { accumulate: true })).toThrow(/matmul: accumulate needs out/);
    expect(() => matmul(a, b, { out: tensor(cpu, new Float32Array(6), [2, 3]) })).toThrow(/matmul: out must have shape \[2,4\] \(the result's\), got \[2,3\]/);
    const sq = tensor(cpu, randomArray(4, 3), [2, 2]);
    expect(() => matmul(sq, sq, { out: sq })).toThrow(/matmul: out must not share memory with a/);
    const D = tensor(cpu, new Float32Array(8), [2, 4]);
    expect(() => matmul(a, b, { addend: { x: D, offset: 1, rowStride: 4 } })).toThrow(/matmul: addend rows of 4 at offset 1, stride 4 \(2 rows\) must lie inside addend.x \[2,4\]/);
    expect(() => matmul(a, b, { bias: tensor(cpu, new Float32Array(4)), addend: { x: D, offset: 0, rowStride: 4 } })).toThrow(/matmul: give a bias or an addend, not both/);
    expect(() => matmulActGrad(a, b, 'elu')).toThrow(/matmulActGrad: dy must have shape \[3,4\] \(that of pre\), got \[2,3\]/);
    expect(() => matmulActGrad(a, a, 'none')).toThrow(/matmulActGrad: act must be one of elu, silu, relu, tanh, sigmoid, got 'none'/);
    expect(() => matmulActGrad(a, a, 'elu', tensor(cpu, new Float32Array(2)))).toThrow(/matmulActGrad: biasInto must have shape \[3\], got \[2\]/);
    expect(() => matmulAct(a, b, { act: 'gelu' as never })).toThrow(/matmulAct: act must be one of none, elu, silu, relu, tanh, sigmoid, got 'gelu'/);
  });
});
