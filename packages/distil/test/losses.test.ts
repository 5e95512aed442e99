import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { tensor, type Device } from '@twist/kernels';
import { cpu, expectClose, gpu, hasGpu } from './harness.js';
import { actionMatchLoss, distilLoss, imaginedLoss, squaredL2 } from '../src/index.js';

/** Deterministic pseudo-random values in [-s, s). */
function vals(n: number, seed: number, s = 1.5): Float32Array {
  let x = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.fround(((x / 2 ** 32) * 2 - 1) * s);
  });
}
const c = (data: Float32Array, shape: number[]) => A.constant(tensor(cpu, data, shape));
const v = (data: Float32Array, shape: number[]) => A.variable(tensor(cpu, data, shape));

/** Reference KL(P || Q) of factorised categoricals (logits [..., V, C] flattened), per row of V * C, float64. */
function klRef(p: Float32Array, q: Float32Array, V: number, C: number): number[] {
  const out: number[] = [];
  const lsm = (x: Float32Array, o: number) => {
    const m = Math.max(...x.subarray(o, o + C));
    const z = Math.log(Array.from(x.subarray(o, o + C)).reduce((a, b) => a + Math.exp(b - m), 0)) + m;
    return Array.from(x.subarray(o, o + C), (y) => y - z);
  };
  for (let r = 0; r < p.length / (V * C); r++) {
    let kl = 0;
    for (let vv = 0; vv < V; vv++) {
      const o = (r * V + vv) * C;
      const lp = lsm(p, o);
      const lq = lsm(q, o);
      for (let k = 0; k < C; k++) kl += Math.exp(lp[k]) * (lp[k] - lq[k]);
    }
    out.push(kl);
  }
  return out;
}
const sqRef = (a: Float32Array, b: Float32Array, D: number) =>
  Array.from({ length: a.length / D }, (_, r) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += (a[r * D + d] - b[r * D + d]) ** 2;
    return s;
  });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// B = 2 sequences of L = 3 steps, D = 2 deterministic units, V = 2 variables of C = 3 classes.
const [B, L, D, V, C] = [2, 3, 2, 2, 3];
const lat = (seed: number) => ({
  deter: vals(B * L * D, seed, 1),
  prior: vals(B * L * V * C, seed + 1),
  post: vals(B * L * V * C, seed + 2),
});
const T = lat(11);
const S = lat(23);
const seqVars = (x: typeof T, make = c) => ({ deter: make(x.deter, [B, L, D]), priorLogits: make(x.prior, [B, L, V, C]), postLogits: make(x.post, [B, L, V, C]) });

