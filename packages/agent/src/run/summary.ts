import { cpus, totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@twist/autograd/node';
import type { RunConfig } from '../methods.js';
import { readMetricsLog, readRunConfig, runPaths } from './run-dir.js';

/** What the run shows so far, as the experiments and the issues' evidence ask for it. */
export interface RunSummary {
  task: string;
  method: string;
  preset: string;
  seed: number;
  envSteps: number;
  updates: number;
  wallSeconds: number | null;
  machine: { cpu: string; cores: number; memoryGiB: number; adapter: string | null; node: string };
  evalDomain: string | null;
  /** Per-episode returns of the last evaluation (the actor's mode). */
  evalReturns: number[];
  evalMean: number | null;
  /** Every evaluation: env steps and mean return. */
  evalHistory: { envSteps: number; mean: number }[];
  references: { zero: number; random: number } | null;
  command: string | null;
}

/**
 * Builds the summary of a run directory from its files (run.json, metrics.jsonl, the checkpoint's counters)
 * and writes it to summary.json. `adapter` names the device; `command` the exact command line.
 */
export function writeRunSummary(dir: string, opts: { adapter?: string | null; command?: string | null; wallSeconds?: number | null } = {}): RunSummary {
  const paths = runPaths(dir);
  const config = readRunConfig<RunConfig>(dir);
  const rows = readMetricsLog(paths.metrics);
  const evals = rows.filter((r) => r.kind === 'eval');
  const trains = rows.filter((r) => r.kind === 'train');
  const episodes = rows.filter((r) => r.kind === 'episode');
  const last = evals.at(-1);
  let ckptWall: number | null = null;
  const manifest = join(paths.ckpt, 'checkpoint.json');
  if (existsSync(manifest)) {
    try {
      ckptWall = JSON.parse(readFileSync(manifest, 'utf8')).info?.loop?.wallSeconds ?? null;
    } catch {
      ckptWall = null;
    }
  }
  const previous = existsSync(paths.summary) ? (JSON.parse(readFileSync(paths.summary, 'utf8')) as Partial<RunSummary>) : {};
  const refs = evals.find((r) => r.references)?.references;
  const summary: RunSummary = {
    task: config.task,
    method: config.method,
    preset: config.preset,
    seed: config.seed,
    envSteps: Math.max(episodes.at(-1)?.envFrames ?? 0, trains.at(-1)?.envFrames ?? 0),
    updates: trains.at(-1)?.updates ?? 0,
    wallSeconds: opts.wallSeconds ?? ckptWall,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      adapter: opts.adapter ?? previous.machine?.adapter ?? null,
      node: process.version,
    },
    evalDomain: last?.domain ?? null,
    evalReturns: last?.returns ?? [],
    evalMean: last?.mean ?? null,
    evalHistory: evals.map((r) => ({ envSteps: r.envFrames, mean: r.mean })),
    references: refs ? { zero: refs.zero.mean, random: refs.random.mean } : null,
    command: opts.command ?? previous.command ?? null,
  };
  writeFileAtomic(paths.summary, JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
