/**
 * The experiment report's numbers (paper Table I and Fig. 2, and TWIST's efficiency claim):
 *  - per task and method: mean and standard deviation (ddof 0) over seeds of each run's score, a run's score
 *    being the mean return over its final evaluation episodes;
 *  - per method: IQM, mean, median and optimality gap of Oracle-normalised scores (each run's score divided by
 *    the Oracle's mean score on its task) pooled over tasks x seeds, with 95% percentile stratified bootstrap
 *    intervals (a "run" of rliable's matrix is one seed's score, not an episode);
 *  - per task and method: wall-clock until the method's evaluations first reach `threshold` x the Oracle's
 *    final score on that task.
 * Runs that are missing or unfinished are listed and counted (k/n seeds), never dropped silently.
 */
import { AGGREGATES, meanStd, oracleNormalise, stratifiedBootstrapCI, type AggregateName, type IntervalEstimate } from './stats.js';
import { collectResults, type CurvePoint, type RunResult } from './results.js';
import { TWIST_METHOD, type Experiment } from './spec.js';

export interface TableCell {
  mean: number | null;
  std: number | null;
  /** Finished seeds and seeds asked for. */
  n: number;
  of: number;
  scores: number[];
}

export type MethodAggregate = { available: true; runsPerTask: Record<string, number>; estimates: Record<AggregateName, IntervalEstimate> } | { available: false; reason: string };

export interface WallClockCell {
  /** Seeds whose evaluations reached the target, of the seeds with a run directory. */
  reached: number;
  of: number;
  perSeed: { seed: number; seconds: number | null; envFrames: number | null; state: string }[];
  meanSeconds: number | null;
  minSeconds: number | null;
  maxSeconds: number | null;
}

export interface ExperimentReport {
  experiment: Pick<Experiment, 'name' | 'file' | 'description' | 'preset' | 'steps' | 'eval' | 'seeds' | 'tasks' | 'episodeLength' | 'root'> & { methods: { name: string; method: string }[] };
  generated: string;
  scoreDefinition: string;
  runs: Omit<RunResult, 'curve' | 'deployedCurve'>[];
  unfinished: { method: string; task: string; seed: number; state: string; envFrames: number; dir: string }[];
  table: Record<string, Record<string, TableCell>>;
  /** Per task: the zero-action and uniform-random policies on the final evaluation's episodes, when a run recorded them. */
  references: Record<string, { zero: number; random: number } | null>;
  aggregate:
    | { available: true; oracle: string; oracleMean: Record<string, number>; reps: number; seed: number; size: number; methods: Record<string, MethodAggregate> }
    | { available: false; reason: string };
  wallClock:
    | { available: true; threshold: number; oracle: string; targets: Record<string, number>; note: string; cells: Record<string, Record<string, WallClockCell>> }
    | { available: false; threshold: number; reason: string };
  /** The curves behind the learning-curve plot, per run. */
  curves: { method: string; task: string; seed: number; domain: string | null; points: CurvePoint[]; deployed?: CurvePoint[] }[];
}

/** The Oracle of the experiment: the entry named 'oracle', else the first entry whose method is 'oracle'. */
export function oracleOf(exp: Experiment): string | null {
  return (exp.methods.find((m) => m.name === 'oracle' && m.method === 'oracle') ?? exp.methods.find((m) => m.method === 'oracle'))?.name ?? null;
}

const finite = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x));

/** The first point of a curve at or above the target. */
function firstReach(points: CurvePoint[], target: number): CurvePoint | null {
  return points.find((p) => p.mean >= target) ?? null;
}

