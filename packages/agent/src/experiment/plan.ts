/**
 * What an experiment still has to do: one run per (method, task, seed) in
 * `<root>/<method name>/<task>/seed<seed>`, each a normal run directory (a `twist train` run, or for 'twist' a
 * `twist twist` pipeline folder), inspected from its files, and the `twist` command lines that finish it:
 *
 *   train method: `train --method .. --out DIR` (new) or `train --resume DIR --steps N` (interrupted), then
 *                 `eval --run DIR --domain D --episodes E --seed S --out DIR/eval/experiment-....json`
 *   twist:        `twist --task .. --out DIR --teacher-steps N --episodes E --eval-seed S [--teacher-config JSON]` (continues each stage)
 *                 and, for a domain other than heldout/train/none, `eval --run DIR ...` as above
 *
 * A run is done when its training reached the budget and its final evaluation file is newer than its last
 * checkpoint (so a raised budget re-evaluates). A folder made with other settings (method, task, preset, seed,
 * episode length) is refused rather than resumed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { domainName, parseDomain } from '../visual.js';
import { ExperimentError, TWIST_METHOD, type Experiment, type MethodEntry } from './spec.js';

export type RunState = 'missing' | 'partial' | 'trained' | 'done';

export interface RunInfo {
  method: MethodEntry;
  task: string;
  seed: number;
  dir: string;
  state: RunState;
  /** Env frames trained so far (TWIST: the teacher's), from the last checkpoint. */
  envFrames: number;
  /** Training wall-clock so far (TWIST: teacher + distillation), from the checkpoints. */
  wallSeconds: number | null;
  /** The file holding the final evaluation's per-episode returns, when done. */
  evalFile: string | null;
  /** TWIST only: distillation updates done and planned. */
  distil?: { updates: number; steps: number | null; wallSeconds: number | null };
}

export interface PlannedRun extends RunInfo {
  /** `twist` command lines (without 'twist') still to run, in order; empty when done. */
  commands: string[][];
  /** Log file of the runner's child processes for this run. */
  log: string;
}

const readJson = (p: string): any => {
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
};

/** The run folder of (method, task, seed). */
export function runDirOf(exp: Experiment, method: MethodEntry, task: string, seed: number): string {
  return join(exp.root, method.name, task, `seed${seed}`);
}

/** The final evaluation file the runner writes for a training run. */
export function evalFileOf(exp: Experiment, dir: string): string {
  const d = domainName(parseDomain(exp.eval.domain)).replace(/[^a-z0-9]+/gi, '_');
  return join(dir, 'eval', `experiment-${d}-${exp.eval.episodes}ep-seed${exp.eval.seed}.json`);
}

/** Checkpoint counters of a run (train or distil): `info.loop` of ckpt/checkpoint.json, with its mtime. */
export function checkpointLoop(dir: string): { envFrames?: number; updates?: number; wallSeconds?: number; mtimeMs: number } | null {
  const p = join(dir, 'ckpt', 'checkpoint.json');
  if (!existsSync(p)) return null;
  const m = readJson(p);
  if (!m) return null;
  return { ...(m.info?.loop ?? {}), mtimeMs: statSync(p).mtimeMs };
}

const isEmptyDir = (d: string) => !existsSync(d) || (statSync(d).isDirectory() && readdirSync(d).length === 0);

function refuseMismatch(exp: Experiment, dir: string, got: Record<string, unknown>, want: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(want)) {
    if (got[k] !== v) {
      throw new ExperimentError(`${dir} was made with ${k} ${show(got[k])}, but ${exp.file || 'the experiment'} asks for ${show(v)}; move the folder away or set another "root"`);
    }
  }
}
const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

/** A training run (one of METHODS): its state from run.json, the checkpoint and the evaluation file. */
function inspectTrainRun(exp: Experiment, method: MethodEntry, task: string, seed: number, dir: string): RunInfo {
  const base: RunInfo = { method, task, seed, dir, state: 'missing', envFrames: 0, wallSeconds: null, evalFile: null };
  const config = existsSync(join(dir, 'run.json')) ? readJson(join(dir, 'run.json')) : null;
  if (!config) {
    if (!isEmptyDir(dir)) throw new ExperimentError(`${dir} exists, is not empty and is not a run directory (no readable run.json); move it away`);
    return base;
  }
  refuseMismatch(exp, dir, { method: config.method, task: config.task, preset: config.preset, seed: config.seed, episodeLength: config.episodeLength }, {
    method: method.method,
    task,
    preset: exp.preset,
    seed,
    episodeLength: exp.episodeLength,
  });
  const loop = checkpointLoop(dir);
  const envFrames = loop?.envFrames ?? 0;
  const info = { ...base, envFrames, wallSeconds: loop?.wallSeconds ?? null };
  if (!loop || envFrames < exp.steps) return { ...info, state: 'partial' };
  const ev = evalFileOf(exp, dir);
  if (existsSync(ev) && statSync(ev).mtimeMs >= loop.mtimeMs && readJson(ev)?.returns?.length === exp.eval.episodes) return { ...info, state: 'done', evalFile: ev };
  return { ...info, state: 'trained' };
}

/** The pipeline's built-in evaluation covers these domains (deployed.heldout / .train / .none of its summary). */
const PIPELINE_DOMAINS = ['heldout', 'train', 'none'];

