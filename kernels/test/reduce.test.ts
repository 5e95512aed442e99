import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  logSoftmax,
  logSoftmaxGrad,
  max,
  mean,
  min,
  scope,
  softmax,
  softmaxGrad,
  sum,
  sumTo,
  tensor,
  type Device,
  type Tensor,
} from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

type RedOp = 'sum' | 'mean' | 'max' | 'min';
const REDUCE = { sum, mean, max, min };
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// ---- independent float64 references ----

interface NaiveReduce {
  shape: number[];
  y: Float64Array;
  /** per output: sum of |x| over its reduced elements and their count (for the summation error bound) */
  absSum: Float64Array;
  count: number;
}

function naiveReduce(x: ArrayLike<number>, shape: number[], axes: number[], op: RedOp, keepDims: boolean): NaiveReduce {
  const rank = shape.length;
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const nout = size(keptShape);
  const count = axes.reduce((a, i) => a * shape[i], 1);
  const init = op === 'max' ? -Infinity : op === 'min' ? Infinity : 0;
  const y = new Float64Array(nout).fill(init);
  const absSum = new Float64Array(nout);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < size(shape); i++) {
    let r = i;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * keptShape[d] + (axes.includes(d) ? 0 : coord[d]);
    const v = x[i];
    y[o] = op === 'max' ? Math.max(y[o], v) : op === 'min' ? Math.min(y[o], v) : y[o] + v;
    absSum[o] += Math.abs(v);
  }
  if (op === 'mean') for (let o = 0; o < nout; o++) y[o] /= count;
  return { shape: keepDims ? keptShape : shape.filter((_, i) => !axes.includes(i)), y, absSum, count };
}

/**
 * Summation tolerance per output. Each thread (or split) adds in f32 in its own order; recursive summation
 * of n terms errs by at most (n - 1) eps sum|x| and typically ~sqrt(n) eps sum|x| (errors of random sign).
 * We allow 4 sqrt(n) eps sum|x| plus one rounding of the result: tight enough to catch a dropped or doubled
 * element (an error of ~|x|), loose enough for any summation order.
 */
function sumTol(ref: NaiveReduce, o: number, op: RedOp): number {
  const eps = 2 ** -24;
  const bound = (4 * Math.sqrt(ref.count) + 2) * eps * ref.absSum[o];
  return op === 'mean' ? bound / ref.count : bound;
}

function expectReduced(got: Float32Array, ref: NaiveReduce, op: RedOp, what: string): void {
  expect(got.length, what).toBe(ref.y.length);
  for (let o = 0; o < got.length; o++) {
    const want = ref.y[o];
    const tol = op === 'sum' || op === 'mean' ? sumTol(ref, o, op) : 0;
    // max/min pick an element: exact (the f32 input value)
    const ok = Number.isNaN(want) ? Number.isNaN(got[o]) : got[o] === Math.fround(want) || Math.abs(got[o] - want) <= tol;
    if (!ok) throw new Error(`${what}: output ${o}: got ${got[o]}, expected ${want} (tolerance ${tol})`);
  }
}

function naiveSoftmax(x: ArrayLike<number>, len: number, log: boolean): Float64Array {
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += len) {
    let m = -Infinity;
    for (let j = 0; j < len; j++) m = Math.max(m, x[base + j]);
    let s = 0;
    for (let j = 0; j < len; j++) s += Math.exp(x[base + j] - m);
    for (let j = 0; j < len; j++) y[base + j] = log ? x[base + j] - m - Math.log(s) : Math.exp(x[base + j] - m) / s;
  }
  return y;
}

// ---- generators: dims 1, primes, powers of two; random axis subsets; keepDims ----

const DIMS = [1, 1, 2, 3, 5, 7, 13, 32, 61, 127];
const MAX_ELEMS = 60_000;

function capSize(shape: number[], maxElems = MAX_ELEMS): number[] {
  const s = [...shape];
  while (size(s) > maxElems) s[s.indexOf(Math.max(...s))] = 1;
  return s;
}