export function buildReport(exp: Experiment, results: RunResult[] = collectResults(exp)): ExperimentReport {
  const of = exp.seeds.length;
  const runsOf = (m: string, t: string) => results.filter((r) => r.method === m && r.task === t);
  const table: ExperimentReport['table'] = {};
  for (const t of exp.tasks) {
    table[t] = {};
    for (const m of exp.methods) {
      const scores = finite(runsOf(m.name, t).map((r) => r.score));
      const s = meanStd(scores);
      table[t][m.name] = { mean: scores.length ? s.mean : null, std: scores.length ? s.std : null, n: scores.length, of, scores };
    }
  }

  const oracle = oracleOf(exp);
  let aggregate: ExperimentReport['aggregate'];
  let oracleMean: Record<string, number> | null = null;
  if (!oracle) aggregate = { available: false, reason: "the experiment has no 'oracle' method, so there is nothing to normalise by" };
  else {
    const missing = exp.tasks.filter((t) => table[t][oracle].n === 0);
    if (missing.length) aggregate = { available: false, reason: `no finished Oracle ('${oracle}') run on ${missing.join(', ')}: Oracle-normalised scores need one on every task` };
    else {
      oracleMean = Object.fromEntries(exp.tasks.map((t) => [t, table[t][oracle].mean!]));
      const methods: Record<string, MethodAggregate> = {};
      let error: string | null = null;
      for (const m of exp.methods) {
        const per = Object.fromEntries(exp.tasks.map((t) => [t, table[t][m.name].scores]));
        const empty = exp.tasks.filter((t) => per[t].length === 0);
        if (empty.length) {
          methods[m.name] = { available: false, reason: `no finished run on ${empty.join(', ')}` };
          continue;
        }
        let norm: Record<string, number[]>;
        try {
          norm = oracleNormalise(per, oracleMean);
        } catch (e) {
          error = (e as Error).message;
          break;
        }
        const scores = exp.tasks.map((t) => norm[t]);
        const estimates = Object.fromEntries(
          (Object.keys(AGGREGATES) as AggregateName[]).map((k) => [k, stratifiedBootstrapCI(scores, AGGREGATES[k], { reps: exp.report.reps, seed: exp.report.seed, size: 0.95 })]),
        ) as Record<AggregateName, IntervalEstimate>;
        methods[m.name] = { available: true, runsPerTask: Object.fromEntries(exp.tasks.map((t) => [t, norm[t].length])), estimates };
      }
      aggregate = error ? { available: false, reason: error } : { available: true, oracle, oracleMean, reps: exp.report.reps, seed: exp.report.seed, size: 0.95, methods };
    }
  }

  const threshold = exp.report.threshold;
  let wallClock: ExperimentReport['wallClock'];
  if (!oracle || !oracleMean) wallClock = { available: false, threshold, reason: aggregate.available ? 'no Oracle scores' : aggregate.reason };
  else if (exp.tasks.some((t) => !(oracleMean![t] > 0))) {
    wallClock = { available: false, threshold, reason: `the Oracle's final score is zero or negative on ${exp.tasks.filter((t) => !(oracleMean![t] > 0)).join(', ')}: a fraction of it is no target` };
  } else {
    const targets = Object.fromEntries(exp.tasks.map((t) => [t, threshold * oracleMean![t]]));
    const cells: Record<string, Record<string, WallClockCell>> = {};
    for (const t of exp.tasks) {
      cells[t] = {};
      for (const m of exp.methods) {
        const runs = runsOf(m.name, t).filter((r) => r.state !== 'missing');
        const perSeed = runs.map((r) => {
          const p = firstReach(m.method === TWIST_METHOD ? (r.deployedCurve ?? []) : r.curve, targets[t]);
          return { seed: r.seed, seconds: p?.wallSeconds ?? null, envFrames: p ? p.envFrames : null, state: r.state };
        });
        const secs = finite(perSeed.map((p) => p.seconds));
        cells[t][m.name] = {
          reached: secs.length,
          of: runs.length,
          perSeed,
          meanSeconds: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : null,
          minSeconds: secs.length ? Math.min(...secs) : null,
          maxSeconds: secs.length ? Math.max(...secs) : null,
        };
      }
    }
    const note =
      "Time of the first evaluation at or above the target, in each method's own evaluations while training (Oracle and Dreamer w/o DR: no randomisation; " +
      'Dreamer w/ DR and State Recon.: train-distribution DR; TWIST: the deployed student on held-out domains during distillation, after the whole teacher run). ' +
      "Wall-clock is interpolated from the checkpoints at each run's average rate. Not reached: the run's evaluations stayed below the target (or it has not got there yet).";
    wallClock = { available: true, threshold, oracle, targets, note, cells };
  }

  const ep = exp.eval;
  return {
    experiment: {
      name: exp.name,
      file: exp.file,
      description: exp.description,
      preset: exp.preset,
      steps: exp.steps,
      eval: exp.eval,
      seeds: exp.seeds,
      tasks: exp.tasks,
      ...(exp.episodeLength !== undefined ? { episodeLength: exp.episodeLength } : {}),
      root: exp.root,
      methods: exp.methods.map((m) => ({ name: m.name, method: m.method })),
    },
    generated: new Date().toISOString(),
    scoreDefinition:
      `Each run's score is the mean return over its ${ep.episodes} final evaluation episodes (actor's mode, domain '${ep.domain}', env seeds ${ep.seed}..${ep.seed + ep.episodes - 1}, the same for every method). ` +
      "In the aggregate a run is one seed's score (not an episode): rliable's matrix is seeds x tasks.",
    runs: results.map(({ curve: _c, deployedCurve: _d, ...r }) => r),
    unfinished: results.filter((r) => r.state !== 'done').map((r) => ({ method: r.method, task: r.task, seed: r.seed, state: r.state, envFrames: r.envFrames, dir: r.dir })),
    table,
    references: Object.fromEntries(exp.tasks.map((t) => [t, results.find((x) => x.task === t && x.references)?.references ?? null])),
    aggregate,
    wallClock,
    curves: results.map((r) => ({ method: r.method, task: r.task, seed: r.seed, domain: r.curveDomain, points: r.curve, ...(r.deployedCurve ? { deployed: r.deployedCurve } : {}) })),
  };
}
