import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  add,
  binary,
  BINARY_OPS,
  div,
  maximum,
  minimum,
  mul,
  scope,
  sub,
  tensor,
  UNARY_GRAD_OPS,
  unaryGrad,
  where,
  type BinaryOp,
  type Device,
  type UnaryOp,
} from '../src/index.js';
import { BINARY, UNARY_GRAD } from '../src/binary/binary-defs.js';
import { UNARY } from '../src/elementwise/unary-defs.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

// ---- an independent reference: NumPy broadcasting by coordinates, float64 ----

function broadcastShape(shapes: number[][]): number[] {
  const n = Math.max(0, ...shapes.map((s) => s.length));
  return [...Array(n).keys()].map((i) => Math.max(...shapes.map((s) => s[s.length - n + i] ?? 1)));
}

/** Flat index into `shape` of the element that broadcasting maps output coordinate `coord` to. */
function sourceIndex(shape: number[], coord: number[]): number {
  let idx = 0;
  const off = coord.length - shape.length;
  for (let i = 0; i < shape.length; i++) idx = idx * shape[i] + (shape[i] === 1 ? 0 : coord[off + i]);
  return idx;
}

function naiveBroadcast(shapes: number[][], f: (...v: number[]) => number, data: Float32Array[]): Float64Array {
  const out = broadcastShape(shapes);
  const n = out.reduce((a, b) => a * b, 1);
  const y = new Float64Array(n);
  const coord = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let d = out.length - 1; d >= 0; d--) {
      coord[d] = r % out[d];
      r = Math.floor(r / out[d]);
    }
    y[i] = f(...data.map((a, k) => a[sourceIndex(shapes[k], coord)]));
  }
  return y;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

// ---- shape generators: 1, primes, powers of two; size-1 dims and rank differences ----

const DIMS = [1, 1, 2, 3, 5, 7, 13, 32, 61];
const MAX_ELEMS = 40_000;

/** Shrinks the largest dims to 1 until the shape has at most `max` elements. */
function capSize(shape: number[], max = MAX_ELEMS): number[] {
  const s = [...shape];
  while (size(s) > max) s[s.indexOf(Math.max(...s))] = 1;
  return s;
}

/** An output shape of rank 0..6 and k input shapes that broadcast to it (leading dims dropped, dims set to 1). */
const broadcastCase = (k: number) =>
  fc
    .record({
      out: fc.array(fc.constantFrom(...DIMS), { maxLength: 6 }),
      inputs: fc.array(fc.record({ drop: fc.nat(6), ones: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }) }), {
        minLength: k,
        maxLength: k,
      }),
      seed: fc.integer(),
    })
    .map(({ out, inputs, seed }) => {
      const o = capSize(out);
      const shapes = inputs.map(({ drop, ones }) =>
        o.slice(Math.min(drop, o.length)).map((d, i) => (ones[i] ? 1 : d)),
      );
      return { shapes, seed };
    });

function tolFor(op: BinaryOp): { atol: number; rtol: number } {
  // add/sub/mul/max/min/comparisons are single IEEE operations: exact. div: Vulkan allows 2.5 ulp for OpFDiv.
  // pow goes through exp2(b * log2(a)): a few ulp of the exponent, amplified by |b log2 a| <= ~6 here.
  if (op === 'div') return { atol: 0, rtol: 3e-7 };
  if (op === 'pow') return { atol: 1e-30, rtol: 4e-6 };
  return { atol: 0, rtol: 0 };
}

/** Inputs where every op is defined: pow gets a positive base (negative bases are tested separately). */
function operands(op: BinaryOp, shapes: number[][], seed: number): Float32Array[] {
  const [sa, sb] = shapes;
  if (op === 'pow') return [randomArray(size(sa), seed, 0.1, 4), randomArray(size(sb), seed + 1, -3, 3)];
  if (op === 'div') return [randomArray(size(sa), seed, -8, 8), randomArray(size(sb), seed + 1, 0.25, 4)];
  const a = randomArray(size(sa), seed, -4, 4);
  const b = randomArray(size(sb), seed + 1, -4, 4);
  // comparisons need ties: round to a coarse grid so equal values occur
  if (op === 'equal' || op === 'greaterEqual' || op === 'greater' || op === 'less') {
    for (const x of [a, b]) for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i]);
  }
  return [a, b];
}