/** A shape of rank 0..5, a subset of its axes in one of the accepted spellings, keepDims. */
const reduceCase = fc
  .record({
    shape: fc.array(fc.constantFrom(...DIMS), { maxLength: 5 }),
    pick: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    spelling: fc.constantFrom('array', 'negative', 'number', 'default'),
    keepDims: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ shape, pick, spelling, keepDims, seed }) => {
    const s = capSize(shape);
    const axes = s.map((_, i) => i).filter((i) => pick[i]);
    let arg: number | number[] | undefined;
    let norm = axes;
    if (spelling === 'default' || s.length === 0) {
      arg = undefined;
      norm = s.map((_, i) => i);
    } else if (spelling === 'number') {
      arg = axes.length ? axes[0] - s.length : -1; // negative single axis
      norm = [(arg as number) + s.length];
    } else if (spelling === 'negative') arg = axes.map((a) => a - s.length).reverse();
    else arg = axes;
    return { shape: s, arg, axes: norm, keepDims, seed };
  });

async function runReduce(dev: Device, op: RedOp, x: Float32Array, shape: number[], arg: number | number[] | undefined, keepDims: boolean) {
  const y = REDUCE[op](tensor(dev, x, shape), arg, keepDims);
  return { shape: y.shape, data: await read(y) };
}

function dispatches(dev: Device, f: () => Tensor | Tensor[]): number {
  const d0 = dev.stats().dispatches;
  scope(() => {
    f();
  });
  return dev.stats().dispatches - d0;
}

// ---- CPU semantics: run everywhere ----

