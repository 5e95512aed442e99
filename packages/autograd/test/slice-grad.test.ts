// Gradients of several slices of one Var (grad.ts keeps each slice's dy as a sparse piece and assembles them
// once): the same values as the dense rule (every piece zero-padded to the full shape, then summed), on both
// backends, for pieces that tile an axis, leave gaps, overlap, or are boxes over several axes; fewer
// dispatches for the tiling case; nothing leaked.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import * as K from '@twist/kernels';
import { scope, tensor, type Device } from '@twist/kernels';
import * as A from '../src/index.js';
import { cpu, gpuOrNull, randomArray } from './harness.js';

const gpuDev = await gpuOrNull();
const devices: Device[] = gpuDev ? [cpu, gpuDev] : [cpu];

// The dense reference: slice's forward and backward without Rule.piece, i.e. grad() before pieces.
const denseSliceOp = A.defineOp<{ begin: number[]; size: number[] }>('test-dense-slice', {
  forward: ([x], p) => ({ y: K.slice(x, p.begin, p.size) }),
  backward: (dy, { inputs: [x], params: { begin } }) => [K.sliceBackward(dy, x.shape, begin)],
});
const denseSlice = (x: A.Var, begin: number[], size: number[]) => denseSliceOp([x], { begin, size });

type SliceFn = (x: A.Var, begin: number[], size: number[]) => A.Var;
interface Box {
  begin: number[];
  size: number[];
}

/** sum_i sum(slice_i(x) * r_i) + (dense ? sum(x * r) : 0), and its gradient wrt x, with the given slice. */
async function gradOf(dev: Device, shape: number[], boxes: Box[], dense: boolean, sl: SliceFn, seed: number): Promise<Float32Array> {
  return scope(() => {
    const n = shape.reduce((a, d) => a * d, 1);
    const x = A.variable(tensor(dev, randomArray(n, seed), shape));
    const terms: [A.Var, number][] = boxes.map((b, i) => {
      const m = b.size.reduce((a, d) => a * d, 1);
      const r = A.constant(tensor(dev, randomArray(m, seed + 100 + i), b.size));
      return [A.sum(A.mul(sl(x, b.begin, b.size), r)), 1];
    });
    if (dense) terms.push([A.sum(A.mul(x, A.constant(tensor(dev, randomArray(n, seed + 99), shape)))), 0.5]);
    const [g] = A.grad(A.weightedSum(terms), [x]);
    return g;
  }).toArray() as Promise<Float32Array>;
}

/** Slabs along `ax` between the cuts, dropping some (gaps) and the empty ones. */
function slabs(shape: number[], ax: number, cuts: number[], drop: boolean[]): Box[] {
  const edges = [0, ...cuts.map((c) => Math.min(c, shape[ax])).sort((a, b) => a - b), shape[ax]];
  const out: Box[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    if (drop[i % drop.length] || edges[i + 1] === edges[i]) continue;
    out.push({ begin: shape.map((_, k) => (k === ax ? edges[i] : 0)), size: shape.map((d, k) => (k === ax ? edges[i + 1] - edges[i] : d)) });
  }
  return out;
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 });

