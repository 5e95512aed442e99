import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { scope, tensor, type Device, type ScanAct, type Tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import type { Var } from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray } from './harness.js';

/**
 * The fused RSSM posterior scan (one multi-output rule) against the unfused composition it replaces, kept as
 * the reference: per step the masks (mul), linear with an addend box + activation, gruCell, linear, matmul with
 * bias and categoricalSample, stacked over time. Values, samples and every input's gradient, on awkward sizes and
 * every backend; the sums run in another order, so within f32 rounding. Plus a finite-difference gradient check.
 */
const seen = new Set<string>();
const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);

interface Case {
  B: number;
  T: number;
  D: number;
  H: number;
  S: number;
  C: number;
}

function data(z: Case, seed: number, start: boolean) {
  const { B, T, D, H, S, C } = z;
  const Z = S * C;
  const r = (n: number, k: number, s = 1) => randomArray(n, seed + k, -s, s);
  return {
    actIn: { d: r(B * T * H, 1), s: [B, T, H] },
    embIn: { d: r(B * T * H, 2), s: [B, T, H] },
    wz: { d: r(Z * H, 3, 1 / Math.sqrt(S)), s: [Z, H] },
    wx: { d: r(H * 3 * D, 4, 1 / Math.sqrt(H)), s: [H, 3 * D] },
    wh: { d: r(D * 3 * D, 5, 1 / Math.sqrt(D)), s: [D, 3 * D] },
    gamma: { d: randomArray(3 * D, seed + 6, 0.5, 1.5), s: [3 * D] },
    beta: { d: r(3 * D, 7, 0.3), s: [3 * D] },
    wo: { d: r(D * H, 8, 1 / Math.sqrt(D)), s: [D, H] },
    wp: { d: r(H * Z, 9, 2 / Math.sqrt(H)), s: [H, Z] },
    bp: { d: r(Z, 10, 0.5), s: [Z] },
    ...(start ? { h0: { d: r(B * D, 11), s: [B, D] }, z0: { d: r(B * Z, 12), s: [B, S, C] } } : {}),
  };
}

type Vars = Record<string, Var>;

/** The unfused reference: RSSM.observe's loop written with the per-step ops. */
function unfused(v: Vars, isFirst: Var, z: Case, act: ScanAct, unimix: number, key: { seed: number; offset: number }, step: number) {
  const { B, T, S, C } = z;
  const Z = S * C;
  const keepAll = A.affine(isFirst, -1, 1);
  let h: Var | null = v.h0 ?? null;
  let s: Var | null = v.z0 ?? null;
  const deters: Var[] = [];
  const stochs: Var[] = [];
  for (let t = 0; t < T; t++) {
    const zeroStart = t === 0 && !v.h0;
    const keep = A.reshape(A.slice(keepAll, [0, t], [B, 1]), [B, 1]);
    const hp = zeroStart ? A.constant(K0(v.actIn.device, [B, z.D])) : A.mul(h!, keep);
    const xIn = zeroStart
      ? A.activation(A.reshape(A.slice(v.actIn, [0, 0, 0], [B, 1, z.H]), [B, z.H]), act)
      : A.linear(A.reshape(A.mul(s!, A.reshape(keep, [B, 1, 1])), [B, Z]), v.wz, { addend: { x: v.actIn, begin: [0, t, 0] }, act });
    h = A.gruCell(xIn, hp, v.wx, v.wh, v.gamma, v.beta, { updateBias: -1, eps: 1e-3 });
    const x = A.linear(h, v.wo, { addend: { x: v.embIn, begin: [0, t, 0] }, act });
    const logits = A.reshape(A.matmul(x, v.wp, { bias: v.bp }), [B, S, C]);
    s = A.categoricalSample(logits, { seed: key.seed, offset: key.offset + t * step }, unimix);
    deters.push(h);
    stochs.push(s);
  }
  return { deter: A.stack(deters, 1), stoch: A.stack(stochs, 1) };
}
const K0 = (d: Device, shape: number[]): Tensor => tensor(d, new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);

function fused(v: Vars, isFirst: Var, z: Case, act: ScanAct, unimix: number, key: { seed: number; offset: number }, step: number) {
  return A.observeScan(
    { actIn: v.actIn, embIn: v.embIn, isFirst, wz: v.wz, wx: v.wx, wh: v.wh, gamma: v.gamma, beta: v.beta, wo: v.wo, wp: v.wp, bp: v.bp, h0: v.h0, z0: v.z0 },
    { stoch: z.S, classes: z.C, act, unimix, key, offsetStep: step },
  );
}

// awkward sizes (the kernels' scalar form), and sizes that are all multiples of 4 (their vec4 form)
const sizes = fc.oneof(
  fc.record({
    B: fc.constantFrom(1, 3, 16),
    T: fc.constantFrom(1, 2, 7),
    D: fc.constantFrom(1, 5, 13),
    H: fc.constantFrom(1, 6, 19),
    S: fc.constantFrom(1, 3, 5),
    C: fc.constantFrom(1, 2, 7),
  }),
  fc.record({
    B: fc.constantFrom(1, 3, 16),
    T: fc.constantFrom(1, 2, 7),
    D: fc.constantFrom(4, 8, 12),
    H: fc.constantFrom(4, 8, 20),
    S: fc.constantFrom(1, 2, 3),
    C: fc.constantFrom(4, 8),
  }),
);

