import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { tensor, type Device, type RngKey } from '@twist/kernels';
import { OneHotDist, TruncNormalDist, type ActionDist } from '../src/dists/index.js';
import { cpu, expectClose, gpuOrNull, hasGpu, randomArray } from './harness.js';

const ln = Math.log;
const f32 = Math.fround;
const c = (d: Device, data: ArrayLike<number>, shape: number[]) => A.constant(tensor(d, Float32Array.from(data), shape));
const read = async (v: A.Var) => (await v.toArray()) as Float32Array;

// ---- f64 references, independent of the implementation under test --------------------------------------------------

/** erfc in f64: the all-positive series of erf for z < 3, the continued fraction beyond (|error| < 1e-13). */
function erfc64(z: number): number {
  if (z < 0) return 2 - erfc64(-z);
  if (z < 3) {
    // erf(z) = 2/sqrt(pi) exp(-z^2) sum_n 2^n z^(2n+1) / (1 3 5 ... (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
  }
  // erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...)))))
  let t = 0;
  for (let k = 80; k >= 1; k--) t = k / 2 / (z + t);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + t);
}
const Phi = (x: number) => 0.5 * erfc64(-x / Math.SQRT2);
const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** TN(mean, std; lo, hi) in f64: CDF, mean, variance, entropy. */
function truncNormal64(mean: number, std: number, lo = -1, hi = 1) {
  const a = (lo - mean) / std;
  const b = (hi - mean) / std;
  const Z = Phi(b) - Phi(a);
  const d1 = (phi(a) - phi(b)) / Z;
  const d2 = (a * phi(a) - b * phi(b)) / Z;
  return {
    cdf: (x: number) => Math.min(1, Math.max(0, (Phi((x - mean) / std) - Phi(a)) / Z)),
    mean: mean + std * d1,
    variance: std * std * (1 + d2 - d1 * d1),
    entropy: Math.log(Math.sqrt(2 * Math.PI * Math.E) * std * Z) + d2 / 2,
  };
}

/** Column k of an [n, A] array. */
const column = (v: Float32Array, A: number, k: number) => Float64Array.from({ length: v.length / A }, (_, i) => v[i * A + k]);
const meanOf = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
};

const devices = async (): Promise<Device[]> => {
  const g = hasGpu ? await gpuOrNull() : null;
  return g ? [cpu, g] : [cpu];
};

// DreamerV2-like action parameters, one per column: a typical one, a mean near the bound with the minimum std
// (alpha = -19.5, beta = 0.5: heavily truncated), and the maximum std (nearly uniform on [-1, 1]).
const COLUMNS: [number, number][] = [
  [0.3, 0.5],
  [0.95, 0.1],
  [-0.2, 2.1],
];