describe('reductions on the CPU reference', () => {
  test.prop([fc.constantFrom<RedOp>('sum', 'mean', 'max', 'min'), reduceCase], { numRuns: 200 })(
    'equal a coordinate-wise float64 reduction over random axis subsets',
    async (op, { shape, arg, axes, keepDims, seed }) => {
      if (size(shape) === 0) return;
      const x = randomArray(size(shape), seed, -3, 3);
      const got = await runReduce(cpu, op, x, shape, arg, keepDims);
      const ref = naiveReduce(x, shape, axes, op, keepDims);
      expect(got.shape).toEqual(ref.shape);
      expectReduced(got.data, ref, op, `${op} ${JSON.stringify(shape)} axes ${JSON.stringify(arg)}`);
    },
  );

  it('computes hand-worked reductions', async () => {
    const x = tensor(cpu, [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(await read(sum(x))).toEqual(new Float32Array([21]));
    expect(sum(x).shape).toEqual([]);
    expect(await read(sum(x, 0))).toEqual(new Float32Array([5, 7, 9]));
    expect(await read(sum(x, -1))).toEqual(new Float32Array([6, 15]));
    expect(sum(x, 1, true).shape).toEqual([2, 1]);
    expect(sum(x, [0, 1], true).shape).toEqual([1, 1]);
    expect(await read(mean(x, 1))).toEqual(new Float32Array([2, 5]));
    expect(await read(max(x, 0))).toEqual(new Float32Array([4, 5, 6]));
    expect(await read(min(x, [1]))).toEqual(new Float32Array([1, 4]));
    expect(await read(max(tensor(cpu, [-Infinity, -5], [2])))).toEqual(new Float32Array([-5]));
    // [2,3,2]: middle axis, and first+last axes (two reduced groups around a kept one)
    const z = tensor(cpu, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
    expect(await read(sum(z, 1))).toEqual(new Float32Array([9, 12, 27, 30]));
    expect(await read(sum(z, [0, 2]))).toEqual(new Float32Array([1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12]));
    // empty axis list: a view with the same values; scalar input
    expect(await read(sum(x, []))).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(await read(sum(tensor(cpu, [7], [])))).toEqual(new Float32Array([7]));
  });

  it('reduces empty axes to the identity (sum 0, mean NaN) and rejects max/min over them', async () => {
    const e = tensor(cpu, [], [0, 3]);
    expect(await read(sum(e, 0))).toEqual(new Float32Array([0, 0, 0]));
    expect(await read(mean(e, 0))).toEqual(new Float32Array([NaN, NaN, NaN]));
    expect(sum(e, 1).shape).toEqual([0]);
    expect(() => max(e, 0)).toThrow('max: cannot reduce over an empty axis (shape [0,3], axes [0])');
  });

  it('sumTo sums a broadcast result back to the operand shape', async () => {
    const x = tensor(cpu, [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(await read(sumTo(x, [3]))).toEqual(new Float32Array([5, 7, 9]));
    expect(await read(sumTo(x, [1, 3]))).toEqual(new Float32Array([5, 7, 9]));
    expect(sumTo(x, [1, 3]).shape).toEqual([1, 3]);
    expect(await read(sumTo(x, [2, 1]))).toEqual(new Float32Array([6, 15]));
    expect(await read(sumTo(x, []))).toEqual(new Float32Array([21]));
    expect(sumTo(x, [2, 3]).shape).toEqual([2, 3]);
    expect(await read(sumTo(x, [2, 3]))).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(() => sumTo(x, [4])).toThrow('sumTo: x of shape [2,3] cannot be summed to [4] ([4] does not broadcast to [2,3])');
    expect(() => sumTo(x, [1, 2, 3])).toThrow('sumTo: x of shape [2,3] cannot be summed to [1,2,3]');
  });

  test.prop(
    [
      fc.array(fc.constantFrom(...DIMS), { maxLength: 5 }),
      fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      fc.nat(5),
      fc.integer(),
    ],
    { numRuns: 100 },
  )('sumTo(x, t) equals summing the broadcast axes', async (shape0, ones, drop, seed) => {
    const shape = capSize(shape0);
    const target = shape.slice(Math.min(drop, shape.length)).map((d, i) => (ones[i] ? 1 : d));
    const x = randomArray(size(shape), seed, -2, 2);
    const y = sumTo(tensor(cpu, x, shape), target);
    expect(y.shape).toEqual(target);
    const lead = shape.length - target.length;
    const axes = shape.map((_, i) => i).filter((i) => i < lead || target[i - lead] !== shape[i]);
    expectReduced(await read(y), naiveReduce(x, shape, axes, 'sum', false), 'sum', `sumTo ${JSON.stringify(shape)} -> ${JSON.stringify(target)}`);
  });

  it('rejects bad axes and dtypes naming the op, the expected and the actual', () => {
    const x = tensor(cpu, new Float32Array(6), [2, 3]);
    expect(() => sum(x, 2)).toThrow('sum: axis 2 is out of range for a tensor of rank 2');
    expect(() => mean(x, [-3])).toThrow('mean: axis -3 is out of range for a tensor of rank 2');
    expect(() => max(x, [0, -2])).toThrow('max: repeated axis in [0,-2]');
    expect(() => min(tensor(cpu, new Int32Array(2)), 0)).toThrow('min: x must have dtype f32, got i32');
    expect(() => softmax(tensor(cpu, [1], []))).toThrow('softmax: x must have rank >= 1 (rows are the last axis), got shape []');
    expect(() => softmaxGrad(x, tensor(cpu, new Float32Array(3), [3]))).toThrow('softmaxGrad: dy must have the shape of y [2,3], got [3]');
    expect(() => logSoftmax(tensor(cpu, new Int32Array(2)))).toThrow('logSoftmax: x must have dtype f32, got i32');
    // 4 separate reduced groups cannot be indexed
    const y = tensor(cpu, new Float32Array(2 ** 8), [2, 2, 2, 2, 2, 2, 2, 2]);
    expect(() => sum(y, [0, 2, 4, 6])).toThrow(/sum: reducing axes \[0,2,4,6\] of shape \[2,2,2,2,2,2,2,2\] needs at most 3 separate groups/);
    x.dispose();
    expect(() => sum(x)).toThrow('sum: a tensor of shape [2,3] was used after dispose()');
  });

  it('uses 1 dispatch, 2 for long rows with few outputs, none for size-1 reductions, and frees its partials', () => {
    const before = cpu.stats().liveBuffers;
    const small = tensor(cpu, new Float32Array(25600 * 32), [25600, 32]);
    const long = tensor(cpu, new Float32Array(1 << 20), [1, 1 << 20]);
    expect(dispatches(cpu, () => sum(small, -1))).toBe(1);
    expect(dispatches(cpu, () => sum(small, 0))).toBe(2); // 32 outputs of 25600
    expect(dispatches(cpu, () => max(long))).toBe(2);
    expect(dispatches(cpu, () => sum(small.reshape([25600, 1, 32]), 1))).toBe(0);
    expect(dispatches(cpu, () => softmax(small))).toBe(1);
    expect(dispatches(cpu, () => logSoftmaxGrad(small, small))).toBe(1);
    expect(dispatches(cpu, () => softmax(long))).toBe(2);
    expect(dispatches(cpu, () => softmaxGrad(long, long))).toBe(2);
    small.dispose();
    long.dispose();
    expect(cpu.stats().liveBuffers).toBe(before);
  });
});

describe('softmax on the CPU reference', () => {
  it('computes hand-worked values', async () => {
    const x = tensor(cpu, [0, Math.log(3), 5, 5], [2, 2]);
    expectClose(await read(softmax(x)), [0.25, 0.75, 0.5, 0.5], { atol: 1e-7, rtol: 0 });
    expectClose(await read(logSoftmax(x)), [Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)], { atol: 1e-6, rtol: 0 });
    // softmax is shift-invariant and survives huge logits; -inf gives 0 / -inf; all -inf gives NaN
    const big = tensor(cpu, [1e4, 1e4 - Math.log(3), -1e4, -Infinity, 1, -Infinity, -Infinity], [1, 7]);
    const d = Math.fround(1e4) - Math.fround(1e4 - Math.log(3)); // ~log 3 after f32 rounding of the logits
    const p = await read(softmax(big));
    expectClose(p, [1 / (1 + Math.exp(-d)), 1 / (1 + Math.exp(d)), 0, 0, 0, 0, 0], { atol: 1e-7, rtol: 0 });
    const allInf = await read(softmax(tensor(cpu, [-Infinity, -Infinity], [1, 2])));
    expect(Number.isNaN(allInf[0]) && Number.isNaN(allInf[1])).toBe(true);
    expect((await read(logSoftmax(big)))[3]).toBe(-Infinity);
  });

  test.prop([fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 2, 3, 7, 32, 33), fc.integer(), fc.boolean()], { numRuns: 60 })(
    'softmaxGrad / logSoftmaxGrad are the vector-Jacobian products (central differences in float64)',
    async (rows, len, seed, log) => {
      const x = randomArray(rows * len, seed, -3, 3);
      const dy = randomArray(rows * len, seed + 1, -1, 1);
      const v = randomArray(rows * len, seed + 2, -1, 1);
      const y = (log ? logSoftmax : softmax)(tensor(cpu, x, [rows, len]));
      const dx = await read((log ? logSoftmaxGrad : softmaxGrad)(y, tensor(cpu, dy, [rows, len])));
      // <dx, v> = d/dh <dy, f(x + h v)> at h = 0
      const L = (h: number) => naiveSoftmax(Array.from(x, (xi, i) => xi + h * v[i]), len, log).reduce((acc, fi, i) => acc + dy[i] * fi, 0);
      const h = 1e-5;
      const fd = (L(h) - L(-h)) / (2 * h);
      const vjp = dx.reduce((acc, d, i) => acc + d * v[i], 0);
      // dx is computed in f32 from an f32 y: ~1e-7 relative per element, summed over up to 1320 elements
      expect(Math.abs(vjp - fd)).toBeLessThanOrEqual(1e-5 * (1 + rows * len * 0.01) + 1e-4 * Math.abs(fd));
    },
  );
});

// ---- WGSL versus the CPU reference ----

describe.runIf(hasGpu)('reduce kernels: WGSL equals the CPU reference', () => {
  test.prop([fc.constantFrom<RedOp>('sum', 'mean', 'max', 'min'), reduceCase], { numRuns: 80 })(
    'over random axis subsets with keepDims',
    async (op, { shape, arg, axes, keepDims, seed }) => {
      if (size(shape) === 0) return;
      const g = await gpu();
      const x = randomArray(size(shape), seed, -3, 3);
      const got = await runReduce(g, op, x, shape, arg, keepDims);
      const want = await runReduce(cpu, op, x, shape, arg, keepDims);
      expect(got.shape).toEqual(want.shape);
      // both against the float64 reduction with the summation bound (max/min exact)
      const ref = naiveReduce(x, shape, axes, op, keepDims);
      expectReduced(got.data, ref, op, `gpu ${op} ${JSON.stringify(shape)} axes ${JSON.stringify(arg)}`);
      expectReduced(want.data, ref, op, `cpu ${op} ${JSON.stringify(shape)} axes ${JSON.stringify(arg)}`);
    },
  );

  // Shapes that take the split (two-dispatch) path, including reduced groups that are not contiguous
  // (rank-2 and rank-3 reduced index decomposition) and outputs that vary fastest across threads.
  const LARGE: [number[], number[]][] = [
    [[1, 100003], [1]],
    [[3, 70001], [1]],
    [[100003, 3], [0]],
    [[2, 3, 20011], [0, 2]],
    [[3, 2, 5, 2, 1031], [0, 2, 4]],
    [[7, 4099, 5], [1]],
    [[1031, 64], [0]],
    [[262147], [0]],
  ];
  for (const [shape, axes] of LARGE) {
    it(`split path ${JSON.stringify(shape)} over ${JSON.stringify(axes)}`, async () => {
      const g = await gpu();
      const x = randomArray(size(shape), size(shape), -1, 2); // biased positive: the harder summation case
      for (const op of ['sum', 'mean', 'max', 'min'] as RedOp[]) {
        const ref = naiveReduce(x, shape, axes, op, false);
        const got = await runReduce(g, op, x, shape, axes, false);
        expect(got.shape).toEqual(ref.shape);
        expectReduced(got.data, ref, op, `${op} ${JSON.stringify(shape)}`);
      }
      expect(dispatches(g, () => sum(tensor(g, x, shape), axes))).toBe(2);
    });
  }

  it('extreme values: infinities and f32 extremes in max/min, overflow to inf in sum', async () => {
    const g = await gpu();
    const x = new Float32Array([3e38, -3e38, Infinity, 1, -Infinity, 2, 3e38, 3e38, 5, -1e-38]);
    for (const [shape, axes] of [
      [[10], [0]],
      [[5, 2], [0]],
      [[5, 2], [1]],
    ] as [number[], number[]][]) {
      for (const op of ['max', 'min'] as RedOp[]) {
        expectClose((await runReduce(g, op, x, shape, axes, false)).data, (await runReduce(cpu, op, x, shape, axes, false)).data, { atol: 0, rtol: 0 }, op);
      }
    }
    // 3e38 + 3e38 overflows f32 on both (the CPU rounds its float64 sum to f32 on store)
    expect(await read(sum(tensor(g, [3e38, 3e38], [2])))).toEqual(new Float32Array([Infinity]));
    expect(await read(max(tensor(g, [-Infinity, -Infinity], [2])))).toEqual(new Float32Array([-Infinity]));
    const e = tensor(g, [], [0, 3]);
    expect(await read(sum(e, 0))).toEqual(new Float32Array([0, 0, 0]));
  });

  test.prop(
    [
      fc.array(fc.constantFrom(...DIMS), { maxLength: 5 }),
      fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      fc.nat(5),
      fc.integer(),
    ],
    { numRuns: 30 },
  )('sumTo', async (shape0, ones, drop, seed) => {
    const g = await gpu();
    const shape = capSize(shape0);
    const target = shape.slice(Math.min(drop, shape.length)).map((d, i) => (ones[i] ? 1 : d));
    const x = randomArray(size(shape), seed, -2, 2);
    const y = sumTo(tensor(g, x, shape), target);
    expect(y.shape).toEqual(target);
    const lead = shape.length - target.length;
    const axes = shape.map((_, i) => i).filter((i) => i < lead || target[i - lead] !== shape[i]);
    expectReduced(await read(y), naiveReduce(x, shape, axes, 'sum', false), 'sum', `sumTo ${JSON.stringify(shape)} -> ${JSON.stringify(target)}`);
  });
});

describe.runIf(hasGpu)('softmax kernels: WGSL equals the CPU reference', () => {
  // Row lengths: 1, primes, 32 (categorical latents), and long rows that take the split path when rows are few.
  const LENS = [1, 2, 3, 7, 31, 32, 33, 127, 1031, 4099];
  const softmaxCase = fc
    .record({
      lead: fc.array(fc.constantFrom(1, 2, 3, 5, 16, 50), { maxLength: 3 }),
      len: fc.constantFrom(...LENS),
      scale: fc.constantFrom(1, 10, 100, 1e4),
      seed: fc.integer(),
    })
    .map(({ lead, len, scale, seed }) => ({ shape: [...capSize(lead, Math.floor(40_000 / len)), len], scale, seed }));

  // softmax: probabilities <= 1, exp and the row sum within a few ulp: 2e-6 absolute, 2e-5 relative.
  // log-softmax: (x - m) is exact-ish and log(s) a few ulp; the result is |x - m| + log s up to ~2 scale:
  // relative 1e-6 of the value plus 1e-5 absolute.
  test.prop([softmaxCase, fc.boolean()], { numRuns: 60 })('softmax / logSoftmax rows, logits up to +-1e4', async ({ shape, scale, seed }, log) => {
    const g = await gpu();
    const x = randomArray(size(shape), seed, -scale, scale);
    const len = shape[shape.length - 1];
    const f = log ? logSoftmax : softmax;
    const got = await read(f(tensor(g, x, shape)));
    const want = await read(f(tensor(cpu, x, shape)));
    const tol = log ? { atol: 1e-5, rtol: 1e-6 } : { atol: 2e-6, rtol: 2e-5 };
    const what = `${log ? 'logSoftmax' : 'softmax'} ${JSON.stringify(shape)} scale ${scale}`;
    expectClose(got, want, tol, what);
    expectClose(got, naiveSoftmax(x, len, log), tol, `${what} vs float64`);
    if (!log) {
      for (let b = 0; b < got.length; b += len) {
        let s = 0;
        for (let j = 0; j < len; j++) s += got[b + j];
        expect(Math.abs(s - 1), `${what}: row sum ${s}`).toBeLessThan(1e-5 * Math.sqrt(len) + 1e-6);
      }
    }
  });

  test.prop([softmaxCase, fc.boolean()], { numRuns: 40 })('softmaxGrad / logSoftmaxGrad', async ({ shape, seed }, log) => {
    const g = await gpu();
    const x = randomArray(size(shape), seed, -4, 4);
    const dy = randomArray(size(shape), seed + 1, -1, 1);
    const run = async (dev: Device) => {
      const y = (log ? logSoftmax : softmax)(tensor(dev, x, shape));
      return read((log ? logSoftmaxGrad : softmaxGrad)(y, tensor(dev, dy, shape)));
    };
    // the row sum (f32 on the GPU) is of terms <= 1 in size: its error ~ sqrt(len) ulp enters every element
    const len = shape[shape.length - 1];
    expectClose(await run(g), await run(cpu), { atol: 2e-6 * Math.sqrt(len), rtol: 2e-5 }, `${log ? 'logSoftmaxGrad' : 'softmaxGrad'} ${JSON.stringify(shape)}`);
  });

  it('handles -inf logits (0 / -inf) and rows of +-1e4 in both row and split paths', async () => {
    const g = await gpu();
    for (const len of [5, 2048]) {
      const x = randomArray(2 * len, len, -1e4, 1e4);
      x[1] = -Infinity;
      x[len + 3] = -Infinity;
      x[len + 4] = 1e4;
      for (const f of [softmax, logSoftmax]) {
        const got = await read(f(tensor(g, x, [2, len])));
        const want = await read(f(tensor(cpu, x, [2, len])));
        expect(got[1]).toBe(f === softmax ? 0 : -Infinity);
        expectClose(got, want, f === softmax ? { atol: 2e-6, rtol: 2e-5 } : { atol: 1e-5, rtol: 1e-6 }, `${f.name} len ${len}`);
      }
    }
  });

  it('categorical latents [16*50*32, 32]: one dispatch per op, matching the reference', async () => {
    const g = await gpu();
    const shape = [16, 50, 32, 32];
    const x = randomArray(size(shape), 7, -5, 5);
    const t = tensor(g, x, shape);
    expect(dispatches(g, () => [softmax(t), logSoftmax(t), softmaxGrad(t, t), logSoftmaxGrad(t, t)])).toBe(4);
    expectClose(await read(softmax(t)), naiveSoftmax(x, 32, false), { atol: 2e-6, rtol: 2e-5 }, 'latents');
    t.dispose();
  });
});
