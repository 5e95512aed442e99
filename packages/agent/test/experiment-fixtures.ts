/**
 * Run folders as `twist train`, `twist eval` and `twist twist` leave them, written directly (no training), for
 * the experiment plan and report tests: run.json, ckpt/checkpoint.json's loop counters, metrics.jsonl eval
 * rows, the runner's final evaluation file, and a pipeline's twist.json / teacher / distil / summary.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalFileOf, runDirOf } from '../src/experiment/plan.js';
import type { Experiment } from '../src/experiment/spec.js';

const json = (p: string, v: unknown) => {
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, JSON.stringify(v));
};

export interface FakeTrain {
  envFrames: number;
  wallSeconds: number;
  /** (env frames, mean) of the periodic evaluations. */
  evals?: [number, number][];
  /** Final evaluation returns (written only when given). */
  returns?: number[];
  preset?: string;
}

function fakeTrainDir(dir: string, method: string, task: string, seed: number, preset: string, t: FakeTrain, episodeLength?: number): void {
  json(join(dir, 'run.json'), { method, task, preset: t.preset ?? preset, seed, steps: t.envFrames, ...(episodeLength !== undefined ? { episodeLength } : {}) });
  json(join(dir, 'ckpt', 'checkpoint.json'), { info: { loop: { envFrames: t.envFrames, updates: Math.floor(t.envFrames / 10), wallSeconds: t.wallSeconds } } });
  const rows = (t.evals ?? []).map(([envFrames, mean]) => JSON.stringify({ kind: 'eval', envFrames, domain: 'none', mean, returns: [mean], std: 0 }));
  writeFileSync(join(dir, 'metrics.jsonl'), rows.map((r) => r + '\n').join(''));
  json(join(dir, 'summary.json'), { task, method, seed, envSteps: t.envFrames });
}

/** A training run of one of METHODS, with its final evaluation file when `returns` is given. */
export function fakeTrainRun(exp: Experiment, methodName: string, task: string, seed: number, t: FakeTrain): string {
  const m = exp.methods.find((x) => x.name === methodName)!;
  const dir = runDirOf(exp, m, task, seed);
  fakeTrainDir(dir, m.method, task, seed, exp.preset, t, exp.episodeLength);
  if (t.returns) {
    const mean = t.returns.reduce((a, b) => a + b, 0) / t.returns.length;
    json(evalFileOf(exp, dir), { run: dir, method: m.method, preset: exp.preset, task, domain: exp.eval.domain, episodes: t.returns.length, returns: t.returns, mean, references: { zero: { mean: 10 }, random: { mean: 20 } } });
  }
  return dir;
}

/** A `twist twist` pipeline folder; with `returns` its summary's deployed held-out row (the final evaluation). */
export function fakeTwistRun(
  exp: Experiment,
  methodName: string,
  task: string,
  seed: number,
  t: FakeTrain & { distilUpdates: number; distilSteps?: number; distilWall: number; deployedEvals?: [number, number][] },
): string {
  const m = exp.methods.find((x) => x.name === methodName)!;
  const dir = runDirOf(exp, m, task, seed);
  json(join(dir, 'twist.json'), { kind: 'twist', task, preset: exp.preset, seed });
  fakeTrainDir(join(dir, 'teacher'), 'oracle', task, seed, exp.preset, t, exp.episodeLength);
  const d = join(dir, 'distil');
  json(join(d, 'run.json'), { kind: 'distil', task, preset: exp.preset, seed, distil: { steps: t.distilSteps ?? t.distilUpdates } });
  json(join(d, 'ckpt', 'checkpoint.json'), { info: { loop: { updates: t.distilUpdates, wallSeconds: t.distilWall } } });
  writeFileSync(join(d, 'metrics.jsonl'), (t.deployedEvals ?? []).map(([updates, mean]) => JSON.stringify({ kind: 'eval', updates, domain: 'heldout', mean, returns: [mean] }) + '\n').join(''));
  if (t.returns) {
    const mean = t.returns.reduce((a, b) => a + b, 0) / t.returns.length;
    const row = { episodes: t.returns.length, mean, std: 0, returns: t.returns };
    json(join(dir, 'summary.json'), { task, method: 'twist', envSteps: t.envFrames, evalSeeds: t.returns.map((_, i) => exp.eval.seed + i), deployed: { heldout: row, train: row, none: row } });
  }
  return dir;
}
