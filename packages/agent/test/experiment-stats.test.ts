import { describe, expect, it } from 'vitest';
import { SplitMix } from '../src/rng.js';
import { iqm, iqmOf, meanOf, medianOf, meanStd, optimalityGapOf, oracleNormalise, pairedDifference, pairedRatio, percentile, stratifiedBootstrapCI, trimMean } from '../src/experiment/stats.js';

describe('rliable aggregates on a 3 runs x 2 tasks matrix, by hand', () => {
  // task A runs [0.2, 0.5, 0.9], task B runs [0.1, 0.4, 1.0]; pooled sorted: 0.1 0.2 0.4 0.5 0.9 1.0 (n = 6)
  const scores = [
    [0.2, 0.5, 0.9],
    [0.1, 0.4, 1.0],
  ];
  const pooled = Float64Array.from(scores.flat());
  it('IQM = scipy trim_mean(x, 0.25): cut floor(0.25 * 6) = 1 from each end, mean of 0.2 0.4 0.5 0.9 = 2.0 / 4 = 0.5', () => {
    expect(iqm(scores)).toBeCloseTo(0.5, 12);
    expect(iqmOf(pooled)).toBeCloseTo(0.5, 12);
  });
  it('mean 3.1 / 6, median (0.4 + 0.5) / 2, optimality gap (0.8 + 0.5 + 0.1 + 0.9 + 0.6 + 0) / 6', () => {
    expect(meanOf(pooled)).toBeCloseTo(3.1 / 6, 12);
    expect(medianOf(pooled)).toBeCloseTo(0.45, 12);
    expect(optimalityGapOf(pooled)).toBeCloseTo(2.9 / 6, 12);
  });
  it('trim_mean cuts floor(p n): n = 3 cuts nothing, n = 5 cuts one, n = 8 cuts two', () => {
    expect(trimMean([1, 2, 9], 0.25)).toBe(4);
    expect(trimMean([5, 1, 100, 2, 3], 0.25)).toBeCloseTo((2 + 3 + 5) / 3, 12);
    expect(trimMean([8, 1, 7, 2, 6, 3, 5, 4], 0.25)).toBeCloseTo((3 + 4 + 5 + 6) / 4, 12);
    expect(() => trimMean([], 0.25)).toThrow(/no values/);
  });
  it("percentile interpolates linearly as numpy's default: [1, 2, 3, 4] at 25 is 1.75, at 97.5 is 3.925", () => {
    expect(percentile([1, 2, 3, 4], 25)).toBeCloseTo(1.75, 12);
    expect(percentile([1, 2, 3, 4], 97.5)).toBeCloseTo(3.925, 12);
    expect(percentile([7], 50)).toBe(7);
  });
  it('mean and population std over seeds: [1, 3] -> 2 +- 1', () => {
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: 1 });
  });
  it('bad input names the element', () => {
    expect(() => iqm([[1, NaN]])).toThrow(/scores\[0\]\[1\] must be a finite number, got NaN/);
    expect(() => iqm([[1], []])).toThrow(/scores\[1\] must be a non-empty array/);
  });
});