describe('Eq. 3 (distilLoss)', () => {
  it('matches hand-computed values: mean over sequences of the sum over steps, KL(student || teacher)', async () => {
    const out = distilLoss(seqVars(T), seqVars(S));
    // sum over t then mean over b = mean over all B*L steps times L
    const hWant = mean(sqRef(T.deter, S.deter, D)) * L;
    const priorWant = mean(klRef(S.prior, T.prior, V, C)) * L;
    const postWant = mean(klRef(S.post, T.post, V, C)) * L;
    expect(await out.h.item()).toBeCloseTo(hWant, 4);
    expect(await out.prior.item()).toBeCloseTo(priorWant, 4);
    expect(await out.post.item()).toBeCloseTo(postWant, 4);
    expect(await out.loss.item()).toBeCloseTo(hWant + priorWant + postWant, 4);
    // the student is the first argument: KL(teacher || student) is a different number here
    const reversed = mean(klRef(T.prior, S.prior, V, C)) * L;
    expect(Math.abs(reversed - priorWant)).toBeGreaterThan(1e-2);
  });

  it("timeReduce 'mean' divides by L; weights scale terms and a zero weight drops a term", async () => {
    const m = distilLoss(seqVars(T), seqVars(S), { timeReduce: 'mean' });
    const s = distilLoss(seqVars(T), seqVars(S));
    expect(await m.h.item()).toBeCloseTo((await s.h.item()) / L, 5);
    const w = distilLoss(seqVars(T), seqVars(S), { weights: { h: 2, prior: 0, post: 0.5 } });
    expect(await w.loss.item()).toBeCloseTo(2 * (await s.h.item()) + 0.5 * (await s.post.item()), 4);
  });

  it('is exactly zero for identical teacher and student latents', async () => {
    const out = distilLoss(seqVars(T), seqVars(T));
    for (const k of ['loss', 'h', 'prior', 'post'] as const) expect((await out[k].item()) === 0, k).toBe(true);
  });

  it('gradcheck with respect to the student latents (h, prior and posterior logits)', async () => {
    const t = seqVars(T);
    const res = await A.gradcheck(
      (h, p, q) => distilLoss(t, { deter: h, priorLogits: p, postLogits: q }).loss,
      [
        { data: S.deter, shape: [B, L, D] },
        { data: S.prior, shape: [B, L, V, C] },
        { data: S.post, shape: [B, L, V, C] },
      ],
      { device: cpu },
    );
    expect(res.checked).toBe(B * L * (D + 2 * V * C));
  });

  it('sends no gradient to the teacher, even when the teacher latents require one', async () => {
    const t = seqVars(T, v);
    const s = seqVars(S, v);
    const { loss } = distilLoss(t, s);
    const g = A.grad(loss, [t.deter, t.priorLogits, t.postLogits, s.deter]);
    for (const x of g.slice(0, 3)) expect(Array.from(await x.toArray()).every((y) => y === 0)).toBe(true);
    expect(Array.from(await g[3].toArray()).some((y) => y !== 0)).toBe(true);
  });

  it('refuses latents of different sizes', () => {
    const bad = { ...seqVars(S), deter: c(vals(B * L * 3, 1), [B, L, 3]) };
    expect(() => distilLoss(seqVars(T), bad)).toThrow(/same shape.*\[2,3,2\].*\[2,3,3\]/);
  });
});

