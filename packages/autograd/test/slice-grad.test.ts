// Gradients of several slices of one Var (grad.ts keeps each slice's dy as a sparse piece and assembles them
// once): the same values as the dense rule (every piece zero-padded to the full shape, then summed), on both
// backends, for pieces that tile an axis, leave gaps, overlap, or are boxes over several axes; fewer
// dispatches for the tiling case; nothing leaked. Concat's gradient boxes (added into the inputs' other
// gradients by one sliceAdd each) and the sliceAdd op: bit-identical to the dense rules.
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
// Concat and reshape without Rule.slices / Rule.view: every input's gradient copied out of dy at once.
const denseConcatOp = A.defineOp<{ axis: number }>('test-dense-concat', {
  forward: (xs, p) => ({ y: K.concat(xs, p.axis) }),
  backward: (dy, { inputs, params: { axis }, needs }) => {
    let off = 0;
    return inputs.map((x, i) => {
      const begin = dy.shape.map((_, k) => (k === axis ? off : 0));
      off += x.shape[axis];
      return needs[i] ? K.slice(dy, begin, x.shape) : null;
    });
  },
});
const denseReshapeOp = A.defineOp<{ shape: number[] }>('test-dense-reshape', {
  forward: ([x], p) => ({ y: x.reshape(p.shape) }),
  backward: (dy, { inputs: [x] }) => [dy.reshape(x.shape)],
});
interface Joins {
  concat: (xs: A.Var[], axis: number) => A.Var;
  reshape: (x: A.Var, shape: number[]) => A.Var;
  sliceAdd: (a: A.Var, x: A.Var, begin: number[], size: number[]) => A.Var;
}
const fast: Joins = { concat: A.concat, reshape: A.reshape, sliceAdd: A.sliceAdd };
const dense: Joins = {
  concat: (xs, axis) => denseConcatOp(xs, { axis }),
  reshape: (x, shape) => denseReshapeOp([x], { shape }),
  sliceAdd: (a, x, begin, size) => A.add(a, denseReshapeOp([denseSlice(x, begin, size)], { shape: [...a.shape] })),
};

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

  it('unstack along time: T slices cost one concat (ceil(T / 7) dispatches, not T pads + T - 1 full-size adds), same gradient', async () => {
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
    expect(b.dispatches - a.dispatches).toBe(T + T - 1 - Math.ceil(T / 7));
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

  test.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 1e6 })], {
    numRuns: 20,
  })('concat boxes through stack views, into other uses, twice into one input: bit-identical to copying them out', async (B, T, E, uses, seed) => {
    // A recurrence-like graph: x_t = tanh(x_{t-1} W + e_t), stacked (concat of reshape views); uses picks which
    // other consumers each x_t has (another concat, a dense op, a slice), so boxes meet dense gradients, other
    // boxes and pieces in every order.
    const run = (j: Joins) =>
      scope(() => {
        const e = A.variable(tensor(dev, randomArray(B * T * E, seed), [B, T, E]));
        const w = A.variable(tensor(dev, randomArray(E * E, seed + 1), [E, E]));
        let x = A.constant(K.zeros(dev, [B, E]));
        const xs: A.Var[] = [];
        const extra: [A.Var, number][] = [];
        for (let t = 0; t < T; t++) {
          x = A.tanh(j.sliceAdd(A.matmul(x, w), e, [0, t, 0], [B, 1, E]));
          xs.push(x);
          if (uses & 1) extra.push([A.sum(A.square(j.concat([x, x], 1))), 0.5]);
          if (uses & 2) extra.push([A.sum(A.mul(x, x)), 0.25]);
          if (uses & 4) extra.push([A.sum(A.slice(x, [0, 0], [B, 1])), 1]);
        }
        const st = j.concat(
          xs.map((v) => j.reshape(v, [B, 1, E])),
          1,
        );
        const r = A.constant(tensor(dev, randomArray(B * T * E, seed + 2), [B, T, E]));
        const loss = A.weightedSum([[A.sum(A.mul(st, r)), 1], ...extra]);
        const d0 = dev.stats().dispatches;
        const gs = A.grad(loss, [e, w]);
        return { gs, dispatches: dev.stats().dispatches - d0 };
      });
    const a = run(fast);
    const b = run(dense);
    for (let i = 0; i < 2; i++) expect(Array.from(await a.gs[i].toArray())).toEqual(Array.from(await b.gs[i].toArray()));
    if (T > 1) expect(a.dispatches).toBeLessThan(b.dispatches);
    [...a.gs, ...b.gs].forEach((g) => g.dispose());
  });

  it('sliceAdd: the values of add(a, reshape(slice(x))), and its gradients', async () => {
    const a = A.variable(tensor(dev, randomArray(6, 1), [2, 3]));
    const x = A.variable(tensor(dev, randomArray(24, 2), [2, 4, 3]));
    const [y1, y2] = [fast, dense].map((j) => j.sliceAdd(a, x, [0, 2, 0], [2, 1, 3]));
    expect(y1.shape).toEqual([2, 3]);
    expect(Array.from(await y1.toArray())).toEqual(Array.from(await y2.toArray()));
    const same = A.sliceAdd(A.reshape(a, [2, 1, 3]), x, [0, 1, 0]);
    expect(same.shape).toEqual([2, 1, 3]);
    expect(() => A.sliceAdd(a, x, [0, 0, 0], [2, 2, 3])).toThrow(/sliceAdd: the box \[2,2,3\] of x must have a's 6 elements/);
    if (dev === cpu) {
      const r = await A.gradcheck((p, q) => A.sliceAdd(A.square(p), q, [0, 1, 0], [2, 1, 3]), [
        { data: randomArray(6, 3), shape: [2, 3] },
        { data: randomArray(24, 4), shape: [2, 4, 3] },
      ]);
      expect(r.checked).toBe(30);
    }
    [a, x, y1, y2, same].forEach((v) => v.value.dispose());
  });

  it('leaks nothing: live buffers are back where they were', async () => {
    const x = A.variable(tensor(dev, randomArray(60, 11), [3, 4, 5]));
    const step = () =>
      scope(() => {
        const parts = [...A.unstack(x, 1), ...A.split(x, [2, 1], 0)];
        const st = A.stack([A.tanh(parts[0]), parts[1], parts[1]], 1);
        const loss = A.weightedSum([...parts.map((p) => [A.sum(A.square(p)), 1] as [A.Var, number]), [A.sum(A.sliceAdd(parts[0], st, [0, 1, 0], [3, 1, 5])), 1]]);
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
