// Shared by the loop tests: temporary run folders, the tiny oracle run they train, and the check that two runs
// ended bit for bit the same.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { loadSafetensors } from '@twist/autograd/node';
import { readMetricsLog, runPaths, type TrainOptions } from '../src/node.js';
import { cpu } from './harness.js';

/** A `tmp()` that returns a fresh run path per call; all are removed after the file's tests. */
export function tempRuns(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return join(d, 'run');
  };
}

/**
 * A tiny oracle run on the CPU backend: 40-control-step episodes (20 policy steps at action repeat 2), two
 * envs, prefill 40 policy steps, pretrain 3, one update every 5 policy steps, sequences of 8; `loop` changes
 * the evaluation and checkpoint intervals (default every 80 frames, 2 evaluation episodes).
 */
export const tinyOracle = (
  dir: string,
  steps: number,
  extra: Partial<TrainOptions> = {},
  loop: { evalEvery?: number; evalEpisodes?: number; checkpointEvery?: number } = {},
): TrainOptions => ({
  dir,
  device: cpu,
  method: 'oracle',
  task: 'cartpole-balance',
  preset: 'debug',
  seed: 5,
  steps,
  episodeLength: 40,
  overrides: {
    agent: {
      behaviour: { horizon: 4 },
      loop: { envs: 2, batch: 3, length: 8, prefill: 40, pretrain: 3, trainEvery: 5, evalEvery: 80, evalEpisodes: 2, checkpointEvery: 80, logEvery: 1, ...loop },
    },
  },
  ...extra,
});

/** The checkpoint.json of a run. */
export const checkpointJson = (dir: string) => JSON.parse(readFileSync(join(runPaths(dir).ckpt, 'checkpoint.json'), 'utf8'));

/** Two runs have the same weights (bytes) and the same metrics rows (wall-clock fields aside). */
export function expectSameRun(a: string, b: string): void {
  const weights = (dir: string) => loadSafetensors(join(runPaths(dir).ckpt, checkpointJson(dir).weights.file)).tensors;
  const wa = weights(a);
  const wb = weights(b);
  expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
  for (const [k, t] of wa) expect(Buffer.from(wb.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ wallSeconds: _w, ...r }) => r);
  expect(strip(readMetricsLog(runPaths(b).metrics))).toEqual(strip(readMetricsLog(runPaths(a).metrics)));
}