describe.each(devices.map((d) => [d.backend, d] as const))('slice gradients as pieces (%s)', (_, dev) => {
  test.prop(
    [shapeArb, fc.nat(), fc.array(fc.nat({ max: 8 }), { maxLength: 6 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 })],
    { numRuns: 25 },
  )('slabs along one axis (tiling or with gaps), with and without a dense use: equal to the dense rule', async (shape, axSeed, cuts, drop, dense, seed) => {
    const ax = axSeed % shape.length;
    const boxes = slabs(shape, ax, cuts, drop);
    if (!boxes.length) dense = true;
    const got = await gradOf(dev, shape, boxes, dense, A.slice, seed);
    const want = await gradOf(dev, shape, boxes, dense, denseSlice, seed);
    // Disjoint pieces are placed exactly; only a dense use adds in another order (one rounding).
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
  });

  test.prop([shapeArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 5 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 })], { numRuns: 25 })(
    'arbitrary boxes (overlapping, several partial axes): equal to the dense rule',
    async (shape, raw, dense, seed) => {
      const boxes = raw.map(([a, b]) => {
        const begin = shape.map((d, k) => (a >> (3 * k)) % d);
        const size = shape.map((d, k) => 1 + ((b >> (3 * k)) % (d - begin[k])));
        return { begin, size };
      });
      const got = await gradOf(dev, shape, boxes, dense, A.slice, seed);
      const want = await gradOf(dev, shape, boxes, dense, denseSlice, seed);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    },
  );

  it('unstack along time: T slices cost T copies (not T pads + T - 1 full-size adds), same gradient', async () => {
    const [B, T, E] = [3, 9, 5];
    const run = (sl: SliceFn) =>
      scope(() => {
        const x = A.variable(tensor(dev, randomArray(B * T * E, 4), [B, T, E]));
        const w = A.constant(tensor(dev, randomArray(E * 2, 5), [E, 2]));
        const terms: [A.Var, number][] = [];
        for (let t = 0; t < T; t++) terms.push([A.sum(A.square(A.matmul(A.reshape(sl(x, [0, t, 0], [B, 1, E]), [B, E]), w))), 1]);
        const loss = A.weightedSum(terms);
        const d0 = dev.stats().dispatches;
        const [g] = A.grad(loss, [x]);
        return { g, dispatches: dev.stats().dispatches - d0 };
      });
    const a = run(A.slice);
    const b = run(denseSlice);
    expect(b.dispatches - a.dispatches).toBe(T - 1);
    expect(Array.from(await a.g.toArray())).toEqual(Array.from(await b.g.toArray()));
    a.g.dispose();
    b.g.dispose();
  });

  it('a sliced Var that is itself requested, a slice of the loss seed, and slices of slices', async () => {
    const x = A.variable(tensor(dev, randomArray(24, 9), [4, 6]));
    const check = async (sl: SliceFn) =>
      scope(() => {
        const mid = A.mul(x, x); // a non-leaf Var asked for as a parameter
        const top = sl(mid, [0, 0], [4, 3]);
        const inner = sl(sl(mid, [1, 0], [3, 6]), [0, 3], [3, 3]);
        const seed = tensor(dev, randomArray(12, 10), [4, 3]);
        const loss = A.add(top, A.concat([inner, sl(mid, [3, 3], [1, 3])], 0));
        return A.grad(loss, [x, mid], seed);
      });
    const got = await Promise.all((await check(A.slice)).map((t) => t.toArray()));
    const want = await Promise.all((await check(denseSlice)).map((t) => t.toArray()));
    for (let j = 0; j < 2; j++) for (let i = 0; i < want[j].length; i++) expect(got[j][i]).toBeCloseTo(want[j][i], 6);
  });

  it('leaks nothing: live buffers are back where they were', async () => {
    const x = A.variable(tensor(dev, randomArray(60, 11), [3, 4, 5]));
    const step = () =>
      scope(() => {
        const parts = [...A.unstack(x, 1), ...A.split(x, [2, 1], 0)];
        const loss = A.weightedSum(parts.map((p) => [A.sum(A.square(p)), 1] as [A.Var, number]));
        return A.grad(loss, [x]);
      }).forEach((g) => g.dispose());
    step();
    await dev.sync();
    const before = dev.stats();
    for (let i = 0; i < 5; i++) step();
    await dev.sync();
    const after = dev.stats();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBytes).toBe(before.liveBytes);
    x.value.dispose();
  });

  it('gradcheck: unstack, split and overlapping slices of one input', async () => {
    if (dev !== cpu) return;
    const f = (x: A.Var) => {
      const u = A.unstack(x, 1);
      const s = A.split(x, [1, 2], 0);
      return A.add(A.add(A.sum(A.mul(u[0], u[3])), A.sum(A.square(s[1]), 0)), A.reshape(A.slice(x, [1, 0], [1, 4]), [4]));
    };
    const r = await A.gradcheck(f, [{ data: randomArray(12, 12), shape: [3, 4] }], { device: cpu });
    expect(r.checked).toBe(12);
  });
});
