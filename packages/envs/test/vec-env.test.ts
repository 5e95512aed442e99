/**
 * VecEnv: N envs stepped together give exactly what N single envs give with the same seeds, in-process
 * (workers: 0) and in worker threads (comlink; from TypeScript source the worker registers tsx).
 */
import { Worker } from 'node:worker_threads';
import { wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { afterAll, describe, expect, test } from 'vitest';
import type { Scene } from '../src/scene.js';
import { makeEnv } from '../src/tasks/env.js';
import { VecEnv, workerExecArgv, workerUrls, type BatchObs } from '../src/vec/vec-env.js';

const N = 3;
const SEEDS = [11, 22, 33];
const STEPS = 25;

function actions(t: number, n: number, a: number): Float32Array {
  const out = new Float32Array(n * a);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin(0.3 * t + 0.7 * i);
  return out;
}

/** The reference: N single envs. */
async function singles(task: string): Promise<{ states: Float32Array[][]; rewards: number[][]; done: boolean[][] }> {
  const envs = await Promise.all(SEEDS.map(() => makeEnv(task)));
  const A = envs[0].actionSize;
  const states = [envs.map((e, i) => e.reset(SEEDS[i]).state)];
  const rewards: number[][] = [];
  const done: boolean[][] = [];
  for (let t = 0; t < STEPS; t++) {
    const acts = actions(t, N, A);
    const obs = envs.map((e, i) => e.step(acts.subarray(i * A, (i + 1) * A)));
    states.push(obs.map((o) => o.state));
    rewards.push(obs.map((o) => o.reward));
    done.push(obs.map((o) => o.done));
  }
  envs.forEach((e) => e.close());
  return { states, rewards, done };
}

function rows(b: BatchObs, S: number): Float32Array[] {
  return Array.from({ length: b.reward.length }, (_, i) => b.state.slice(i * S, (i + 1) * S));
}

async function vecRun(task: string, workers: number) {
  const vec = await VecEnv.create(task, { num: N, workers });
  const S = vec.stateSize;
  const A = vec.actionSize;
  const states = [rows(await vec.reset(SEEDS), S)];
  const rewards: number[][] = [];
  const done: boolean[][] = [];
  for (let t = 0; t < STEPS; t++) {
    const flat = actions(t, N, A);
    // alternate the two action formats: flat N x A, and one array per env
    const b = t % 2 === 0 ? await vec.step(flat) : await vec.step(SEEDS.map((_, i) => flat.slice(i * A, (i + 1) * A)));
    states.push(rows(b, S));
    rewards.push(Array.from(b.reward));
    done.push(b.done);
  }
  return { vec, states, rewards, done };
}

describe('VecEnv', () => {
  const open: VecEnv[] = [];
  afterAll(async () => {
    await Promise.all(open.map((v) => v.close()));
  });

  test('in-process (workers: 0) equals N single envs with the same seeds', async () => {
    const ref = await singles('hopper-stand');
    const got = await vecRun('hopper-stand', 0);
    open.push(got.vec);
    expect(got.vec.stateSize).toBe(15);
    expect(got.vec.actionSize).toBe(4);
    expect(got.rewards).toEqual(ref.rewards);
    expect(got.done).toEqual(ref.done);
    got.states.forEach((row, t) => row.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(ref.states[t][i]))));
  });

  test('worker threads (2 workers for 3 envs) equal N single envs with the same seeds', async () => {
    const ref = await singles('finger-turn-easy');
    const got = await vecRun('finger-turn-easy', 2);
    open.push(got.vec);
    expect(got.vec.workers).toBe(2);
    expect(got.rewards).toEqual(ref.rewards);
    expect(got.done).toEqual(ref.done);
    got.states.forEach((row, t) => row.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(ref.states[t][i]))));
    // scenes come back from the workers too
    const scenes = await got.vec.scenes();
    expect(scenes.length).toBe(N);
    expect(scenes[0].geoms.length).toBeGreaterThan(2);
  });

  test('batch rendering on the main thread: one renderBatch call per reset/step with N scenes', async () => {
    const calls: number[] = [];
    // async, as a GPU renderer's readback is
    const renderBatch = async (scenes: Scene[]) => {
      calls.push(scenes.length);
      return scenes.map((s, i) => new Uint8Array([i, s.geoms.length]));
    };
    const vec = await VecEnv.create('cartpole-balance', { num: 4, workers: 0, renderBatch });
    open.push(vec);
    const o = await vec.reset(100);
    expect(o.info.map((x) => x.seed)).toEqual([100, 101, 102, 103]);
    expect(o.image?.map((im) => im[0])).toEqual([0, 1, 2, 3]);
    await vec.step(new Float32Array(4));
    expect(calls).toEqual([4, 4]);
    // reset a subset (e.g. the envs that are done), in the caller's order
    const some = await vec.resetSome([3, 1], [7, 8]);
    expect(some.info.map((x) => x.seed)).toEqual([7, 8]);
    expect(some.reward.length).toBe(2);
    expect(some.state.length).toBe(2 * vec.stateSize);
    const single = await makeEnv('cartpole-balance');
    expect(Array.from(some.state.slice(0, 5))).toEqual(Array.from(single.reset(7).state));
    single.close();
    expect(calls).toEqual([4, 4, 2]);
  });

  test('bad input: sizes, options, overlapping calls', async () => {
    const vec = await VecEnv.create('cheetah-run', { num: 2, workers: 0 });
    open.push(vec);
    await vec.reset(0);
    await expect(vec.step(new Float32Array(11))).rejects.toThrow(
      'step: actions must hold num x actionSize = 2 x 6 = 12 numbers for cheetah-run, got 11',
    );
    await expect(vec.step([new Float32Array(6), new Float32Array(4)])).rejects.toThrow(
      'step: action 1 must have length 6 for cheetah-run, got 4',
    );
    const nan = new Float32Array(12);
    nan[7] = NaN;
    await expect(vec.step(nan)).rejects.toThrow('step: action 1[1] is NaN for cheetah-run');
    const p = vec.step(new Float32Array(12));
    await expect(vec.step(new Float32Array(12))).rejects.toThrow(/previous VecEnv call has not finished/);
    await p;
    await expect(vec.reset([1, 2, 3])).rejects.toThrow(/seeds must be an integer, or an array of 2 integers/);
    // a done env: stepping it names it; resetSome brings it back
    const short = await VecEnv.create('cheetah-run', { num: 2, workers: 0, episodeLength: 4 });
    open.push(short);
    await short.reset(0);
    await short.step(new Float32Array(12));
    const last = await short.step(new Float32Array(12));
    expect(last.done).toEqual([true, true]);
    await expect(short.step(new Float32Array(12))).rejects.toThrow(/env 0: step: the cheetah-run episode is over/);
    await short.resetSome([0, 1]);
    expect((await short.step(new Float32Array(12))).done).toEqual([false, false]);
    await expect(VecEnv.create('cheetah-run', { num: 0 })).rejects.toThrow(/num must be a positive integer/);
    await expect(VecEnv.create('cheetah-run', { num: 2, worker: 1 } as never)).rejects.toThrow(
      "VecEnv: unknown option 'worker'; valid options: actionRepeat, episodeLength, physicsDR, render, seed, num, workers, renderBatch",
    );
    await expect(VecEnv.create('cheetah-run', { num: 2, render: () => new Uint8Array() } as never)).rejects.toThrow(
      /use renderBatch/,
    );
    await expect(VecEnv.create('cheetah', { num: 2 })).rejects.toThrow(/VecEnv: unknown task 'cheetah'; valid tasks:/);
    await vec.close();
    await expect(vec.step(new Float32Array(12))).rejects.toThrow(/closed/);
  });

  test('worker.mjs serves a plain-JS shard module (the dist path) without tsx', async () => {
    const { workerUrl } = workerUrls();
    const moduleUrl = new URL('./fixtures/echo-shard.mjs', import.meta.url).href;
    const worker = new Worker(workerUrl, { workerData: { moduleUrl }, execArgv: workerExecArgv() });
    try {
      const api = wrap<any>(nodeEndpoint(worker as any));
      expect(await api.init({ seeds: [1, 2] })).toEqual({ stateSize: 1, actionSize: 1 });
      const r = await api.step(new Float32Array([1.5, -2]));
      expect(Array.from(r.state)).toEqual([3, -4]);
      expect(await api.count()).toBe(2);
    } finally {
      await worker.terminate();
    }
  });

  test('worker URLs: source vs build', () => {
    const src = workerUrls('file:///x/packages/envs/src/vec/vec-env.ts');
    expect(src.workerUrl.href).toBe('file:///x/packages/envs/src/vec/worker.mjs');
    expect(src.moduleUrl.href).toBe('file:///x/packages/envs/src/vec/shard.ts');
    const dist = workerUrls('file:///x/packages/envs/dist/chunk-ABC.js');
    expect(dist.workerUrl.href).toBe('file:///x/packages/envs/dist/vec-worker.js');
    expect(dist.moduleUrl.href).toBe('file:///x/packages/envs/dist/physics.js');
    expect(workerExecArgv(['--import', 'tsx', '--max-old-space-size=4096', '--import=tsx/esm'])).toEqual([
      '--max-old-space-size=4096',
    ]);
  });
});