describe('stratified bootstrap', () => {
  it('resamples runs within each task, tasks fixed: A = [0, 0], B = [10, 10] always pools to mean 5', () => {
    const ci = stratifiedBootstrapCI([[0, 0], [10, 10]], meanOf, { reps: 2000, seed: 3 });
    expect(ci).toMatchObject({ point: 5, lo: 5, hi: 5 });
  });

  it('A = [0, 1], B = [0, 2] (2 runs each): the mean of a resample takes 0, .25, .., 1.5 with probabilities 1 2 3 4 3 2 1 / 16', () => {
    // sum of A's draws: 0, 1, 2 w.p. 1/4, 1/2, 1/4; of B's: 0, 2, 4 w.p. 1/4, 1/2, 1/4; resample mean = (sA + sB) / 4:
    // T = sA + sB = 0: 1/16; 1: 2/16; 2: 1/16 + 2/16; 3: 4/16; 4: 2/16 + 1/16; 5: 2/16; 6: 1/16.
    const exact = [1, 2, 3, 4, 3, 2, 1].map((k) => k / 16);
    const reps = 20_000;
    const seen = new Array(7).fill(0);
    const ci = stratifiedBootstrapCI([[0, 1], [0, 2]], (x) => {
      const m = meanOf(x);
      seen[Math.round(m * 4)]++;
      return m;
    }, { reps, seed: 11 });
    // the statistic also runs once on the original data (mean 0.75)
    seen[3]--;
    for (let k = 0; k < 7; k++) {
      const sd = Math.sqrt((exact[k] * (1 - exact[k])) / reps);
      expect(Math.abs(seen[k] / reps - exact[k]), `P(T = ${k})`).toBeLessThan(4 * sd);
    }
    // 0 and 1.5 each hold 6.25% > 2.5% of the resamples: the 95% interval is exactly [0, 1.5]; the point 0.75.
    expect(ci).toMatchObject({ point: 0.75, lo: 0, hi: 1.5, reps, size: 0.95, seed: 11 });
  });

  it('is reproducible from its seed and differs between seeds', () => {
    const s = [[0.13, 0.71, 0.37, 0.93, 0.58], [0.51, 0.22, 0.86, 0.44, 0.05]];
    const draws = (seed: number) => {
      const seen: number[] = [];
      const ci = stratifiedBootstrapCI(s, (x) => (seen.push(meanOf(x)), iqmOf(x)), { reps: 500, seed });
      return { ci, seen };
    };
    expect(draws(1)).toEqual(draws(1));
    expect(draws(1).seen).not.toEqual(draws(2).seen);
  });

  /**
   * Coverage: task 1 ~ Exp(1), task 2 ~ 1 + 2 Exp(1), 15 runs each. The pooled IQM estimates the 25% trimmed
   * mean of the equal mixture, computed here numerically (quantiles by bisection, Simpson's rule). Over 200
   * repetitions the 95% interval must cover it 95% of the time within 3 binomial standard deviations
   * (+-0.046); the same check applied to 50% intervals fails, so it can fail.
   */
  it('the 95% interval covers the true IQM of a known distribution at about 95%', () => {
    const cdf = (x: number) => 0.5 * (x > 0 ? 1 - Math.exp(-x) : 0) + 0.5 * (x > 1 ? 1 - Math.exp(-(x - 1) / 2) : 0);
    const pdf = (x: number) => 0.5 * (x > 0 ? Math.exp(-x) : 0) + 0.25 * (x > 1 ? Math.exp(-(x - 1) / 2) : 0);
    const quantile = (q: number) => {
      let lo = 0;
      let hi = 100;
      for (let i = 0; i < 200; i++) {
        const m = (lo + hi) / 2;
        if (cdf(m) < q) lo = m;
        else hi = m;
      }
      return (lo + hi) / 2;
    };
    const a = quantile(0.25);
    const b = quantile(0.75);
    const N = 200_000; // Simpson's rule (the kink of the density at 1 lies inside [a, b]: integrate the two sides apart)
    const simpson = (lo: number, hi: number) => {
      const h = (hi - lo) / N;
      let s = lo * pdf(lo) + hi * pdf(hi);
      for (let i = 1; i < N; i++) s += (i % 2 ? 4 : 2) * (lo + i * h) * pdf(lo + i * h);
      return (s * h) / 3;
    };
    const trueIqm = (a < 1 && b > 1 ? simpson(a, 1) + simpson(1, b) : simpson(a, b)) / 0.5;
    expect(trueIqm).toBeGreaterThan(a);
    expect(trueIqm).toBeLessThan(b);

    const coverage = (size: number) => {
      const rng = new SplitMix(2024);
      const exp = () => -Math.log(1 - rng.next());
      let hits = 0;
      const R = 200;
      for (let rep = 0; rep < R; rep++) {
        const scores = [Array.from({ length: 15 }, exp), Array.from({ length: 15 }, () => 1 + 2 * exp())];
        const ci = stratifiedBootstrapCI(scores, iqmOf, { reps: 1000, seed: rep, size });
        if (ci.lo <= trueIqm && trueIqm <= ci.hi) hits++;
      }
      return hits / R;
    };
    const within = (c: number) => Math.abs(c - 0.95) <= 3 * Math.sqrt((0.95 * 0.05) / 200);
    const c95 = coverage(0.95);
    expect(within(c95), `coverage of the 95% interval: ${c95}`).toBe(true);
    const c50 = coverage(0.5);
    expect(within(c50), `coverage of a 50% interval: ${c50} (the check must reject it)`).toBe(false);
  });
});

