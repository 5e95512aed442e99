/**
 * rliable's aggregate statistics (Agarwal et al. 2021, google-research/rliable @3ccd9f4) over a scores
 * structure `scores[task][run]`: one array of run scores per task. rliable takes a (runs x tasks) matrix; a
 * task with fewer finished runs than the others is allowed here (a ragged matrix), and with equal counts every
 * function below is rliable's.
 *
 *   IQM        scipy.stats.trim_mean(x, 0.25) of the pooled scores: sort, drop floor(0.25 n) from each end, mean
 *   mean, median, optimality gap (mean of max(gamma - x, 0), gamma = 1)
 *   CI         95% percentile stratified bootstrap: each resample draws, for every task independently, that
 *              task's runs with replacement (tasks fixed); the interval is the 2.5th and 97.5th percentiles
 *              (numpy's linear interpolation) of the statistic over the resamples (50,000 by default).
 *
 * rliable draws from numpy's global RNG; here the bootstrap takes a seed (SplitMix32), so a report is
 * reproducible bit for bit.
 */
import { SplitMix } from '../rng.js';

export type Scores = readonly (readonly number[])[];
export type Aggregate = (pooled: Float64Array) => number;

function pool(scores: Scores, op: string): Float64Array {
  if (!Array.isArray(scores) || scores.length === 0) throw new Error(`${op}: scores must be a non-empty array of tasks, got ${JSON.stringify(scores)}`);
  const n = scores.reduce((a, t, i) => {
    if (!Array.isArray(t) || t.length === 0) throw new Error(`${op}: scores[${i}] must be a non-empty array of run scores, got ${JSON.stringify(t)}`);
    return a + t.length;
  }, 0);
  const out = new Float64Array(n);
  let k = 0;
  scores.forEach((t, i) =>
    t.forEach((v: number, j: number) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: scores[${i}][${j}] must be a finite number, got ${v}`);
      out[k++] = v;
    }),
  );
  return out;
}

/** scipy.stats.trim_mean(x, proportion): sorts a copy, cuts floor(proportion * n) values from each end. */
export function trimMean(x: ArrayLike<number>, proportion: number): number {
  if (!(proportion >= 0 && proportion < 0.5)) throw new Error(`trimMean: proportion must be in [0, 0.5), got ${proportion}`);
  const n = x.length;
  if (n === 0) throw new Error('trimMean: no values');
  const s = Float64Array.from(x).sort();
  const lo = Math.floor(proportion * n);
  let sum = 0;
  for (let i = lo; i < n - lo; i++) sum += s[i];
  return sum / (n - 2 * lo);
}

export const iqmOf: Aggregate = (x) => trimMean(x, 0.25);
export const meanOf: Aggregate = (x) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
};
export const medianOf: Aggregate = (x) => percentile(Float64Array.from(x).sort(), 50);
/** rliable's optimality gap: how far the pooled normalised scores fall short of gamma (1: the Oracle), on average. */
export const optimalityGapOf: Aggregate = (x) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.max(1 - x[i], 0);
  return s / x.length;
};

/** The aggregates the report shows, by name. */
export const AGGREGATES = { iqm: iqmOf, mean: meanOf, median: medianOf, optimalityGap: optimalityGapOf } as const;
export type AggregateName = keyof typeof AGGREGATES;

/** IQM of the pooled (runs x tasks) scores (rliable's `aggregate_iqm`). */
export function iqm(scores: Scores): number {
  return iqmOf(pool(scores, 'iqm'));
}

/** numpy.percentile(sorted, q) with linear interpolation; `sorted` ascending. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q must be in [0, 100], got ${q}`);
  const h = (q / 100) * (n - 1);
  const i = Math.floor(h);
  return i + 1 < n ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

export interface BootstrapOptions {
  /** Resamples (rliable: 50,000). */
  reps?: number;
  /** Interval size (rliable: 0.95). */
  size?: number;
  seed?: number;
}

export interface IntervalEstimate {
  point: number;
  lo: number;
  hi: number;
  reps: number;
  size: number;
  seed: number;
}

/**
 * The statistic on the scores and its percentile stratified-bootstrap interval. Resample b draws, for each
 * task t with n_t runs, n_t indices uniformly from 0..n_t-1 (floor(u n_t), u from SplitMix32) - rliable's
 * `StratifiedBootstrap` with `task_bootstrap=False` - and evaluates the statistic on the pooled draw.
 */
export function stratifiedBootstrapCI(scores: Scores, stat: Aggregate = iqmOf, opts: BootstrapOptions = {}): IntervalEstimate {
  const reps = opts.reps ?? 50_000;
  const size = opts.size ?? 0.95;
  const seed = opts.seed ?? 0;
  if (!(Number.isInteger(reps) && reps >= 1)) throw new Error(`stratifiedBootstrapCI: reps must be a positive integer, got ${reps}`);
  if (!(size > 0 && size < 1)) throw new Error(`stratifiedBootstrapCI: size must be in (0, 1), got ${size}`);
  const pooled = pool(scores, 'stratifiedBootstrapCI');
  const rng = new SplitMix(seed);
  const draw = new Float64Array(pooled.length);
  const out = new Float64Array(reps);
  for (let b = 0; b < reps; b++) {
    let k = 0;
    for (const t of scores) {
      const n = t.length;
      for (let j = 0; j < n; j++) draw[k++] = t[Math.floor(rng.next() * n)];
    }
    out[b] = stat(draw);
  }
  out.sort();
  const tail = (100 * (1 - size)) / 2;
  return { point: stat(pooled), lo: percentile(out, tail), hi: percentile(out, 100 - tail), reps, size, seed };
}

function checkPairs(op: string, a: readonly number[], b: readonly number[]): void {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length || a.length === 0) {
    throw new Error(`${op}: a and b must be non-empty arrays of the same episodes' returns, got lengths ${a?.length} and ${b?.length}`);
  }
}

/**
 * The mean paired difference a - b of two policies' returns on the same episodes (the same seeds, so the same
 * initial states and visual domains) and its percentile bootstrap interval: the differences d_i = a_i - b_i
 * resampled with replacement (stratifiedBootstrapCI of one task, the mean). Pairing removes what the episodes
 * share - how hard each start and each background is - which on cartpole-balance is most of a return's spread:
 * two 30-episode means whose unpaired standard errors are ~25 each can still differ clearly here.
 */
export function pairedDifference(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): IntervalEstimate & { n: number } {
  checkPairs('pairedDifference', a, b);
  const d = a.map((x, i) => x - b[i]);
  return { ...stratifiedBootstrapCI([d], meanOf, { reps: 10_000, ...opts }), n: d.length };
}

/**
 * The ratio of two policies' mean returns on the same episodes, mean(a) / mean(b) (e.g. a student's against its
 * teacher's, the issue's "90% of the Oracle"), with a percentile bootstrap interval that resamples the episodes
 * as pairs: stratifiedBootstrapCI over the episode indices (one task), the statistic sum a_i / sum b_i of the
 * drawn indices, so that what the episodes share cancels as in pairedDifference. mean(b) must be positive.
 */
export function pairedRatio(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): IntervalEstimate & { n: number } {
  checkPairs('pairedRatio', a, b);
  for (const [name, x] of [['a', a], ['b', b]] as const) {
    const at = x.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (at >= 0) throw new Error(`pairedRatio: ${name}[${at}] must be a finite number, got ${x[at]}`);
  }
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  if (!(mb > 0)) throw new Error(`pairedRatio: mean(b) must be positive for a ratio, got ${mb}`);
  const ratio: Aggregate = (idx) => {
    let sa = 0;
    let sb = 0;
    for (const i of idx) {
      sa += a[i];
      sb += b[i];
    }
    return sa / sb;
  };
  return { ...stratifiedBootstrapCI([a.map((_, i) => i)], ratio, { reps: 10_000, ...opts }), n: a.length };
}

/**
 * Oracle-normalised scores, TWIST's normalisation: each task's scores divided by the Oracle's mean score on
 * that task. A task whose Oracle mean is zero or negative has no meaningful ratio (its sign would flip or the
 * ratio blow up), so it is refused with an error naming the task and the value; a task without an Oracle score
 * is refused too.
 */
export function oracleNormalise(scores: Record<string, readonly number[]>, oracleMean: Record<string, number>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [task, xs] of Object.entries(scores)) {
    const o = oracleMean[task];
    if (o === undefined || !Number.isFinite(o)) throw new Error(`oracleNormalise: task '${task}' has no finite Oracle mean score (got ${o}); normalised scores need a finished Oracle run on every task`);
    if (!(o > 0)) throw new Error(`oracleNormalise: the Oracle's mean score on '${task}' is ${o}; normalising by a zero or negative score is refused (the ratio would be undefined or flip sign)`);
    out[task] = xs.map((x) => x / o);
  }
  return out;
}

/** Sample mean and population standard deviation (numpy's default, ddof 0), as the per-task table shows. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: NaN, std: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}