describe('TruncNormalDist', () => {
  it('fromActorOutput: mean = tanh(m), std = 2 sigmoid(s/2) + 0.1 (and the minStd/maxStd options)', async () => {
    const out = [0.5, -2, 3, 0.7, -40, 1e3].map(f32);
    const d = TruncNormalDist.fromActorOutput(c(cpu, out, [1, 6]));
    expect(d.shape).toEqual([1, 3]);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    expectClose(await read(d.mean), [0.5, -2, 3].map(Math.tanh), { atol: 1e-6, rtol: 1e-6 }, 'mean');
    expectClose(await read(d.std), [0.7, -40, 1e3].map((s) => 2 * sig(s / 2) + 0.1), { atol: 1e-6, rtol: 1e-6 }, 'std');
    const e = TruncNormalDist.fromActorOutput(c(cpu, out, [1, 6]), { minStd: 0.2, maxStd: 1 });
    expectClose(await read(e.std), [0.7, -40, 1e3].map((s) => 0.8 * sig(s / 2) + 0.2), { atol: 1e-6, rtol: 1e-6 }, 'std (options)');
  });

  it('rowsUsed: one Philox element per action dimension; the same key gives the same sample, another offset another', async () => {
    expect(TruncNormalDist.rowsUsed([800, 6])).toBe(4800);
    const d = new TruncNormalDist(c(cpu, new Float32Array(2 * 3), [2, 3]), c(cpu, new Float32Array(6).fill(0.5), [2, 3]));
    expect(d.rowsUsed).toBe(6);
    const key: RngKey = { seed: 7, offset: 3 };
    const a = await read(d.sample(key));
    expect(await read(d.sample({ seed: 7, offset: 3 }))).toEqual(a);
    const b = await read(d.sample({ seed: 7, offset: 4 }));
    expect(b.filter((v, i) => v === a[i]).length).toBe(0);
  });

  it('mode is the mean clamped to [lo, hi]; samples stay within +-(1 - 1e-6)', async () => {
    const d = new TruncNormalDist(c(cpu, [0.3, -0.999, 1.5, -3], [1, 4]), c(cpu, [0.5, 0.1, 0.1, 1], [1, 4]));
    expect(Array.from(await read(d.mode()))).toEqual([0.3, -0.999, 1, -1].map(f32));
    const n = 4096;
    const e = new TruncNormalDist(c(cpu, new Float32Array(n).fill(f32(0.999999)), [n, 1]), c(cpu, new Float32Array(n).fill(f32(0.1)), [n, 1]));
    const x = await read(e.sample({ seed: 1 }));
    const edge = f32(1 - f32(1e-6));
    expect(Math.max(...x)).toBeLessThanOrEqual(edge);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-edge);
    expect(x.filter((v) => v === edge).length).toBeGreaterThan(0); // the clip does bind for a mean at the bound
  });

  it('logProb and entropy sum over the last axis ([N, A] -> [N]) and match f64 values', async () => {
    const [m, s] = [COLUMNS.map((p) => p[0]), COLUMNS.map((p) => p[1])];
    const d = new TruncNormalDist(c(cpu, m, [1, 3]), c(cpu, s, [1, 3]));
    const x = [0.1, 0.9, -0.99];
    const lp = await read(d.logProb(c(cpu, x, [1, 3])));
    const h = await read(d.entropy());
    expect(d.entropy().shape).toEqual([1]);
    let wantLp = 0;
    let wantH = 0;
    COLUMNS.forEach(([mu, sd], k) => {
      const t = truncNormal64(f32(mu), f32(sd));
      const xk = f32(x[k]);
      wantLp += Math.log(phi((xk - f32(mu)) / f32(sd)) / f32(sd)) - Math.log(Phi((1 - f32(mu)) / f32(sd)) - Phi((-1 - f32(mu)) / f32(sd)));
      wantH += t.entropy;
    });
    expectClose(lp, [wantLp], { atol: 2e-6, rtol: 1e-6 }, 'log p');
    expectClose(h, [wantH], { atol: 2e-6, rtol: 1e-6 }, 'entropy');
  });

  // Finite differences on the CPU backend (autograd's gradcheck: central differences of f32 forwards, projected in
  // f64). Means inside (-0.8, 0.8) and stds in (0.2, 1.5) keep every sample away from the clip at +-(1 - 1e-6).
  it('gradcheck: the reparameterised sample w.r.t. mean and std', async () => {
    const key = { seed: 11, offset: 2 };
    const means = randomArray(12, 1, -0.8, 0.8);
    const stds = randomArray(12, 2, 0.2, 1.5);
    const x = await read(new TruncNormalDist(c(cpu, means, [3, 4]), c(cpu, stds, [3, 4])).sample(key));
    expect(Math.max(...x.map(Math.abs))).toBeLessThan(0.999); // away from the clip
    const r = await A.gradcheck((m, s) => new TruncNormalDist(m, s).sample(key), [
      { data: means, shape: [3, 4] },
      { data: stds, shape: [3, 4] },
    ], { device: cpu });
    expect(r.checked).toBe(24);
    // Through the actor head (tanh and sigmoid included).
    await A.gradcheck((out) => TruncNormalDist.fromActorOutput(out).sample(key), [{ data: randomArray(24, 3, -1.5, 1.5), shape: [3, 8] }], { device: cpu });
  });

  it('gradcheck: logProb and entropy w.r.t. mean and std (DreamerV2 range and the edge of it)', async () => {
    const xs = c(cpu, randomArray(12, 4, -0.95, 0.95), [3, 4]);
    const inputs = (mLo: number, mHi: number, sLo: number, sHi: number, seed: number) => [
      { data: randomArray(12, seed, mLo, mHi), shape: [3, 4] },
      { data: randomArray(12, seed + 1, sLo, sHi), shape: [3, 4] },
    ];
    await A.gradcheck((m, s) => new TruncNormalDist(m, s).logProb(xs), inputs(-0.9, 0.9, 0.3, 1.5, 5), { device: cpu });
    await A.gradcheck((m, s) => new TruncNormalDist(m, s).entropy(), inputs(-0.9, 0.9, 0.3, 2.1, 7), { device: cpu });
    // Means near the bounds with the smallest stds (alpha or beta near +-20): a finer step, as std is only 0.1.
    const edge = inputs(0.97, 0.995, 0.1, 0.15, 9);
    edge[0].data = edge[0].data.map((v, i) => (i % 2 ? -v : v));
    await A.gradcheck((m, s) => new TruncNormalDist(m, s).entropy(), edge, { device: cpu, eps: 1e-3 });
    await A.gradcheck((m, s) => new TruncNormalDist(m, s).logProb(c(cpu, edge[0].data.map((v) => f32(v - Math.sign(v) * 0.05)), [3, 4])), edge, {
      device: cpu,
      eps: 1e-3,
    });
    // Through the actor head.
    const out = [{ data: randomArray(24, 13, -1.5, 1.5), shape: [3, 8] }];
    await A.gradcheck((o) => TruncNormalDist.fromActorOutput(o).logProb(xs), out, { device: cpu });
    await A.gradcheck((o) => TruncNormalDist.fromActorOutput(o).entropy(), out, { device: cpu });
  });

  /**
   * Statistics of 20000 samples per column (fixed seed, so the outcome is deterministic), on each backend:
   * - Kolmogorov-Smirnov: sup |F_n - F| against the analytic truncated CDF; the critical value at p = 0.001 is
   *   1.9495 / sqrt(n) = 0.0138 (asymptotic Kolmogorov distribution).
   * - Sample mean and variance against the analytic truncated moments, within 4.9 standard errors (p = 1e-6 each;
   *   the variance's standard error from the sample's fourth central moment).
   * - The entropy against the Monte-Carlo estimate -mean(log p(x_i)), within 4.9 standard errors.
   * A wrong sampler (e.g. an untruncated normal clipped to [-1, 1], or a wrong std) fails all three by far.
   */
  it('samples follow the truncated normal: KS, moments, entropy vs Monte Carlo', async () => {
    const n = 20000;
    const Acols = COLUMNS.length;
    for (const d of await devices()) {
      const m = new Float32Array(n * Acols);
      const s = new Float32Array(n * Acols);
      for (let i = 0; i < n; i++) COLUMNS.forEach(([mu, sd], k) => ((m[i * Acols + k] = mu), (s[i * Acols + k] = sd)));
      const dist = new TruncNormalDist(c(d, m, [n, Acols]), c(d, s, [n, Acols]));
      const xv = dist.sample({ seed: 2024, offset: 9 });
      const x = await read(xv);
      const lp = await read(dist.logProb(A.constant(xv.value)));
      const h = (await read(dist.entropy()))[0];
      let hWant = 0;
      COLUMNS.forEach(([mu, sd], k) => {
        const t = truncNormal64(f32(mu), f32(sd));
        hWant += t.entropy;
        const xs = column(x, Acols, k).sort();
        let D = 0;
        for (let i = 0; i < n; i++) {
          const F = t.cdf(xs[i]);
          D = Math.max(D, (i + 1) / n - F, F - i / n);
        }
        const what = `${d.backend} column ${k} (mean ${mu}, std ${sd})`;
        expect(D, `${what}: KS statistic`).toBeLessThan(1.9495 / Math.sqrt(n));
        const mean = meanOf(xs);
        const m2 = meanOf(xs.map((v) => (v - mean) ** 2));
        const m4 = meanOf(xs.map((v) => (v - mean) ** 4));
        expect(Math.abs(mean - t.mean), `${what}: mean ${mean} vs ${t.mean}`).toBeLessThan(4.9 * Math.sqrt(t.variance / n));
        expect(Math.abs(m2 - t.variance), `${what}: variance ${m2} vs ${t.variance}`).toBeLessThan(4.9 * Math.sqrt((m4 - m2 * m2) / n));
      });
      expect(Math.abs(h - hWant), `${d.backend}: entropy ${h} vs f64 ${hWant}`).toBeLessThan(1e-5);
      const mcH = -meanOf(lp);
      const sdLp = Math.sqrt(meanOf(Array.from(lp, (v) => (v + mcH) ** 2)));
      expect(Math.abs(h - mcH), `${d.backend}: entropy ${h} vs Monte Carlo ${mcH}`).toBeLessThan(4.9 * (sdLp / Math.sqrt(n)));
    }
  });

  it('rejects bad input naming the thing, the expected and the actual', () => {
    const a = c(cpu, new Float32Array(6), [2, 3]);
    const b = c(cpu, new Float32Array(6), [3, 2]);
    expect(() => new TruncNormalDist(a, b)).toThrow(/TruncNormalDist: std must have shape \[2,3\] \(that of mean\), got \[3,2\]/);
    expect(() => new TruncNormalDist(c(cpu, [1], [1]).value as unknown as A.Var, a)).toThrow(/TruncNormalDist: mean must be a Var/);
    expect(() => new TruncNormalDist(A.reshape(c(cpu, [1], [1]), []), A.reshape(c(cpu, [1], [1]), []))).toThrow(/TruncNormalDist: mean must have shape \[\.\.\., A\] with A >= 1, got \[\]/);
    expect(() => new TruncNormalDist(a, a, 1, -1)).toThrow(/TruncNormalDist: bounds must be finite with lo < hi, got lo=1, hi=-1/);
    expect(() => TruncNormalDist.fromActorOutput(a)).toThrow(/TruncNormalDist.fromActorOutput: out must have shape \[\.\.\., 2A\] .*got \[2,3\] with an odd last axis/);
    expect(() => TruncNormalDist.fromActorOutput(b, { minStd: 0.5, maxStd: 0.5 })).toThrow(/0 < minStd < maxStd, got minStd=0.5, maxStd=0.5/);
    expect(() => new TruncNormalDist(a, a).logProb(b)).toThrow(/TruncNormalDist.logProb: x must have shape \[2,3\] \(that of mean\), got \[3,2\]/);
    expect(() => new OneHotDist(A.reshape(c(cpu, [1], [1]), []))).toThrow(/OneHotDist: logits must have shape \[\.\.\., A\] with A >= 1, got \[\]/);
    expect(() => new OneHotDist(a).logProb(b)).toThrow(/OneHotDist.logProb: x must have shape \[2,3\] \(that of logits\), got \[3,2\]/);
  });
});

