import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { tensor, unary, UNARY_OPS, type UnaryOp, zeros, full, scope } from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

// Inputs per op where the function is defined (log/sqrt/rsqrt/pow need x > 0; reciprocal avoids 0).
const positiveOps = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt', 'reciprocal', 'pow']);

// f32 transcendental functions on GPUs are accurate to a few ulp; lavapipe's exp/log are ~1e-6 relative.
// tanh/softplus/sigmoid near 0 go through exp: absolute 1e-6 covers it.
const TOL = { atol: 2e-6, rtol: 2e-5 };

describe.runIf(hasGpu)('unary kernels: WGSL equals the CPU reference', () => {
  test.prop([fc.constantFrom(...UNARY_OPS), fc.integer({ min: 1, max: 5000 }), fc.integer(), fc.double({ min: -3, max: 3, noNaN: true })], {
    numRuns: 60,
  })('op on awkward sizes', async (op, n, seed, p0) => {
    const lo = positiveOps.has(op) ? 0.05 : -8;
    const x = randomArray(n, seed, lo, 8);
    const p1 = op === 'clamp' ? p0 + 1 : 0.5;
    const g = await gpu();
    const want = await read(unary(tensor(cpu, x), op, p0, p1));
    const got = await read(unary(tensor(g, x), op, p0, p1));
    expectClose(got, want, op === 'pow' || op === 'symexp' || op === 'exp' ? { atol: 1e-5, rtol: 1e-4 } : TOL, `${op} n=${n}`);
  });

  it('handles extreme values without NaN where the maths has none', async () => {
    const g = await gpu();
    const x = new Float32Array([-1e30, -100, -88, -20, -1e-30, 0, 1e-30, 20, 88, 100, 1e30]);
    for (const op of ['sigmoid', 'tanh', 'softplus', 'elu', 'silu', 'relu', 'abs', 'neg', 'symlog'] as UnaryOp[]) {
      const want = await read(unary(tensor(cpu, x), op, 1));
      const got = await read(unary(tensor(g, x), op, 1));
      expect(got.every(Number.isFinite), `${op} gave a non-finite value: ${got}`).toBe(true);
      expectClose(got, want, { atol: 1e-6, rtol: 1e-5 }, op);
    }
  });

  it('folds grids past 65535 workgroups into y', async () => {
    const g = await gpu();
    const n = 65535 * 256 + 77;
    const got = await read(full(g, [n], 3.5));
    expect(got.length).toBe(n);
    expect(got[0]).toBe(3.5);
    expect(got[n - 1]).toBe(3.5);
    expect(got.every((v) => v === 3.5)).toBe(true);
  });
});

describe('unary ops on the CPU reference', () => {
  it('computes the documented formulas', async () => {
    const x = tensor(cpu, [-1, 0, 2]);
    expectClose(await read(unary(x, 'elu', 1)), [Math.expm1(-1), 0, 2], { atol: 0, rtol: 1e-7 });
    expectClose(await read(unary(x, 'softplus')), [Math.log1p(Math.exp(-1)), Math.log(2), 2 + Math.log1p(Math.exp(-2))], { atol: 0, rtol: 1e-6 });
    expectClose(await read(unary(x, 'affine', 2, 1)), [-1, 1, 5], { atol: 0, rtol: 0 });
    expect(await read(zeros(cpu, [2]))).toEqual(new Float32Array([0, 0]));
  });

  it('rejects bad input with the op, expected and actual', () => {
    expect(() => unary(tensor(cpu, new Int32Array([1, 2])), 'exp')).toThrow(/exp: x must have dtype f32, got i32/);
    expect(() => unary(tensor(cpu, [1]), 'nope' as UnaryOp)).toThrow(/unknown op 'nope'; valid ops: neg/);
    expect(() => tensor(cpu, [1, 2, 3], [2, 2])).toThrow(/shape \[2,2\] needs 4 elements, data has 3/);
    expect(() => tensor(cpu, [1, 2], [-2, -1])).toThrow(/non-negative integers/);
    const t = tensor(cpu, [1, 2]);
    t.dispose();
    expect(() => unary(t, 'exp')).toThrow(/used after dispose/);
  });

  it('scope releases intermediates and keeps results', () => {
    const before = cpu.stats().liveBuffers;
    const kept = scope(() => {
      const a = tensor(cpu, [1, 2, 3]);
      const b = unary(a, 'exp');
      return { c: unary(b, 'log') };
    });
    expect(cpu.stats().liveBuffers).toBe(before + 1);
    kept.c.dispose();
    expect(cpu.stats().liveBuffers).toBe(before);
  });
});

describe('reshape views', () => {
  it('infers one -1 dim and rejects impossible shapes', async () => {
    const x = tensor(cpu, [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(x.reshape([-1, 2]).shape).toEqual([3, 2]);
    expect(x.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(() => x.reshape([-1, -1])).toThrow(/at most one dim may be -1/);
    expect(() => x.reshape([4, -1])).toThrow(/cannot view \[2,3\] \(6 elements\) as \[4,-1\]/);
    expect(() => x.reshape([7])).toThrow(/cannot view \[2,3\] \(6 elements\) as \[7\]/);
    expect(await read(x.reshape([6]))).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
  });
});