describe('Eq. 4 (imaginedLoss)', () => {
  // H = 4 imagined steps from N = 3 starts.
  const [H, N] = [4, 3];
  const roll = (seed: number) => ({ deter: vals(H * N * D, seed, 1), prior: vals(H * N * V * C, seed + 1) });
  const TI = roll(5);
  const SI = roll(7);
  const rv = (x: typeof TI, make = c) => ({ deter: make(x.deter, [H, N, D]), priorLogits: make(x.prior, [H, N, V, C]) });

  it('matches hand-computed values: mean over rollouts of the sum over the H steps', async () => {
    const out = imaginedLoss(rv(TI), rv(SI));
    const hWant = mean(sqRef(TI.deter, SI.deter, D)) * H;
    const pWant = mean(klRef(SI.prior, TI.prior, V, C)) * H;
    expect(await out.imagH.item()).toBeCloseTo(hWant, 4);
    expect(await out.imagPrior.item()).toBeCloseTo(pWant, 4);
    expect(await out.loss.item()).toBeCloseTo(hWant + pWant, 4);
    expect(await imaginedLoss(rv(TI), rv(SI), { weights: { imagH: 0 } }).loss.item()).toBeCloseTo(pWant, 4);
  });

  it('is exactly zero for identical rollouts', async () => {
    const out = imaginedLoss(rv(TI), rv(TI));
    for (const k of ['loss', 'imagH', 'imagPrior'] as const) expect((await out[k].item()) === 0, k).toBe(true);
  });

  it('gradcheck with respect to the student rollout (h and prior logits)', async () => {
    const t = rv(TI);
    const res = await A.gradcheck(
      (h, p) => imaginedLoss(t, { deter: h, priorLogits: p }).loss,
      [
        { data: SI.deter, shape: [H, N, D] },
        { data: SI.prior, shape: [H, N, V, C] },
      ],
      { device: cpu },
    );
    expect(res.checked).toBe(H * N * (D + V * C));
  });

  it('squaredL2 sums over the last axis only', async () => {
    const a = c(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const b = c(Float32Array.from([0, 0, 1, 1]), [2, 2]);
    expect(Array.from(await squaredL2(a, b).toArray())).toEqual([5, 13]);
  });
});

describe('the action-matching extension (actionMatchLoss)', () => {
  // B = 2 sequences of L = 3 steps, A = 2 action dims
  const [B, L, Aa] = [2, 3, 2];
  const aT = Float32Array.from([0.5, -1, 0, 0.25, 1, 1, -0.5, 0, 0.75, -0.25, 0, 0.5]);
  const aS = Float32Array.from([0, -1, 0.5, 0.25, 0, 1, -0.5, 1, 0.75, 0.25, -1, 0.5]);

  it("matches the hand-computed value: mean over sequences of the sum over steps of ||a_s - a_t||^2; 'mean' divides by L", async () => {
    // per step squared errors: b0: 0.25, 0.25, 1; b1: 1, 0.25, 1 -> sums 1.5 and 2.25, mean 1.875
    expect(await actionMatchLoss(c(aT, [B, L, Aa]), c(aS, [B, L, Aa])).item()).toBeCloseTo(1.875, 6);
    expect(await actionMatchLoss(c(aT, [B, L, Aa]), c(aS, [B, L, Aa]), { timeReduce: 'mean' }).item()).toBeCloseTo(1.875 / L, 6);
  });

  it('is exactly zero for identical actions, and gradcheck with respect to the student actions', async () => {
    expect((await actionMatchLoss(c(aT, [B, L, Aa]), c(aT, [B, L, Aa])).item()) === 0).toBe(true);
    const t = c(aT, [B, L, Aa]);
    const res = await A.gradcheck((a) => actionMatchLoss(t, a), [{ data: aS, shape: [B, L, Aa] }], { device: cpu });
    expect(res.checked).toBe(B * L * Aa);
  });

  it('sends no gradient to the teacher side, and refuses actions of different shapes', async () => {
    const t = v(aT, [B, L, Aa]);
    const s = v(aS, [B, L, Aa]);
    const [gt, gs] = A.grad(actionMatchLoss(t, s), [t, s]);
    expect(Array.from(await gt.toArray()).every((y) => y === 0)).toBe(true);
    expect(Array.from(await gs.toArray()).some((y) => y !== 0)).toBe(true);
    expect(() => actionMatchLoss(c(aT, [B, L, Aa]), c(aS.subarray(0, 6), [B, L, 1]))).toThrow(/actionMatchLoss: teacher and student actions must have the same shape/);
  });
});

describe.runIf(hasGpu)('on WebGPU', () => {
  it('Eq. 3 and Eq. 4 give the CPU values (the same kernels in WGSL)', async () => {
    const g = await gpu();
    const on = (dev: Device, x: Float32Array, shape: number[]) => A.constant(tensor(dev, x, shape));
    const seqOn = (dev: Device, x: typeof T) => ({ deter: on(dev, x.deter, [B, L, D]), priorLogits: on(dev, x.prior, [B, L, V, C]), postLogits: on(dev, x.post, [B, L, V, C]) });
    for (const w of [{}, { h: 0.5, prior: 2, post: 0 }]) {
      const c1 = distilLoss(seqOn(cpu, T), seqOn(cpu, S), { weights: w });
      const g1 = distilLoss(seqOn(g, T), seqOn(g, S), { weights: w });
      for (const k of ['loss', 'h', 'prior', 'post'] as const) expectClose([await g1[k].item()], [await c1[k].item()], { atol: 1e-5, rtol: 1e-4 }, k);
    }
    const [H, N] = [4, 3];
    const r = (dev: Device, seed: number) => ({ deter: on(dev, vals(H * N * D, seed, 1), [H, N, D]), priorLogits: on(dev, vals(H * N * V * C, seed + 1), [H, N, V, C]) });
    const ci = imaginedLoss(r(cpu, 5), r(cpu, 7));
    const gi = imaginedLoss(r(g, 5), r(g, 7));
    for (const k of ['loss', 'imagH', 'imagPrior'] as const) expectClose([await gi[k].item()], [await ci[k].item()], { atol: 1e-5, rtol: 1e-4 }, k);
    const z = distilLoss(seqOn(g, T), seqOn(g, T));
    expect((await z.loss.item()) === 0).toBe(true);
  });
});