describe('OneHotDist', () => {
  it('logProb and entropy match hand-computed values; mode is the first arg max', async () => {
    // p = [1/6, 2/6, 3/6] and p = [1/2, 1/2, 0+]
    const logits = c(cpu, [0, ln(2), ln(3), 0, 0, -60], [2, 3]);
    const d = new OneHotDist(logits);
    const lp = await read(d.logProb(c(cpu, [0, 0, 1, 0, 1, 0], [2, 3])));
    expectClose(lp, [ln(1 / 2), ln(1 / 2)], { atol: 1e-6, rtol: 1e-6 }, 'log p');
    const H0 = -(1 / 6) * ln(1 / 6) - (2 / 6) * ln(2 / 6) - (3 / 6) * ln(3 / 6);
    expectClose(await read(d.entropy()), [H0, ln(2)], { atol: 1e-6, rtol: 1e-6 }, 'entropy');
    expect(d.entropy().shape).toEqual([2]);
    const ties = new OneHotDist(c(cpu, [1, 3, 3, 0, 5, -1, 5, 5, -2, -2, -2, -2], [3, 4]));
    expect(Array.from(await read(ties.mode()))).toEqual([0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    expect(OneHotDist.rowsUsed([800, 6])).toBe(800);
    expect(new OneHotDist(c(cpu, new Float32Array(12), [2, 2, 3])).rowsUsed).toBe(4);
  });

  it('logProb and entropy gradients (gradcheck), and the sample is straight-through (gradient of the probabilities)', async () => {
    const onehot = c(cpu, [0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0], [3, 4]);
    const input = [{ data: randomArray(12, 21, -2, 2), shape: [3, 4] }];
    await A.gradcheck((l) => new OneHotDist(l).logProb(onehot), input, { device: cpu });
    await A.gradcheck((l) => new OneHotDist(l).entropy(), input, { device: cpu });
    const l1 = A.variable(tensor(cpu, input[0].data.slice(), [3, 4]));
    const r = c(cpu, randomArray(12, 22), [3, 4]);
    const sample = new OneHotDist(l1).sample({ seed: 5 });
    const rows = await read(sample);
    for (let i = 0; i < 3; i++) expect(rows.slice(4 * i, 4 * i + 4).reduce((a, b) => a + b, 0)).toBe(1);
    const [gST] = A.grad(A.sum(A.mul(sample, r)), [l1]);
    const l2 = A.variable(tensor(cpu, input[0].data.slice(), [3, 4]));
    const [gP] = A.grad(A.sum(A.mul(A.softmax(l2), r)), [l2]);
    expectClose((await gST.toArray()) as Float32Array, (await gP.toArray()) as Float32Array, { atol: 1e-6, rtol: 1e-5 }, 'straight-through gradient');
  });

  /** Chi-square goodness of fit of 40000 samples to the probabilities; df = 5, critical value 20.515 at p = 0.001. */
  it('sample frequencies match the probabilities (chi-square, p = 0.001)', async () => {
    const probs = [0.4, 0.25, 0.15, 0.1, 0.07, 0.03];
    const C = probs.length;
    const n = 40000;
    for (const d of await devices()) {
      const l = new Float32Array(n * C);
      for (let i = 0; i < n; i++) l.set(probs.map(ln), i * C);
      const x = await read(new OneHotDist(c(d, l, [n, C])).sample({ seed: 99, offset: 1 }));
      const counts = new Array<number>(C).fill(0);
      for (let i = 0; i < n * C; i++) if (x[i] === 1) counts[i % C]++;
      expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
      const chi2 = probs.reduce((acc, p, k) => acc + (counts[k] - n * p) ** 2 / (n * p), 0);
      expect(chi2, `${d.backend}: chi2 ${chi2.toFixed(2)}, counts ${counts}`).toBeLessThan(20.515);
    }
  });
});

describe('ActionDist', () => {
  it('both distributions serve as an ActionDist', async () => {
    const dists: ActionDist[] = [
      TruncNormalDist.fromActorOutput(c(cpu, randomArray(8, 31), [2, 4])),
      new OneHotDist(c(cpu, randomArray(6, 32), [2, 3])),
    ];
    for (const d of dists) {
      const x = d.sample({ seed: 3 });
      expect(x.shape).toEqual(d.shape);
      expect(d.mode().shape).toEqual(d.shape);
      expect(d.logProb(A.stopGradient(x)).shape).toEqual([2]);
      expect(d.entropy().shape).toEqual([2]);
    }
  });
});