async function runBinary(dev: Device, op: BinaryOp, shapes: number[][], data: Float32Array[]): Promise<Float32Array> {
  const y = binary(tensor(dev, data[0], shapes[0]), tensor(dev, data[1], shapes[1]), op);
  expect(y.shape).toEqual(broadcastShape(shapes));
  return read(y);
}

describe('binary ops on the CPU reference', () => {
  test.prop([fc.constantFrom(...BINARY_OPS), broadcastCase(2)], { numRuns: 150 })(
    'equal the coordinate-wise broadcasting reference on random shapes',
    async (op, { shapes, seed }) => {
      const data = operands(op, shapes, seed);
      const got = await runBinary(cpu, op, shapes, data);
      // The CPU kernel computes in float64 and rounds once to f32: it must equal the rounded reference exactly.
      const want = Float32Array.from(naiveBroadcast(shapes, BINARY[op].cpu, data));
      expectClose(got, want, { atol: 0, rtol: 0 }, `${op} ${JSON.stringify(shapes)}`);
    },
  );

  it('computes hand-worked broadcasts', async () => {
    const a = tensor(cpu, [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(await read(add(a, tensor(cpu, [10, 20, 30], [3])))).toEqual(new Float32Array([11, 22, 33, 14, 25, 36]));
    expect(await read(sub(a, tensor(cpu, [1, 2], [2, 1])))).toEqual(new Float32Array([0, 1, 2, 2, 3, 4]));
    expect(await read(mul(a, tensor(cpu, [2], [])))).toEqual(new Float32Array([2, 4, 6, 8, 10, 12]));
    expect(await read(div(tensor(cpu, [1, -1, 0], [3]), tensor(cpu, [0], [1])))).toEqual(new Float32Array([Infinity, -Infinity, NaN]));
    expect(await read(maximum(a, tensor(cpu, [3.5], [1, 1])))).toEqual(new Float32Array([3.5, 3.5, 3.5, 4, 5, 6]));
    expect(await read(minimum(a, tensor(cpu, [3.5], [1, 1])))).toEqual(new Float32Array([1, 2, 3, 3.5, 3.5, 3.5]));
    // [3,1] with [1,4] -> [3,4] outer product
    const outer = mul(tensor(cpu, [1, 2, 3], [3, 1]), tensor(cpu, [1, 10, 100, 1000], [1, 4]));
    expect(outer.shape).toEqual([3, 4]);
    expect(await read(outer)).toEqual(new Float32Array([1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000]));
    const cmp = (op: BinaryOp) => read(binary(tensor(cpu, [1, 2, 3], [3]), tensor(cpu, [2], [1]), op));
    expect(await cmp('greater')).toEqual(new Float32Array([0, 0, 1]));
    expect(await cmp('greaterEqual')).toEqual(new Float32Array([0, 1, 1]));
    expect(await cmp('less')).toEqual(new Float32Array([1, 0, 0]));
    expect(await cmp('equal')).toEqual(new Float32Array([0, 1, 0]));
    // pow follows Math.pow: 0^0 = 1, negative base with integer exponent signed, fractional exponent NaN
    const p = await read(binary(tensor(cpu, [0, -2, -2, -2, 4], [5]), tensor(cpu, [0, 3, 2, 0.5, -0.5], [5]), 'pow'));
    expect(p).toEqual(new Float32Array([1, -8, 4, NaN, 0.5]));
  });

  it('handles scalars and empty tensors', async () => {
    const s = add(tensor(cpu, [2], []), tensor(cpu, [3], []));
    expect(s.shape).toEqual([]);
    expect(await read(s)).toEqual(new Float32Array([5]));
    const e = add(tensor(cpu, [], [0, 3]), tensor(cpu, [1, 2, 3], [3]));
    expect(e.shape).toEqual([0, 3]);
    expect((await read(e)).length).toBe(0);
  });

  it('where picks a where cond != 0 (NaN counts as true), with three-way broadcasting', async () => {
    const cond = tensor(cpu, [1, 0, NaN], [3]);
    const a = tensor(cpu, [10, 20], [2, 1]);
    const b = tensor(cpu, [-1], []);
    const y = where(cond, a, b);
    expect(y.shape).toEqual([2, 3]);
    expect(await read(y)).toEqual(new Float32Array([10, -1, 10, 20, -1, 20]));
  });

  test.prop([broadcastCase(3)], { numRuns: 100 })('where equals the broadcasting reference', async ({ shapes, seed }) => {
    const c = randomArray(size(shapes[0]), seed, -1, 1).map((v) => (v > 0 ? v : 0));
    const a = randomArray(size(shapes[1]), seed + 1);
    const b = randomArray(size(shapes[2]), seed + 2);
    const y = where(tensor(cpu, c, shapes[0]), tensor(cpu, a, shapes[1]), tensor(cpu, b, shapes[2]));
    expect(y.shape).toEqual(broadcastShape(shapes));
    const want = Float32Array.from(naiveBroadcast(shapes, (k, x, z) => (k !== 0 ? x : z), [c, a, b]));
    expectClose(await read(y), want, { atol: 0, rtol: 0 }, `where ${JSON.stringify(shapes)}`);
  });

  it('rejects bad input naming the op, the expected and the actual', () => {
    const a = tensor(cpu, new Float32Array(6), [2, 3]);
    expect(() => add(a, tensor(cpu, new Float32Array(4), [4]))).toThrow('add: shapes [2,3] and [4] do not broadcast (dim 1: 3 vs 4)');
    expect(() => binary(a, a, 'nope' as BinaryOp)).toThrow(/binary: unknown op 'nope'; valid ops: add, sub/);
    expect(() => mul(a, tensor(cpu, new Int32Array(3), [3]))).toThrow('mul: b must have dtype f32, got i32');
    expect(() => where(tensor(cpu, new Float32Array(2), [2]), a, a)).toThrow('where: shapes [2] and [2,3] do not broadcast (dim 1: 2 vs 3)');
    expect(() => where(tensor(cpu, new Uint8Array(3), [3]), a, a)).toThrow('where: cond must have dtype f32, got u8');
    // 7 dims that cannot merge (alternating broadcast pattern)
    const s1 = [2, 1, 2, 1, 2, 1, 2];
    const s2 = [1, 2, 1, 2, 1, 2, 1];
    expect(() => add(tensor(cpu, new Float32Array(16), s1), tensor(cpu, new Float32Array(8), s2))).toThrow(
      'add: broadcasting [2,1,2,1,2,1,2] and [1,2,1,2,1,2,1] needs at most 6 dims after merging, got 7',
    );
    // high rank is fine when the dims merge
    expect(add(tensor(cpu, new Float32Array(128), [2, 2, 2, 2, 2, 2, 2]), tensor(cpu, [1], [1])).shape).toEqual([2, 2, 2, 2, 2, 2, 2]);
    const d = tensor(cpu, [1, 2]);
    d.dispose();
    expect(() => add(d, d)).toThrow('add: a tensor of shape [2] was used after dispose()');
  });

  it('records one dispatch per op and leaks nothing', () => {
    const before = cpu.stats();
    scope(() => {
      const a = tensor(cpu, new Float32Array(6), [2, 3]);
      add(a, tensor(cpu, [1, 2, 3], [3]));
      where(a, a, tensor(cpu, [0], []));
      unaryGrad(a, a, 'tanh');
    });
    const after = cpu.stats();
    expect(after.dispatches - before.dispatches).toBe(3);
    expect(after.liveBuffers).toBe(before.liveBuffers);
  });
});

describe('unaryGrad on the CPU reference', () => {
  // Away from kinks (relu/abs at 0, clamp at its bounds) and in each op's domain.
  const domain = (op: UnaryOp): [number, number] =>
    ['log', 'sqrt', 'rsqrt', 'reciprocal', 'pow'].includes(op) ? [0.2, 4] : op === 'symexp' ? [-4, 4] : [-6, 6];

  test.prop([fc.constantFrom(...UNARY_GRAD_OPS), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -2, max: 3, noNaN: true })], {
    numRuns: 300,
  })('dy * f\'(x) matches a central finite difference of the forward op (float64)', (op, u, p) => {
    const [lo, hi] = domain(op);
    const x = lo + (hi - lo) * u;
    const p0 = op === 'elu' ? Math.abs(p) : p;
    const p1 = op === 'clamp' ? p0 + 1 : 0;
    if (['relu', 'abs', 'sign'].includes(op) && Math.abs(x) < 1e-3) return;
    if (op === 'clamp' && (Math.abs(x - p0) < 1e-3 || Math.abs(x - p1) < 1e-3)) return;
    const f = (v: number) => UNARY[op].cpu(v, p0, p1);
    const h = 1e-6 * Math.max(1, Math.abs(x));
    const fd = (f(x + h) - f(x - h)) / (2 * h);
    const dy = 0.75;
    const g = UNARY_GRAD[op]!.cpu(x, dy, p0, p1);
    // float64 central differences: truncation O(h^2 f''') plus cancellation ~ eps |f| / h ~ 1e-10 |f|
    expect(Math.abs(g - dy * fd), `${op}'(${x}; ${p0}, ${p1}) = ${g / dy}, fd ${fd}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(dy * fd)) + 1e-9 * Math.abs(f(x)));
  });

  it('computes hand-worked derivatives', async () => {
    const x = tensor(cpu, [-2, 0.5, 3]);
    const dy = tensor(cpu, [1, 2, 3]);
    expect(await read(unaryGrad(x, dy, 'square'))).toEqual(new Float32Array([-4, 2, 18]));
    expect(await read(unaryGrad(x, dy, 'relu'))).toEqual(new Float32Array([0, 2, 3]));
    expect(await read(unaryGrad(x, dy, 'affine', 3, 7))).toEqual(new Float32Array([3, 6, 9]));
    expect(await read(unaryGrad(x, dy, 'clamp', -1, 0.5))).toEqual(new Float32Array([0, 2, 0]));
    expect(await read(unaryGrad(x, dy, 'pow', 3))).toEqual(new Float32Array([12, 1.5, 81]));
    expect(await read(unaryGrad(x, dy, 'pow', 0))).toEqual(new Float32Array([0, 0, 0]));
    expect(await read(unaryGrad(x, dy, 'sign'))).toEqual(new Float32Array([0, 0, 0]));
    expectClose(await read(unaryGrad(x, dy, 'elu', 2)), [2 * Math.exp(-2), 2, 3], { atol: 0, rtol: 1e-7 });
    expectClose(await read(unaryGrad(x, dy, 'tanh')), [1 - Math.tanh(-2) ** 2, 2 * (1 - Math.tanh(0.5) ** 2), 3 * (1 - Math.tanh(3) ** 2)], {
      atol: 0,
      rtol: 1e-6,
    });
  });

  it('rejects unknown ops and mismatched shapes', () => {
    const x = tensor(cpu, [1, 2, 3]);
    expect(() => unaryGrad(x, x, 'nope' as UnaryOp)).toThrow(/unaryGrad: op 'nope' has no gradient kernel; differentiable ops: neg, abs/);
    expect(() => unaryGrad(x, tensor(cpu, [1, 2]), 'exp')).toThrow('unaryGrad(exp): dy must have the shape of x [3], got [2]');
    expect(() => unaryGrad(x, tensor(cpu, new Int32Array(3)), 'exp')).toThrow('unaryGrad: dy must have dtype f32, got i32');
  });
});

describe.runIf(hasGpu)('binary kernels: WGSL equals the CPU reference', () => {
  test.prop([fc.constantFrom(...BINARY_OPS), broadcastCase(2)], { numRuns: 80 })('op with broadcasting on random shapes', async (op, { shapes, seed }) => {
    const g = await gpu();
    const data = operands(op, shapes, seed);
    const want = await runBinary(cpu, op, shapes, data);
    const got = await runBinary(g, op, shapes, data);
    expectClose(got, want, tolFor(op), `${op} ${JSON.stringify(shapes)}`);
  });

  test.prop([broadcastCase(3)], { numRuns: 40 })('where with three-way broadcasting', async ({ shapes, seed }) => {
    const g = await gpu();
    const c = randomArray(size(shapes[0]), seed, -1, 1).map((v) => (v > 0 ? v : 0));
    const data = [c, randomArray(size(shapes[1]), seed + 1), randomArray(size(shapes[2]), seed + 2)];
    const run = (dev: Device) => read(where(tensor(dev, data[0], shapes[0]), tensor(dev, data[1], shapes[1]), tensor(dev, data[2], shapes[2])));
    // a selection: exact
    expectClose(await run(g), await run(cpu), { atol: 0, rtol: 0 }, `where ${JSON.stringify(shapes)}`);
  });

  it('large outputs fold the grid into y and keep broadcasting right', async () => {
    const g = await gpu();
    // an outer product [4097,1] * [1,4096]: 16781312 elements, more than 65535 workgroups of 256, so the grid
    // folds into y; rank-2 indexing past the fold, from tiny inputs
    const a = Float32Array.from({ length: 4097 }, (_, i) => i);
    const b = Float32Array.from({ length: 4096 }, (_, j) => j % 7);
    const t = mul(tensor(g, a, [4097, 1]), tensor(g, b, [1, 4096]));
    const y = await read(t);
    t.dispose();
    expect(y.length).toBe(4097 * 4096);
    let bad = 0;
    for (let i = 0; i < 4097; i += 13) for (let j = 0; j < 4096; j += 5) if (y[i * 4096 + j] !== i * (j % 7)) bad++;
    for (let j = 0; j < 4096; j++) if (y[4096 * 4096 + j] !== 4096 * (j % 7)) bad++;
    expect(bad).toBe(0);
  });

  it('pow handles negative bases, zero exponents and extremes like Math.pow', async () => {
    const g = await gpu();
    const a = [-2, -2, -3, 0, 0, 2, 1e-30, 1e30, -0.5];
    const b = [3, 2, 0, 0, 2, -1, 2, 2, -3];
    const run = (dev: Device) => read(binary(tensor(dev, a), tensor(dev, b), 'pow'));
    // exp2/log2 based: relative error a few ulp of |b log2 a|
    expectClose(await run(g), await run(cpu), { atol: 0, rtol: 1e-5 }, 'pow');
  });

  it('extreme values: large magnitudes, infinities, signed zeros', async () => {
    const g = await gpu();
    const a = [3e38, -3e38, 1e-38, Infinity, -Infinity, 0, -0, 5];
    const b = [3e38, 3e38, 1e-38, 1, Infinity, -0, 0, -Infinity];
    for (const op of ['add', 'sub', 'mul', 'maximum', 'minimum', 'greater', 'less', 'equal'] as BinaryOp[]) {
      const got = await read(binary(tensor(g, a), tensor(g, b), op));
      const want = await read(binary(tensor(cpu, a), tensor(cpu, b), op));
      // single IEEE operations: exact (signed zeros compare equal here)
      expectClose(got, want, { atol: 0, rtol: 0 }, op);
    }
  });

  test.prop([fc.constantFrom(...UNARY_GRAD_OPS), fc.integer({ min: 1, max: 3000 }), fc.integer(), fc.double({ min: 0.1, max: 3, noNaN: true })], {
    numRuns: 60,
  })('unaryGrad on awkward sizes', async (op, n, seed, p0) => {
    const g = await gpu();
    const positive = ['log', 'sqrt', 'rsqrt', 'reciprocal', 'pow'].includes(op);
    const x = randomArray(n, seed, positive ? 0.1 : -8, 8);
    const dy = randomArray(n, seed + 1, -2, 2);
    const p1 = op === 'clamp' ? p0 + 1 : 0;
    const run = async (dev: Device) => read(unaryGrad(tensor(dev, x), tensor(dev, dy), op, op === 'clamp' ? -p0 : p0, p1));
    // exp/log/sqrt-based derivatives: a few ulp; symexp and pow amplify (exp(8) ~ 3e3, x^(p-1)) but stay relative.
    // sigmoid-family derivatives near 0 through exp: 1e-6 absolute.
    expectClose(await run(g), await run(cpu), { atol: 2e-6, rtol: 3e-5 }, `${op}' n=${n}`);
  });

  it('unaryGrad stays finite on extreme inputs where the maths is finite', async () => {
    const g = await gpu();
    const x = [-1e30, -100, -20, -1e-30, 0, 1e-30, 20, 100, 1e30];
    const dy = x.map(() => 1);
    for (const op of ['sigmoid', 'silu', 'tanh', 'softplus', 'elu', 'relu', 'symlog', 'clamp'] as UnaryOp[]) {
      const got = await read(unaryGrad(tensor(g, x), tensor(g, dy), op, op === 'clamp' ? -1 : 1, 1));
      const want = await read(unaryGrad(tensor(cpu, x), tensor(cpu, dy), op, op === 'clamp' ? -1 : 1, 1));
      expect(got.every(Number.isFinite), `${op}' gave a non-finite value: ${got}`).toBe(true);
      expectClose(got, want, { atol: 1e-6, rtol: 1e-5 }, `${op}'`);
    }
  });

  it('records one dispatch per op', async () => {
    const g = await gpu();
    const a = tensor(g, new Float32Array(6), [2, 3]);
    const b = tensor(g, [1, 2, 3], [3]);
    const d0 = g.stats().dispatches;
    const ys = [add(a, b), where(a, a, b), unaryGrad(a, a, 'exp')];
    expect(g.stats().dispatches - d0).toBe(3);
    for (const y of [...ys, a, b]) y.dispose();
  });
});