describe('observeScan (fused) equals the per-step ops (every backend)', () => {
  test.prop([sizes, fc.constantFrom<ScanAct>('elu', 'silu'), fc.constantFrom(0, 0.01), fc.boolean(), fc.array(fc.nat(200), { maxLength: 4 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 25 })(
    'values, samples and all gradients',
    async (z, act, unimix, start, firsts, seed) => {
      for (const d of await devices()) {
        const run = async (f: typeof fused) => {
          const r = scope(() => {
            const raw = data(z, seed, start);
            const v: Vars = Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, A.variable(tensor(d, x.d, x.s))]));
            const fi = new Float32Array(z.B * z.T);
            for (const i of firsts) fi[i % fi.length] = 1;
            const isFirst = A.constant(tensor(d, fi, [z.B, z.T]));
            const key = { seed: 5, offset: 11 + z.B * z.S };
            const o = f(v, isFirst, z, act, unimix, key, 2 * z.B * z.S);
            const r1 = A.constant(tensor(d, randomArray(z.B * z.T * z.D, seed + 30), o.deter.shape));
            const r2 = A.constant(tensor(d, randomArray(z.B * z.T * z.S * z.C, seed + 31), o.stoch.shape));
            const loss = A.add(A.sum(A.mul(o.deter, r1)), A.sum(A.mul(o.stoch, r2)));
            const names = Object.keys(v);
            const gs = A.grad(loss, names.map((k) => v[k]));
            return { deter: o.deter.value, stoch: o.stoch.value, gs, names };
          });
          const out: Record<string, Float32Array> = { deter: (await r.deter.toArray()) as Float32Array, stoch: (await r.stoch.toArray()) as Float32Array };
          for (let i = 0; i < r.names.length; i++) out[r.names[i]] = (await r.gs[i].toArray()) as Float32Array;
          return out;
        };
        const want = await run(unfused);
        const got = await run(fused);
        seen.add(d.backend);
        const what = `${d.backend} ${JSON.stringify(z)} ${act} unimix ${unimix} start ${start}`;
        expect(Array.from(got.stoch), `samples, ${what}`).toEqual(Array.from(want.stoch));
        for (const k of Object.keys(want)) expectClose(got[k], want[k], { atol: 2e-4, rtol: 2e-3 }, `${k}, ${what}`);
      }
    },
    // the first use of each of the kernels' forms compiles them: llvmpipe takes seconds to tens of seconds each
    600_000,
  );

  it('records one dispatch forward and at most ten backward', async () => {
    for (const d of await devices()) {
      scope(() => {
        const z = { B: 3, T: 5, D: 4, H: 6, S: 2, C: 3 };
        const raw = data(z, 1, true);
        const v: Vars = Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, A.variable(tensor(d, x.d, x.s))]));
        const isFirst = A.constant(tensor(d, new Float32Array(15), [3, 5]));
        const n0 = d.stats().dispatches;
        const o = fused(v, isFirst, z, 'elu', 0, { seed: 1, offset: 0 }, 12);
        expect(d.stats().dispatches - n0, `${d.backend} forward`).toBe(1);
        const loss = A.add(A.sum(o.deter), A.sum(o.stoch));
        const n1 = d.stats().dispatches;
        A.grad(loss, Object.values(v));
        // loss seeds and sums' broadcasts (5), the scan, 5 weight matmuls, 3 sums
        expect(d.stats().dispatches - n1, `${d.backend} backward`).toBeLessThanOrEqual(5 + 1 + 5 + 3);
      });
    }
  });

  it('passes a finite-difference gradient check (deter at T = 1, from a start state)', async () => {
    const z = { B: 2, T: 1, D: 3, H: 2, S: 2, C: 3 };
    const raw = data(z, 3, true);
    const names = Object.keys(raw) as (keyof typeof raw)[];
    const isFirst = A.constant(tensor(cpu, new Float32Array([0, 1]), [2, 1]));
    const f = (...xs: Var[]) => {
      const v: Vars = Object.fromEntries(names.map((k, i) => [k, xs[i]]));
      return fused(v, isFirst, z, 'elu', 0, { seed: 1, offset: 0 }, 12).deter;
    };
    const r = await A.gradcheck(
      f,
      names.map((k) => ({ data: raw[k]!.d, shape: raw[k]!.s })),
      { eps: 1e-2, atol: 2e-3, rtol: 3e-2, device: cpu },
    );
    expect(r.checked).toBeGreaterThan(50);
  });
});

describe('observeScan coverage', () => {
  it('ran the property on every backend', () => {
    expect([...seen].sort()).toEqual(hasGpu ? ['cpu', 'webgpu'] : ['cpu']);
  });
});
