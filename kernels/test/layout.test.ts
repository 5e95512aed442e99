import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  broadcastTo,
  cast,
  concat,
  copy,
  copyInto,
  gather,
  gatherBackward,
  oneHot,
  permute,
  scope,
  slice,
  sliceAdd,
  sliceBackward,
  add,
  tensor,
  transpose,
  type Device,
  type DType,
  type Tensor,
  type TypedArray,
} from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray } from './harness.js';

// ---------------------------------------------------------------------------------------------------------------
// Independent oracles: coordinate-based, sharing no code with src/layout (whose axis merging is shared by both
// backends, so GPU == CPU alone would not test it).
// ---------------------------------------------------------------------------------------------------------------
type Shape = readonly number[];
const size = (s: Shape) => s.reduce((a, b) => a * b, 1);
function unravel(i: number, shape: Shape): number[] {
  const c = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    c[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return c;
}
function ravel(c: readonly number[], shape: Shape): number {
  let i = 0;
  for (let k = 0; k < shape.length; k++) i = i * shape[k] + c[k];
  return i;
}
function alloc(dtype: DType, n: number): TypedArray {
  return dtype === 'f32' ? new Float32Array(n) : dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
}
const dtypeOf = (a: TypedArray): DType => (a instanceof Float32Array ? 'f32' : a instanceof Int32Array ? 'i32' : 'u8');
/** out[i] = data[src(coords of i in outShape)], or 0 when src returns -1. */
function mapCoords(data: TypedArray, outShape: Shape, src: (c: number[]) => number, fill = 0): TypedArray {
  const out = alloc(dtypeOf(data), size(outShape));
  for (let i = 0; i < out.length; i++) {
    const s = src(unravel(i, outShape));
    out[i] = s < 0 ? fill : data[s];
  }
  return out;
}
const oPermute = (x: TypedArray, shape: Shape, perm: readonly number[]) =>
  mapCoords(x, perm.map((p) => shape[p]), (c) => {
    const ic = new Array<number>(shape.length);
    perm.forEach((p, k) => (ic[p] = c[k]));
    return ravel(ic, shape);
  });
const resolveSize = (shape: Shape, begin: readonly number[], sz: readonly number[]) => sz.map((s, k) => (s === -1 ? shape[k] - begin[k] : s));
const oSlice = (x: TypedArray, shape: Shape, begin: readonly number[], sz: readonly number[]) =>
  mapCoords(x, resolveSize(shape, begin, sz), (c) => ravel(c.map((v, k) => v + begin[k]), shape));
const oPad = (dy: TypedArray, dyShape: Shape, shape: Shape, begin: readonly number[]) =>
  mapCoords(dy, shape, (c) => {
    const d = c.map((v, k) => v - begin[k]);
    return d.every((v, k) => v >= 0 && v < dyShape[k]) ? ravel(d, dyShape) : -1;
  });
const oBroadcast = (x: TypedArray, xShape: Shape, shape: Shape) =>
  mapCoords(x, shape, (c) => ravel(xShape.map((d, k) => (d === 1 ? 0 : c[shape.length - xShape.length + k])), xShape));
function oConcat(xs: TypedArray[], shapes: Shape[], axis: number): TypedArray {
  const ax = axis < 0 ? axis + shapes[0].length : axis;
  const outShape = shapes[0].map((d, k) => (k === ax ? shapes.reduce((a, s) => a + s[ax], 0) : d));
  const out = alloc(dtypeOf(xs[0]), size(outShape));
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, outShape);
    let j = 0;
    while (c[ax] >= shapes[j][ax]) c[ax] -= shapes[j++][ax];
    out[i] = xs[j][ravel(c, shapes[j])];
  }
  return out;
}
function oGather(x: TypedArray, shape: Shape, idx: Int32Array, idxShape: Shape, axis: number): TypedArray {
  const ax = axis < 0 ? axis + shape.length : axis;
  const outShape = [...shape.slice(0, ax), ...idxShape, ...shape.slice(ax + 1)];
  return mapCoords(x, outShape, (c) => {
    const a = idx[ravel(c.slice(ax, ax + idxShape.length), idxShape)];
    if (a < 0 || a >= shape[ax]) return -1;
    return ravel([...c.slice(0, ax), a, ...c.slice(ax + idxShape.length)], shape);
  }, dtypeOf(x) === 'f32' ? NaN : 0);
}
function oGatherBackward(dy: Float32Array, idx: Int32Array, idxShape: Shape, shape: Shape, axis: number): Float64Array {
  const ax = axis < 0 ? axis + shape.length : axis;
  const dyShape = [...shape.slice(0, ax), ...idxShape, ...shape.slice(ax + 1)];
  const dx = new Float64Array(size(shape));
  for (let i = 0; i < dy.length; i++) {
    const c = unravel(i, dyShape);
    const a = idx[ravel(c.slice(ax, ax + idxShape.length), idxShape)];
    if (a >= 0 && a < shape[ax]) dx[ravel([...c.slice(0, ax), a, ...c.slice(ax + idxShape.length)], shape)] += dy[i];
  }
  return dx;
}
const halfEven = (v: number) => (Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
function oCast(x: TypedArray, dtype: DType, scale: number, shift: number): TypedArray {
  const out = alloc(dtype, x.length);
  const f = Math.fround;
  for (let i = 0; i < x.length; i++) {
    const v = f(f(x[i] * f(scale)) + f(shift));
    if (dtype === 'f32') out[i] = v;
    else if (dtype === 'u8') out[i] = v <= 0 ? 0 : v >= 255 ? 255 : halfEven(v);
    else out[i] = v <= -2147483648 ? -2147483648 : v >= 2147483520 ? 2147483520 : halfEven(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------
/** Random data of a dtype: f32 in [-100, 100), i32 over the whole range, u8 over 0..255. */
function makeData(dtype: DType, n: number, seed: number): TypedArray {
  const r = randomArray(n, seed, 0, 1);
  if (dtype === 'f32') return r.map((v) => v * 200 - 100);
  if (dtype === 'i32') return Int32Array.from(r, (v) => Math.floor(v * 2 ** 32) - 2 ** 31);
  return Uint8Array.from(r, (v) => Math.floor(v * 256));
}
/** Bit-exact equality (data movement must not change a single bit); names the first differing element. */
function expectSame(got: TypedArray, want: TypedArray, what: string): void {
  expect(dtypeOf(got), `${what}: dtype`).toBe(dtypeOf(want));
  expect(got.length, `${what}: length`).toBe(want.length);
  const g = dtypeOf(got) === 'u8' ? got : new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = dtypeOf(want) === 'u8' ? want : new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) throw new Error(`${what}: first difference at [${i}]: got ${got[i]}, expected ${want[i]}`);
  }
}
/** Runs op on a device (inside a scope, so its tensors are released) and reads the result back. */
async function on(dev: Device, op: (d: Device) => Tensor): Promise<TypedArray> {
  const t = scope(() => op(dev));
  const out = await t.toArray();
  t.dispose();
  return out;
}
/** The result on the CPU reference and, where there is one, on the GPU. */
async function both(op: (d: Device) => Tensor): Promise<{ ref: TypedArray; got: TypedArray | null }> {
  const ref = await on(cpu, op);
  const got = hasGpu ? await on(await gpu(), op) : null;
  return { ref, got };
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries: small dims with primes, ranks 1..6, at most 4096 elements
// ---------------------------------------------------------------------------------------------------------------
const dim = fc.constantFrom(1, 1, 2, 3, 4, 5, 6, 7, 13, 31);
const shapeArb = (minRank = 1, maxRank = 6, maxSize = 4096) =>
  fc.array(dim, { minLength: minRank, maxLength: maxRank }).filter((s) => size(s) <= maxSize);
const dtypeArb = fc.constantFrom<DType>('f32', 'i32', 'u8');
const seedArb = fc.integer();
const permArb = shapeArb().chain((shape) =>
  fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length })),
);
const sliceArb = shapeArb().chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d }).chain((b) => fc.tuple(fc.constant(b), fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: d - b })))))),
  ),
);
const broadcastArb = shapeArb().chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.integer({ min: 0, max: shape.length - 1 }).chain((drop) =>
      fc.array(fc.boolean(), { minLength: shape.length - drop, maxLength: shape.length - drop }).map((ones) => shape.slice(drop).map((d, k) => (ones[k] ? 1 : d))),
    ),
  ),
);
const concatArb = shapeArb(1, 5, 1024).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.integer({ min: -shape.length, max: shape.length - 1 }),
    fc.array(fc.constantFrom(0, 1, 2, 3, 5, 7), { minLength: 1, maxLength: 4 }),
  ),
);
/** x shape, axis (possibly negative), index shape (rank 0..2) and indices with repeats and a few out of range. */
const gatherArb = shapeArb(1, 4, 2048).chain((shape) =>
  fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((axis) => {
    const A = shape[axis < 0 ? axis + shape.length : axis];
    return fc.tuple(
      fc.constant(shape),
      fc.constant(axis),
      fc.array(fc.constantFrom(1, 2, 3, 5, 7), { minLength: 0, maxLength: 2 }).chain((ishape) =>
        fc.tuple(
          fc.constant(ishape),
          fc.array(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: A - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, A, -7, 1 << 30) }), {
            minLength: size(ishape),
            maxLength: size(ishape),
          }),
        ),
      ),
    );
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// The CPU reference (and the host-side axis arithmetic) against the oracles: runs everywhere
// ---------------------------------------------------------------------------------------------------------------
describe('layout CPU reference equals a coordinate-based oracle', () => {
  test.prop([permArb, dtypeArb, seedArb], { numRuns: 150 })('permute', async ([shape, perm], dtype, seed) => {
    const x = makeData(dtype, size(shape), seed);
    expectSame(await on(cpu, (d) => permute(tensor(d, x, shape), perm)), oPermute(x, shape, perm), `permute ${dtype} [${shape}] by [${perm}]`);
  });

  test.prop([sliceArb, dtypeArb, seedArb], { numRuns: 150 })('slice and sliceBackward', async ([shape, bs], dtype, seed) => {
    const begin = bs.map((b) => b[0]);
    const sz = bs.map((b) => b[1]);
    const x = makeData(dtype, size(shape), seed);
    const want = oSlice(x, shape, begin, sz);
    expectSame(await on(cpu, (d) => slice(tensor(d, x, shape), begin, sz)), want, `slice ${dtype} [${shape}] at [${begin}] size [${sz}]`);
    if (dtype === 'u8') return;
    const ysh = resolveSize(shape, begin, sz);
    expectSame(await on(cpu, (d) => sliceBackward(tensor(d, want, ysh), shape, begin)), oPad(want, ysh, shape, begin), 'sliceBackward');
  });

  test.prop([broadcastArb, dtypeArb, seedArb], { numRuns: 150 })('broadcastTo', async ([shape, xShape], dtype, seed) => {
    const x = makeData(dtype, size(xShape), seed);
    expectSame(await on(cpu, (d) => broadcastTo(tensor(d, x, xShape), shape)), oBroadcast(x, xShape, shape), `broadcast [${xShape}] to [${shape}]`);
  });

  test.prop([sliceArb, seedArb], { numRuns: 150 })('sliceAdd', async ([shape, bs], seed) => {
    const begin = bs.map((b) => b[0]);
    const ysh = resolveSize(shape, begin, bs.map((b) => b[1]));
    const x = makeData('f32', size(shape), seed) as Float32Array;
    const a = makeData('f32', size(ysh), seed + 1) as Float32Array;
    const box = oSlice(x, shape, begin, ysh);
    const want = a.map((v, i) => Math.fround(v + box[i]));
    expectSame(await on(cpu, (d) => sliceAdd(tensor(d, a, ysh), tensor(d, x, shape), begin)), want, `sliceAdd [${ysh}] + [${shape}] at [${begin}]`);
  });

  test.prop([concatArb, dtypeArb, seedArb], { numRuns: 150 })('concat', async ([shape, axis, lens], dtype, seed) => {
    const ax = axis < 0 ? axis + shape.length : axis;
    const shapes = lens.map((l) => shape.map((d, k) => (k === ax ? l : d)));
    const xs = shapes.map((s, i) => makeData(dtype, size(s), seed + i));
    expectSame(await on(cpu, (d) => concat(xs.map((x, i) => tensor(d, x, shapes[i])), axis)), oConcat(xs, shapes, axis), `concat axis ${axis}`);
  });

  test.prop([gatherArb, dtypeArb, seedArb], { numRuns: 150 })('gather and gatherBackward', async ([shape, axis, [ishape, idxs]], dtype, seed) => {
    const x = makeData(dtype, size(shape), seed);
    const idx = Int32Array.from(idxs);
    expectSame(await on(cpu, (d) => gather(tensor(d, x, shape), tensor(d, idx, ishape), axis)), oGather(x, shape, idx, ishape, axis), 'gather');
    const ax = axis < 0 ? axis + shape.length : axis;
    const dyShape = [...shape.slice(0, ax), ...ishape, ...shape.slice(ax + 1)];
    const dy = randomArray(size(dyShape), seed);
    const got = await on(cpu, (d) => gatherBackward(tensor(d, dy, dyShape), tensor(d, idx, ishape), shape, axis));
    // f32 accumulation (reference) vs double (oracle): at most K terms below 1 in magnitude, so the rounding error
    // of the sum is below K * K * 2^-24 (K = number of indices, up to 49 here).
    const K = idx.length;
    expectClose(got, oGatherBackward(dy, idx, ishape, shape, axis), { atol: Math.max(1e-7, K * K * 2 ** -24), rtol: 0 }, `gatherBackward K=${K}`);
  });

  it('computes hand-worked examples', async () => {
    const x = tensor(cpu, [1, 2, 3, 4, 5, 6], [2, 3]);
    expect([...(await transpose(x).toArray())]).toEqual([1, 4, 2, 5, 3, 6]);
    expect(transpose(x).shape).toEqual([3, 2]);
    expect([...(await slice(x, [0, 1], [-1, 2]).toArray())]).toEqual([2, 3, 5, 6]);
    expect([...(await sliceBackward(tensor(cpu, [7, 8], [1, 2]), [2, 3], [1, 1]).toArray())]).toEqual([0, 0, 0, 0, 7, 8]);
    expect([...(await concat([x, tensor(cpu, [9, 10], [2, 1])], -1).toArray())]).toEqual([1, 2, 3, 9, 4, 5, 6, 10]);
    expect([...(await broadcastTo(tensor(cpu, [1, 2], [2, 1]), [2, 2, 2]).toArray())]).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    // gather along axis 1 with a repeated index; its backward adds the repeated column twice.
    const idx = tensor(cpu, new Int32Array([2, 0, 2]));
    const g = gather(x, idx, 1);
    expect(g.shape).toEqual([2, 3]);
    expect([...(await g.toArray())]).toEqual([3, 1, 3, 6, 4, 6]);
    const dx = gatherBackward(tensor(cpu, [1, 10, 100, 1, 10, 100], [2, 3]), idx, [2, 3], 1);
    expect([...(await dx.toArray())]).toEqual([10, 0, 101, 10, 0, 101]);
    // scalar indices drop the axis
    const row = gather(x, tensor(cpu, new Int32Array([1]), []), 0);
    expect(row.shape).toEqual([3]);
    expect([...(await row.toArray())]).toEqual([4, 5, 6]);
    const oh = oneHot(tensor(cpu, new Int32Array([2, 0, 3, -1]), [2, 2]), 3);
    expect(oh.shape).toEqual([2, 2, 3]);
    expect([...(await oh.toArray())]).toEqual([0, 0, 1, 1, 0, 0, NaN, NaN, NaN, NaN, NaN, NaN]);
    // The image path: pixels / 255 - 0.5 and back.
    const img = tensor(cpu, new Uint8Array([0, 255, 51]));
    const f = cast(img, 'f32', 1 / 255, -0.5);
    expectClose(await f.toArray(), [-0.5, 0.5, -0.3], { atol: 1e-7, rtol: 0 }, 'u8 -> f32');
    expect([...(await cast(f, 'u8', 255, 127.5).toArray())]).toEqual([0, 255, 51]);
    expect([...(await cast(tensor(cpu, [1.5, 2.5, -1.5, -2.5, 7.49]), 'i32').toArray())]).toEqual([2, 2, -2, -2, 7]);
    expect(copy(img).dtype).toBe('u8');
    expect([...(await copy(img).toArray())]).toEqual([0, 255, 51]);
  });

  it('casts extreme values with clamping', async () => {
    const big = new Float32Array([-1e30, -1, -0.5, -0.4, 0, 0.5, 1.5, 2.5, 254.5, 255, 255.4, 255.6, 1e30, Infinity, -Infinity]);
    expect([...(await cast(tensor(cpu, big), 'u8').toArray())]).toEqual([0, 0, 0, 0, 0, 0, 2, 2, 254, 255, 255, 255, 255, 255, 0]);
    const wide = new Float32Array([3e9, -3e9, 2147483520, Infinity, -Infinity, -3.5]);
    expect([...(await cast(tensor(cpu, wide), 'i32').toArray())]).toEqual([2147483520, -2147483648, 2147483520, 2147483520, -2147483648, -4]);
    const ints = new Int32Array([2147483647, -2147483648, 16777217, -3]);
    expect([...(await cast(tensor(cpu, ints), 'f32').toArray())]).toEqual([2147483648, -2147483648, 16777216, -3]);
  });

  it('rejects bad arguments naming the op, the expected and the actual', () => {
    const x = tensor(cpu, new Float32Array(6), [2, 3]);
    const idx = tensor(cpu, new Int32Array([0, 1]));
    expect(() => permute(x, [0, 0])).toThrow(/permute: perm must be a permutation of 0\.\.1 for x of shape \[2,3\], got \[0,0\]/);
    expect(() => permute(x, [1, 2])).toThrow(/permute: perm must be a permutation of 0\.\.1 .*got \[1,2\]/);
    expect(() => permute(x, [0])).toThrow(/permute: perm must be a permutation/);
    expect(() => permute(tensor(cpu, new Float32Array(1), [1, 1, 1, 1, 1, 1, 1]), [0, 1, 2, 3, 4, 5, 6])).toThrow(/permute: x must have rank <= 6, got rank 7/);
    expect(() => transpose(tensor(cpu, [1, 2]))).toThrow(/transpose: x must have rank >= 2, got shape \[2\]/);
    expect(() => slice(x, [0, 4], [1, -1])).toThrow(/slice: begin\[1\] must be in \[0, 3\] for shape \[2,3\], got 4/);
    expect(() => slice(x, [1, 1], [2, 1])).toThrow(/slice: size\[0\] must be -1 or in \[0, 1\] \(begin 1, dim 2\) for shape \[2,3\], got 2/);
    expect(() => slice(x, [0], [1])).toThrow(/slice: begin must be 2 integers \(one per axis\), got \[0\]/);
    expect(() => slice(x, [0, 0], [1, -2])).toThrow(/slice: size\[1\] must be -1 or in \[0, 3\]/);
    expect(() => sliceBackward(tensor(cpu, new Float32Array(4), [2, 2]), [2, 3], [1, 0])).toThrow(/sliceBackward: size\[0\] must be -1 or in \[0, 1\]/);
    expect(() => sliceBackward(tensor(cpu, new Float32Array(2), [2]), [2, 3], [0, 0])).toThrow(/sliceBackward: dy must have rank 2 .*got shape \[2\]/);
    expect(() => sliceAdd(tensor(cpu, new Float32Array(4), [2, 2]), x, [0, 2])).toThrow(/sliceAdd: size\[1\] must be -1 or in \[0, 1\] \(begin 2, dim 3\)/);
    expect(() => sliceAdd(tensor(cpu, new Float32Array(2), [2]), x, [0, 0])).toThrow(/sliceAdd: a must have rank 2 .*got shape \[2\]/);
    expect(() => sliceAdd(tensor(cpu, new Int32Array(2), [1, 2]), x, [0, 0])).toThrow(/sliceAdd: a must have dtype f32, got i32/);
    expect(() => broadcastTo(x, [3, 3])).toThrow(/broadcastTo: x of shape \[2,3\] cannot be broadcast to \[3,3\]/);
    expect(() => broadcastTo(x, [3])).toThrow(/broadcastTo: x of shape \[2,3\] cannot be broadcast to \[3\]/);
    expect(() => concat([x, idx], 0)).toThrow(/concat: xs\[1\] must have dtype f32, got i32/);
    expect(() => concat([x, tensor(cpu, new Float32Array(4), [2, 2])], 0)).toThrow(/concat: xs\[1\] must have shape \[\*,3\] .*got \[2,2\]/);
    expect(() => concat([x], 2)).toThrow(/concat: axis must be an integer in \[-2, 1\] for rank 2, got 2/);
    expect(() => concat([], 0)).toThrow(/concat: xs must be a non-empty array of tensors, got \[\]/);
    expect(() => gather(x, tensor(cpu, [0, 1]))).toThrow(/gather: indices must have dtype i32, got f32/);
    expect(() => gather(x, idx, -3)).toThrow(/gather: axis must be an integer in \[-2, 1\] for rank 2, got -3/);
    expect(() => gatherBackward(x, idx, [2, 3], 1)).toThrow(/gatherBackward: dy must have shape \[2,2\] .*got \[2,3\]/);
    expect(() => gatherBackward(tensor(cpu, new Int32Array(4), [2, 2]), idx, [2, 3], 1)).toThrow(/gatherBackward: dy must have dtype f32, got i32/);
    expect(() => oneHot(idx, 0)).toThrow(/oneHot: depth must be a positive integer, got 0/);
    expect(() => oneHot(x, 3)).toThrow(/oneHot: indices must have dtype i32, got f32/);
    expect(() => cast(x, 'f64' as DType)).toThrow(/cast: dtype must be one of f32, i32, u8, got f64/);
    expect(() => cast(x, 'u8', NaN)).toThrow(/cast: scale and shift must be finite numbers, got scale=NaN/);
    const gone = tensor(cpu, [1]);
    gone.dispose();
    expect(() => copy(gone)).toThrow(/copy: a tensor of shape \[1\] was used after dispose/);
    expect(() => gather(gone, idx)).toThrow(/gather: a tensor of shape \[1\] was used after dispose/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// WGSL against the CPU reference. Data movement is bit-exact: no tolerance. Casts to f32 may differ by an fma
// contraction (x * scale + shift in one rounding): 1e-6 relative.
// ---------------------------------------------------------------------------------------------------------------
describe.runIf(hasGpu)('layout kernels: WGSL equals the CPU reference', () => {
  const eq = async (op: (d: Device) => Tensor, what: string) => {
    const { ref, got } = await both(op);
    expectSame(got!, ref, what);
  };

  test.prop([permArb, dtypeArb, seedArb], { numRuns: 40 })('permute', async ([shape, perm], dtype, seed) => {
    const x = makeData(dtype, size(shape), seed);
    await eq((d) => permute(tensor(d, x, shape), perm), `permute ${dtype} [${shape}] by [${perm}]`);
  });

  test.prop([shapeArb(2, 4, 4096), dtypeArb, seedArb], { numRuns: 15 })('transpose', async (shape, dtype, seed) => {
    const x = makeData(dtype, size(shape), seed);
    await eq((d) => transpose(tensor(d, x, shape)), `transpose ${dtype} [${shape}]`);
  });

  test.prop([sliceArb, dtypeArb, seedArb], { numRuns: 40 })('slice and sliceBackward', async ([shape, bs], dtype, seed) => {
    const begin = bs.map((b) => b[0]);
    const sz = bs.map((b) => b[1]);
    const x = makeData(dtype, size(shape), seed);
    await eq((d) => slice(tensor(d, x, shape), begin, sz), `slice ${dtype} [${shape}] at [${begin}] size [${sz}]`);
    if (dtype === 'u8') return;
    const ysh = resolveSize(shape, begin, sz);
    const dy = makeData(dtype, size(ysh), seed + 1);
    await eq((d) => sliceBackward(tensor(d, dy, ysh), shape, begin), `sliceBackward ${dtype} [${ysh}] into [${shape}] at [${begin}]`);
  });

  test.prop([sliceArb, seedArb], { numRuns: 40 })('sliceAdd (bit-identical to add of a slice)', async ([shape, bs], seed) => {
    const begin = bs.map((b) => b[0]);
    const ysh = resolveSize(shape, begin, bs.map((b) => b[1]));
    const x = makeData('f32', size(shape), seed);
    const a = makeData('f32', size(ysh), seed + 1);
    const fused = (d: Device) => sliceAdd(tensor(d, a, ysh), tensor(d, x, shape), begin);
    await eq(fused, `sliceAdd [${ysh}] + [${shape}] at [${begin}]`);
    const g = await gpu();
    expectSame(await on(g, fused), await on(g, (d) => add(tensor(d, a, ysh), slice(tensor(d, x, shape), begin, ysh))), 'sliceAdd vs add(a, slice(x))');
  });

  test.prop([broadcastArb, dtypeArb, seedArb], { numRuns: 30 })('broadcastTo', async ([shape, xShape], dtype, seed) => {
    const x = makeData(dtype, size(xShape), seed);
    await eq((d) => broadcastTo(tensor(d, x, xShape), shape), `broadcast ${dtype} [${xShape}] to [${shape}]`);
  });

  test.prop([concatArb, dtypeArb, seedArb], { numRuns: 40 })('concat (u8: words shared between inputs)', async ([shape, axis, lens], dtype, seed) => {
    const ax = axis < 0 ? axis + shape.length : axis;
    const shapes = lens.map((l) => shape.map((d, k) => (k === ax ? l : d)));
    const xs = shapes.map((s, i) => makeData(dtype, size(s), seed + i));
    await eq((d) => concat(xs.map((x, i) => tensor(d, x, shapes[i])), axis), `concat ${dtype} [${shapes.map((s) => `[${s}]`)}] axis ${axis}`);
  });

  test.prop([gatherArb, dtypeArb, seedArb], { numRuns: 40 })('gather and gatherBackward (repeated indices)', async ([shape, axis, [ishape, idxs]], dtype, seed) => {
    const x = makeData(dtype, size(shape), seed);
    const idx = Int32Array.from(idxs);
    await eq((d) => gather(tensor(d, x, shape), tensor(d, idx, ishape), axis), `gather ${dtype} [${shape}] axis ${axis} idx [${idxs}]`);
    const ax = axis < 0 ? axis + shape.length : axis;
    const dyShape = [...shape.slice(0, ax), ...ishape, ...shape.slice(ax + 1)];
    const dy = randomArray(size(dyShape), seed, -4, 4);
    const { ref, got } = await both((d) => gatherBackward(tensor(d, dy, dyShape), tensor(d, idx, ishape), shape, axis));
    // Same summation order (increasing index position, f32) on both: equal up to rounding of the order-preserving sum.
    expectClose(got!, ref, { atol: 1e-6, rtol: 1e-6 }, `gatherBackward [${shape}] axis ${axis} idx [${idxs}]`);
  });

  it('gatherBackward accumulates many duplicates across index tiles (K > 256)', async () => {
    const K = 700;
    const idx = Int32Array.from({ length: K }, (_, k) => (k * 7) % 5); // every row hit 140 times
    const dy = randomArray(K * 3, 11);
    const { ref, got } = await both((d) => gatherBackward(tensor(d, dy, [K, 3]), tensor(d, idx), [5, 3], 0));
    expectClose(got!, ref, { atol: 1e-5, rtol: 1e-6 }, 'gatherBackward K=700');
    expectClose(got!, oGatherBackward(dy, idx, [K], [5, 3], 0), { atol: 1e-4, rtol: 1e-5 }, 'gatherBackward vs oracle');
  });

  it('handles rank-6 problems where no axis merges (every kernel dim in use)', async () => {
    const shape = [3, 2, 3, 2, 3, 2];
    const x = makeData('f32', size(shape), 6);
    await eq((d) => permute(tensor(d, x, shape), [5, 3, 1, 4, 2, 0]), 'permute rank 6');
    const begin = [1, 0, 1, 1, 0, 1];
    const sz = [1, 2, 2, 1, 2, 1];
    await eq((d) => slice(tensor(d, x, shape), begin, sz), 'slice rank 6');
    const dy = makeData('f32', size(sz), 7);
    const { ref, got } = await both((d) => sliceBackward(tensor(d, dy, sz), shape, begin));
    expectSame(got!, ref, 'sliceBackward rank 6');
    expectSame(ref, oPad(dy, sz, shape, begin), 'sliceBackward rank 6 vs oracle');
    const b = makeData('u8', 3 * 2 * 3, 8);
    await eq((d) => broadcastTo(tensor(d, b, [3, 1, 2, 1, 3, 1]), [3, 2, 2, 3, 3, 5]), 'broadcastTo rank 6 u8');
  });

  test.prop([fc.array(fc.integer({ min: -2, max: 12 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 11 })], { numRuns: 15 })(
    'oneHot',
    async (ids, depth) => {
      await eq((d) => oneHot(tensor(d, Int32Array.from(ids)), depth), `oneHot depth ${depth}`);
    },
  );

  const affine: [number, number][] = [
    [1, 0],
    [255, 0],
    [1 / 255, -0.5],
    [255, 127.5],
    [0.5, 3],
    [-3, 10],
  ];
  test.prop(
    [
      dtypeArb,
      dtypeArb,
      fc.oneof(fc.constantFrom(1, 3, 5, 64 * 64 * 3 + 1), fc.integer({ min: 1, max: 3000 })),
      fc.constantFrom(...affine),
      seedArb,
    ],
    { numRuns: 60 },
  )('cast between every pair of dtypes on odd sizes', async (src, dst, n, [scale, shift], seed) => {
    let x = makeData(src, n, seed);
    if (src === 'f32') x = (x as Float32Array).map((v) => v * 2); // [-200, 200): exercises u8 clamping at both ends
    if (src === 'i32') x = (x as Int32Array).map((v) => v >> 20); // ~[-2048, 2048)
    const { ref, got } = await both((d) => cast(tensor(d, x), dst, scale, shift));
    const what = `cast ${src} -> ${dst} (x * ${scale} + ${shift}), n=${n}`;
    expectSame(ref, oCast(x, dst, scale, shift), `${what}: reference vs oracle`);
    if (dst === 'f32') {
      expectClose(got!, ref, { atol: 1e-6, rtol: 1e-6 }, what);
    } else {
      // Integer targets match exactly, except that an fma may move a value lying within an ulp of a .5 tie.
      for (let i = 0; i < n; i++) {
        if (got![i] === ref[i]) continue;
        const exact = x[i] * scale + shift;
        const nearTie = Math.abs(Math.abs(exact - Math.trunc(exact)) - 0.5) < 1e-4 * Math.max(1, Math.abs(exact));
        if (Math.abs(got![i] - ref[i]) !== 1 || !nearTie) throw new Error(`${what}: [${i}] got ${got![i]}, expected ${ref[i]} (x=${x[i]})`);
      }
    }
  });

  it('round-trips u8 images through f32 on odd sizes', async () => {
    const g = await gpu();
    for (const n of [1, 3, 5, 7, 64 * 64 * 3 + 1]) {
      const img = makeData('u8', n, n);
      for (const dev of [cpu, g]) {
        const back = await on(dev, (d) => cast(cast(tensor(d, img), 'f32', 1 / 255, -0.5), 'u8', 255, 127.5));
        expectSame(back, img, `round trip n=${n} on ${dev.backend}`);
      }
      const { ref, got } = await both((d) => cast(tensor(d, img), 'f32', 1 / 255, -0.5));
      expectClose(got!, ref, { atol: 1e-7, rtol: 0 }, `u8 -> f32 n=${n}`);
    }
  });

  it('clamps and rounds extreme values like the reference', async () => {
    const big = new Float32Array([-1e30, -1, -0.5, -0.4, 0, 0.5, 1.5, 2.5, 254.5, 255, 255.4, 255.6, 1e30, Infinity, -Infinity, -0]);
    await eq((d) => cast(tensor(d, big), 'u8'), 'f32 -> u8 extremes');
    await eq((d) => cast(tensor(d, big), 'i32'), 'f32 -> i32 extremes');
    await eq((d) => cast(tensor(d, new Float32Array([3e9, -3e9, 2147483520, 2.5, -3.5])), 'i32'), 'f32 -> i32 range');
    await eq((d) => cast(tensor(d, new Int32Array([2147483647, -2147483648, 16777217, -3, 0])), 'f32'), 'i32 -> f32');
    await eq((d) => cast(tensor(d, new Int32Array([-5, 0, 255, 256, 1 << 30])), 'u8'), 'i32 -> u8');
  });

  test.prop([dtypeArb, fc.integer({ min: 1, max: 5000 }), seedArb], { numRuns: 10 })('copy', async (dtype, n, seed) => {
    const x = makeData(dtype, n, seed);
    await eq((d) => copy(tensor(d, x)), `copy ${dtype} n=${n}`);
  });

  test.prop([dtypeArb, fc.integer({ min: 1, max: 3000 }), seedArb], { numRuns: 6 })('copyInto an existing tensor', async (dtype, n, seed) => {
    const x = makeData(dtype, n, seed);
    await eq((d) => {
      const dst = tensor(d, makeData(dtype, n, seed + 1));
      copyInto(dst, tensor(d, x));
      return dst;
    }, `copyInto ${dtype} n=${n}`);
    expect(() => copyInto(tensor(cpu, new Float32Array(3)), tensor(cpu, new Float32Array(4)))).toThrow(/copyInto: dst has shape \[3\], src has \[4\]/);
  });

  it('gathers u8 frames by index (replay sampling) on a non-multiple-of-4 frame size', async () => {
    const frames = makeData('u8', 9 * 5 * 7 * 3, 3);
    const idx = new Int32Array([8, 0, 3, 3, 8, 1, 2]);
    await eq((d) => gather(tensor(d, frames, [9, 5, 7, 3]), tensor(d, idx)), 'gather u8 frames');
    expectSame(await on(cpu, (d) => gather(tensor(d, frames, [9, 5, 7, 3]), tensor(d, idx))), oGather(frames, [9, 5, 7, 3], idx, [7], 0), 'oracle');
  });

  it('releases intermediates in a scope; empty results dispatch nothing', async () => {
    const g = await gpu();
    const live = g.stats().liveBuffers;
    const y = scope(() => {
      const x = tensor(g, randomArray(60, 1), [3, 4, 5]);
      const idx = tensor(g, new Int32Array([1, 0, 1]));
      const b = concat([permute(x, [2, 0, 1]), x.reshape([5, 3, 4])], 1);
      const c = gatherBackward(gather(b, idx, 2), idx, b.shape, 2);
      return sliceBackward(slice(c, [0, 1, 1], [-1, 2, 1]), c.shape, [0, 1, 1]);
    });
    expect(y.shape).toEqual([5, 6, 4]);
    expect(g.stats().liveBuffers).toBe(live + 1);
    await y.toArray();
    y.dispose();
    expect(g.stats().liveBuffers).toBe(live);

    const x = tensor(g, new Float32Array(6), [2, 3]);
    const d0 = g.stats().dispatches;
    const empties = [
      slice(x, [1, 0], [0, -1]),
      gather(x, tensor(g, new Int32Array(0)), 1),
      permute(tensor(g, new Float32Array(0), [0, 3]), [1, 0]),
      cast(tensor(g, new Uint8Array(0)), 'f32'),
    ];
    expect(g.stats().dispatches - d0).toBe(0);
    expect(empties.map((t) => t.shape)).toEqual([[0, 3], [2, 0], [3, 0], [0]]);
    expect((await empties[1].toArray()).length).toBe(0);
  });
});
