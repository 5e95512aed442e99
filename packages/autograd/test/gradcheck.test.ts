import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import * as K from '@twist/kernels';
import { tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import { CASES, TIE_GAP } from './cases.js';
import { cpu, randomArray } from './harness.js';

// Central differences on the CPU backend: f32 forward, float64 projection sum. With h = 1e-2 the truncation
// error is O(h^2) ~ 1e-4 relative and f32 rounding adds ~1e-7 / h ~ 1e-5, so 2e-2 relative is a safe bound
// that still catches any wrong rule (a wrong rule is off by O(1)).
describe('every gradient rule matches central finite differences (CPU)', () => {
  for (const c of CASES) {
    test.prop([fc.integer({ min: 1, max: 2 ** 30 })], { numRuns: c.gen ? 4 : 2 })(c.name, async (seed) => {
      // Random shapes (where the case has a generator) and values, both from the property's seed.
      let st = seed >>> 0;
      const dim = () => ((st = (Math.imul(st, 1664525) + 1013904223) >>> 0) % 4) + 1;
      const shapes = c.gen ? c.gen(dim) : c.shapes;
      const inputs = shapes.map((s, i) => ({ data: randomArray(s.reduce((a, d) => a * d, 1), seed + i, c.lo ?? -1.5, c.hi ?? 1.5), shape: s }));
      c.untie?.(inputs.map((x) => x.data));
      const r = await A.gradcheck(c.f, inputs, { device: cpu, ...c.tol });
      expect(r.checked).toBe(inputs.reduce((n, x) => n + x.data.length, 0));
    });
  }
});

describe('gradcheck itself', () => {
  it("the kinked cases' inputs are moved off their ties (seed 1073741796 once put a maximum pair 7e-4 apart)", () => {
    const cases = Object.fromEntries(CASES.filter((c) => c.untie).map((c) => [c.name, c]));
    const [a, b] = [randomArray(6, 1073741796, -1.5, 1.5), randomArray(6, 1073741797, -1.5, 1.5)];
    expect(Math.min(...a.map((x, i) => Math.abs(x - b[i])))).toBeLessThan(1e-3);
    cases.maximum.untie!([a, b]);
    expect(Math.min(...a.map((x, i) => Math.abs(x - b[i])))).toBeGreaterThanOrEqual(TIE_GAP * 0.999);
    const x = new Float32Array([0.5, 0.499, -1, 0.2, 0.5005, 1, 0.995, 0.9999, -2, 0]);
    cases.max.untie!([x]);
    for (const row of [x.subarray(0, 5), x.subarray(5, 10)]) {
      const sorted = [...row].sort((p, q) => q - p);
      expect(sorted[0] - sorted[1]).toBeGreaterThanOrEqual(TIE_GAP * 0.999);
    }
    expect([x[4], x[5]]).toEqual([Math.fround(0.5005), 1]); // each row's maximum stays where it was
  });

  it("that seed's maximum fails the central difference as drawn and passes once untied", async () => {
    const c = CASES.find((k) => k.name === 'maximum')!;
    const draw = () => [randomArray(6, 1073741796, -1.5, 1.5), randomArray(6, 1073741797, -1.5, 1.5)];
    const as = (d: Float32Array[]) => d.map((data) => ({ data, shape: [6] }));
    await expect(A.gradcheck(c.f, as(draw()), { device: cpu, ...c.tol })).rejects.toThrow(/gradcheck: input \d element \d+: analytic/);
    const d = draw();
    c.untie!(d);
    expect((await A.gradcheck(c.f, as(d), { device: cpu, ...c.tol })).checked).toBe(12);
  });

  it('fails on a wrong rule', async () => {
    const wrong = A.defineOp('test-wrong-square', {
      forward: ([x]) => ({ y: K.square(x) }),
      backward: (dy) => [dy.reshape(dy.shape)], // should be 2 x dy
    });
    await expect(A.gradcheck((x) => wrong([x], undefined), [{ data: new Float32Array([0.7, -1.2, 2]), shape: [3] }])).rejects.toThrow(
      /gradcheck: input 0 element 0: analytic/,
    );
  });
});

describe('straight-through categorical sample', () => {
  it('passes the gradient of the (unimix) probabilities', async () => {
    const logits = randomArray(2 * 3 * 5, 7, -2, 2);
    const r = randomArray(2 * 3 * 5, 8);
    const l1 = A.variable(tensor(cpu, logits, [2, 3, 5]));
    const proj = A.constant(tensor(cpu, r, [2, 3, 5]));
    const [gST] = A.grad(A.sum(A.mul(A.categoricalSample(l1, { seed: 3 }, 0.01), proj)), [l1]);
    const l2 = A.variable(tensor(cpu, logits, [2, 3, 5]));
    const probs = A.affine(A.softmax(l2), 0.99, 0.01 / 5);
    const [gP] = A.grad(A.sum(A.mul(probs, proj)), [l2]);
    const a = await gST.toArray();
    const b = await gP.toArray();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
  });
});