/** A 'twist twist' pipeline folder: teacher/ and distil/ runs, summary.json once evaluated. */
function inspectTwistRun(exp: Experiment, method: MethodEntry, task: string, seed: number, dir: string): RunInfo {
  const base: RunInfo = { method, task, seed, dir, state: 'missing', envFrames: 0, wallSeconds: null, evalFile: null };
  const marker = readJson(join(dir, 'twist.json'));
  if (!marker) {
    if (!isEmptyDir(dir)) throw new ExperimentError(`${dir} exists, is not empty and is not a 'twist twist' folder (no readable twist.json); move it away`);
    return base;
  }
  refuseMismatch(exp, dir, { task: marker.task, preset: marker.preset, seed: marker.seed }, { task, preset: exp.preset, seed });
  const teacher = checkpointLoop(join(dir, 'teacher'));
  const tConfig = readJson(join(dir, 'teacher', 'run.json'));
  if (tConfig) refuseMismatch(exp, join(dir, 'teacher'), { episodeLength: tConfig.episodeLength }, { episodeLength: exp.episodeLength });
  const dLoop = checkpointLoop(join(dir, 'distil'));
  const dConfig = readJson(join(dir, 'distil', 'run.json'));
  const envFrames = teacher?.envFrames ?? 0;
  const distilInfo = { updates: dLoop?.updates ?? 0, steps: method.distilSteps ?? dConfig?.distil?.steps ?? null, wallSeconds: dLoop?.wallSeconds ?? null };
  const wall = teacher?.wallSeconds === undefined ? null : teacher.wallSeconds + (dLoop?.wallSeconds ?? 0);
  const info: RunInfo = { ...base, state: 'partial', envFrames, wallSeconds: wall, distil: distilInfo };
  const summary = readJson(join(dir, 'summary.json'));
  const dm = exp.eval.domain;
  const trained = !!teacher && envFrames >= exp.steps && !!dLoop && distilInfo.steps !== null && distilInfo.updates >= distilInfo.steps;
  if (!trained) return info;
  // The summary's evaluation must be of the current distillation checkpoint, on the experiment's episodes and seeds.
  const fresh = summary && statSync(join(dir, 'summary.json')).mtimeMs >= dLoop!.mtimeMs && summary.evalSeeds?.[0] === exp.eval.seed;
  if (PIPELINE_DOMAINS.includes(dm)) {
    if (fresh && summary.deployed?.[dm]?.returns?.length === exp.eval.episodes) return { ...info, state: 'done', evalFile: join(dir, 'summary.json') };
    return info;
  }
  if (!fresh || summary.deployed?.heldout?.returns?.length !== exp.eval.episodes) return info;
  const ev = evalFileOf(exp, dir);
  if (existsSync(ev) && statSync(ev).mtimeMs >= dLoop!.mtimeMs) return { ...info, state: 'done', evalFile: ev };
  return { ...info, state: 'trained' };
}

/** Inspects one run folder. */
export function inspectRun(exp: Experiment, method: MethodEntry, task: string, seed: number): RunInfo {
  const dir = runDirOf(exp, method, task, seed);
  return method.method === TWIST_METHOD ? inspectTwistRun(exp, method, task, seed, dir) : inspectTrainRun(exp, method, task, seed, dir);
}

/** The command lines that finish a run from its state. `backend` is passed to every command. */
export function commandsFor(exp: Experiment, r: RunInfo, backend = 'auto'): string[][] {
  if (r.state === 'done') return [];
  const len = exp.episodeLength !== undefined ? ['--episode-length', String(exp.episodeLength)] : [];
  const be = ['--backend', backend];
  const evalCmd = ['eval', '--run', r.dir, '--domain', exp.eval.domain, '--episodes', String(exp.eval.episodes), '--seed', String(exp.eval.seed), '--out', evalFileOf(exp, r.dir), ...len, ...be];
  const m = r.method;
  if (m.method === TWIST_METHOD) {
    const a = m.ablations ?? {};
    const pipeline = [
      'twist', '--task', r.task, '--preset', exp.preset, '--seed', String(r.seed), '--out', r.dir,
      '--teacher-steps', String(exp.steps), '--episodes', String(exp.eval.episodes), '--eval-seed', String(exp.eval.seed),
      ...(m.distilSteps !== undefined ? ['--distil-steps', String(m.distilSteps)] : []),
      ...(m.config ? ['--teacher-config', JSON.stringify(m.config)] : []),
      ...(a.noImagined ? ['--no-imagined'] : []), ...(a.noH ? ['--no-h'] : []), ...(a.noPost ? ['--no-post'] : []),
      ...len, ...be,
    ];
    const extraEval = !PIPELINE_DOMAINS.includes(exp.eval.domain);
    if (r.state === 'trained') return [evalCmd];
    return extraEval ? [pipeline, evalCmd] : [pipeline];
  }
  if (r.state === 'trained') return [evalCmd];
  const trainCmd =
    r.state === 'missing'
      ? [
          'train', '--method', m.method, '--task', r.task, '--preset', exp.preset, '--seed', String(r.seed), '--steps', String(exp.steps), '--out', r.dir,
          ...len, ...(m.config ? ['--config', JSON.stringify(m.config)] : []), ...be,
        ]
      : ['train', '--resume', r.dir, '--steps', String(exp.steps), ...be];
  return [trainCmd, evalCmd];
}

/**
 * Every run of the experiment with what is left to do. Order: seed-major (all methods and tasks of the first
 * seed before the second), so an interrupted experiment has complete seeds to report; within a seed, tasks and
 * methods in the file's order.
 */
export function planExperiment(exp: Experiment, backend = 'auto'): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (const seed of exp.seeds) {
    for (const task of exp.tasks) {
      for (const m of exp.methods) {
        const r = inspectRun(exp, m, task, seed);
        out.push({ ...r, commands: commandsFor(exp, r, backend), log: join(exp.root, 'logs', `${m.name}-${task}-seed${seed}.log`) });
      }
    }
  }
  return out;
}