describe('paired difference of two policies on the same episodes', () => {
  it('is the mean of a_i - b_i: [10, 20, 30] - [9, 18, 33] = mean(1, 2, -3) = 0; a constant shift has a zero-width interval', () => {
    expect(pairedDifference([10, 20, 30], [9, 18, 33]).point).toBeCloseTo(0, 12);
    const c = pairedDifference([105, 7, 900, 52], [100, 2, 895, 47], { reps: 500 });
    expect([c.point, c.lo, c.hi, c.n]).toEqual([5, 5, 5, 4]);
  });
  it('sees a small improvement that unpaired intervals of the two means cannot: shared episode difficulty cancels', () => {
    // 30 episodes whose difficulty spreads returns over 300..900; a is b + 20 + noise of +-10
    const rng = new SplitMix(5);
    const b = Array.from({ length: 30 }, () => 300 + 600 * rng.next());
    const a = b.map((x) => x + 20 + 20 * (rng.next() - 0.5));
    const d = pairedDifference(a, b, { seed: 1 });
    expect(d.lo).toBeGreaterThan(0);
    expect(d.point).toBeGreaterThan(15);
    expect(d.point).toBeLessThan(25);
    const ia = stratifiedBootstrapCI([a], meanOf, { reps: 2000, seed: 1 });
    const ib = stratifiedBootstrapCI([b], meanOf, { reps: 2000, seed: 2 });
    expect(ia.lo).toBeLessThan(ib.hi); // the unpaired intervals overlap
    // and it does not invent a difference: a copy of b with the noise only straddles 0
    const n = b.map((x) => x + 20 * (rng.next() - 0.5));
    const z = pairedDifference(n, b, { seed: 1 });
    expect(z.lo).toBeLessThan(0);
    expect(z.hi).toBeGreaterThan(0);
  });
  it('the ratio of means: [90, 45, 180] over [100, 50, 200] is 0.9 with a zero-width interval; mixed pairs spread it', () => {
    const c = pairedRatio([90, 45, 180], [100, 50, 200], { reps: 500 });
    expect(c.point).toBeCloseTo(0.9, 12);
    expect(c.lo).toBeCloseTo(0.9, 12);
    expect(c.hi).toBeCloseTo(0.9, 12);
    // pairs (1, 2) and (3, 2): resamples of 2 pairs give sums 2/4, 4/4, 6/4 with probabilities 1/4, 1/2, 1/4
    const m = pairedRatio([1, 3], [2, 2], { reps: 4000, seed: 3 });
    expect(m.point).toBe(1);
    expect([m.lo, m.hi]).toEqual([0.5, 1.5]);
    expect(() => pairedRatio([1], [0])).toThrow(/mean\(b\) must be positive/);
  });
  it('refuses arrays of different lengths or none, naming both lengths', () => {
    expect(() => pairedDifference([1, 2], [1])).toThrow(/same episodes' returns, got lengths 2 and 1/);
    expect(() => pairedDifference([], [])).toThrow(/non-empty/);
  });
});

describe('Oracle normalisation', () => {
  it('divides each task by the Oracle mean of that task', () => {
    expect(oracleNormalise({ a: [50, 100], b: [3] }, { a: 100, b: 6 })).toEqual({ a: [0.5, 1], b: [0.5] });
  });
  it('refuses a zero or negative Oracle mean, and a task without one', () => {
    expect(() => oracleNormalise({ a: [1] }, { a: 0 })).toThrow(/Oracle's mean score on 'a' is 0; normalising by a zero or negative score is refused/);
    expect(() => oracleNormalise({ a: [1] }, { a: -3 })).toThrow(/is -3/);
    expect(() => oracleNormalise({ a: [1] }, {})).toThrow(/task 'a' has no finite Oracle mean/);
  });
});
