/** Distil tests' harness: the shared testing helpers, a tiny teacher with matched image collection, GPU teardown. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { train } from '@twist/agent/node';
import { cpu, gpuOrNull } from '@twist/kernels/testing';

export * from '@twist/kernels/testing';

export const hasGpu: boolean = (await gpuOrNull()) !== null;

const dirs: string[] = [];
/** A fresh temp folder (removed after the file's tests); returns a path inside it that does not exist yet. */
export function tmp(name = 'run'): string {
  const d = mkdtempSync(join(tmpdir(), 'twist-distil-'));
  dirs.push(d);
  return join(d, name);
}

afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const g = await gpuOrNull();
  await g?.sync();
  g?.destroy();
});

/** Control steps per episode of the test teacher (50 policy steps at cartpole's action repeat 2). */
export const EPISODE_LENGTH = 100;

/**
 * A teacher trained briefly on the CPU backend at the debug preset: Oracle on cartpole-balance with matched
 * image collection (32x32, train-distribution DR every step), 100-control-step episodes, two envs, 1200
 * frames (12 episodes of 51 records in the replay), about 100 world-model and actor-critic updates.
 */
export async function trainTinyTeacher(dir: string, steps = 1200): Promise<string> {
  await train({
    dir,
    device: cpu,
    method: 'oracle',
    task: 'cartpole-balance',
    preset: 'debug',
    seed: 3,
    steps,
    episodeLength: EPISODE_LENGTH,
    collectImages: true,
    overrides: {
      agent: {
        behaviour: { horizon: 5 },
        loop: { envs: 2, batch: 4, length: 16, prefill: 100, pretrain: 5, trainEvery: 5, evalEvery: 1_000_000, evalEpisodes: 1, checkpointEvery: 1_000_000, logEvery: 50 },
      },
    },
  });
  return dir;
}
