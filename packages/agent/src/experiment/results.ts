/**
 * What each run of an experiment shows, read from its files: the final evaluation's per-episode returns (the
 * run's score is their mean), training wall-clock, and the learning curve of its periodic evaluations with the
 * wall-clock at each point.
 *
 * Wall-clock at an evaluation: the metrics rows carry env steps, not time, so it is interpolated from the
 * checkpoint's wall-clock at the run's rate, t(k) = wall * k / envFrames (a row's own `wallSeconds`, when a
 * future loop writes one, is used instead). For TWIST the teacher's whole training comes first (the student
 * is distilled from the finished teacher) and the distillation's wall-clock is interpolated over its updates.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMetricsLog } from '../run/run-dir.js';
import { checkpointLoop, inspectRun, type RunState } from './plan.js';
import { TWIST_METHOD, type Experiment } from './spec.js';

export interface CurvePoint {
  /** Env frames trained (TWIST's deployed student: the teacher's). */
  envFrames: number;
  mean: number;
  /** Training wall-clock at this point (see the file comment). */
  wallSeconds: number | null;
  /** TWIST: distillation updates at this point of the deployed student's curve. */
  updates?: number;
}

export interface RunResult {
  method: string;
  baseMethod: string;
  task: string;
  seed: number;
  dir: string;
  state: RunState;
  envFrames: number;
  /** Mean return over the final evaluation's episodes; null unless the run is done. */
  score: number | null;
  returns: number[] | null;
  wallSeconds: number | null;
  /** Periodic evaluations while training (the method's own training-eval domain; TWIST: the teacher on the state). */
  curve: CurvePoint[];
  curveDomain: string | null;
  /** TWIST: the deployed student's held-out evaluations during distillation. */
  deployedCurve?: CurvePoint[];
  /** Zero-action and uniform-random returns on the final evaluation's episodes (the same seeds for every method). */
  references: { zero: number; random: number } | null;
  /** Files worth keeping with the report: summary.json (TWIST: also the teacher's and the distillation's). */
  summaries: Record<string, string>;
}

const readJson = (p: string): any => {
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
};

/** The training-eval rows of a run directory up to its checkpoint, with interpolated wall-clock. */
function trainCurve(dir: string): { points: CurvePoint[]; domain: string | null; wall: number | null; envFrames: number } {
  const loop = checkpointLoop(dir);
  const frames = loop?.envFrames ?? 0;
  const wall = loop?.wallSeconds ?? null;
  const rows = readMetricsLog(join(dir, 'metrics.jsonl')).filter((r) => r.kind === 'eval' && Number.isFinite(r.mean) && r.envFrames <= frames);
  const points = rows.map((r) => ({
    envFrames: r.envFrames,
    mean: r.mean,
    wallSeconds: Number.isFinite(r.wallSeconds) ? r.wallSeconds : wall !== null && frames > 0 ? (wall * r.envFrames) / frames : null,
  }));
  return { points, domain: rows[0]?.domain ?? null, wall, envFrames: frames };
}

export function collectRun(exp: Experiment, methodName: string, task: string, seed: number): RunResult {
  const m = exp.methods.find((x) => x.name === methodName);
  if (!m) throw new Error(`collectRun: no method '${methodName}' in the experiment`);
  const info = inspectRun(exp, m, task, seed);
  const base: RunResult = {
    method: m.name,
    baseMethod: m.method,
    task,
    seed,
    dir: info.dir,
    state: info.state,
    envFrames: info.envFrames,
    score: null,
    returns: null,
    wallSeconds: info.wallSeconds,
    curve: [],
    curveDomain: null,
    references: null,
    summaries: {},
  };
  const refsOf = (x: any) => (Number.isFinite(x?.references?.zero?.mean) && Number.isFinite(x?.references?.random?.mean) ? { zero: x.references.zero.mean, random: x.references.random.mean } : null);
  const keep = (k: string, p: string) => existsSync(p) && (base.summaries[k] = p);
  if (m.method !== TWIST_METHOD) {
    const c = trainCurve(info.dir);
    base.curve = c.points;
    base.curveDomain = c.domain;
    keep('summary', join(info.dir, 'summary.json'));
    if (info.state === 'done' && info.evalFile) {
      const ev = readJson(info.evalFile);
      base.returns = ev.returns;
      base.score = ev.mean;
      base.references = refsOf(ev);
      keep('eval', info.evalFile);
    }
    return base;
  }
  const t = trainCurve(join(info.dir, 'teacher'));
  base.curve = t.points;
  base.curveDomain = t.domain;
  const dLoop = checkpointLoop(join(info.dir, 'distil'));
  const dUpdates = dLoop?.updates ?? 0;
  const dWall = dLoop?.wallSeconds ?? null;
  base.deployedCurve = readMetricsLog(join(info.dir, 'distil', 'metrics.jsonl'))
    .filter((r) => r.kind === 'eval' && Number.isFinite(r.mean) && r.updates <= dUpdates)
    .map((r) => ({
      envFrames: t.envFrames,
      updates: r.updates,
      mean: r.mean,
      wallSeconds: t.wall !== null && dWall !== null && dUpdates > 0 ? t.wall + (dWall * r.updates) / dUpdates : null,
    }));
  keep('summary', join(info.dir, 'summary.json'));
  keep('teacher', join(info.dir, 'teacher', 'summary.json'));
  keep('distil', join(info.dir, 'distil', 'summary.json'));
  if (info.state === 'done' && info.evalFile) {
    const ev = readJson(info.evalFile);
    const row = info.evalFile.endsWith('summary.json') ? ev.deployed[exp.eval.domain] : ev;
    base.returns = row.returns;
    base.score = row.mean;
    base.references = refsOf(ev);
    if (!info.evalFile.endsWith('summary.json')) keep('eval', info.evalFile);
  }
  return base;
}

/** Every run of the experiment, in the file's order of methods, tasks and seeds. */
export function collectResults(exp: Experiment): RunResult[] {
  const out: RunResult[] = [];
  for (const m of exp.methods) for (const task of exp.tasks) for (const seed of exp.seeds) out.push(collectRun(exp, m.name, task, seed));
  return out;
}
