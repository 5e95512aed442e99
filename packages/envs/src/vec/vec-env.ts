/**
 * VecEnv: N environments of one task stepped together, physics in worker threads (comlink over
 * worker_threads), images rendered as one batch on the main thread by an injected batch renderer.
 *
 * Workers: `workers` threads (default min(num, available cores)) each own a contiguous slice of the envs.
 * The worker entry is worker.mjs (plain JS). From TypeScript source (vitest / tsx) it registers tsx's loader
 * and imports shard.ts; from the build it imports dist/physics.js. `workers: 0` runs the same shard code
 * in-process (same results, no threads).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Scene } from '../scene.js';
import { checkEnvOptions, ENV_OPTION_KEYS, type EnvOptions, type StepInfo } from '../tasks/env.js';
import { getTask, type TaskName } from '../tasks/registry.js';
import { createShardApi, type ShardApi, type ShardInit, type ShardResult } from './shard.js';

export interface VecEnvOptions extends Omit<EnvOptions, 'render'> {
  /** Number of environments (positive integer). */
  num: number;
  /** Worker threads; 0 = in-process. Default min(num, available cores). */
  workers?: number;
  /** Draws a batch of scenes (one dispatch; sync or async, e.g. a GPU readback); without it BatchObs.image is null. */
  renderBatch?: BatchRenderer;
}

export type BatchRenderer = (scenes: Scene[]) => Uint8Array[] | Promise<Uint8Array[]>;

export const VEC_OPTION_KEYS = ['num', 'workers', 'renderBatch'] as const;

export interface BatchObs {
  /** num x stateSize, row-major (env i at i * stateSize). */
  state: Float32Array;
  /** One image per env from renderBatch, or null without one. */
  image: Uint8Array[] | null;
  reward: Float64Array;
  done: boolean[];
  info: StepInfo[];
}

interface Part {
  api: ShardApi | Remote<ShardApi>;
  worker: Worker | null;
  start: number;
  count: number;
}

/** Where the worker entry and the shard module are, from source or from the build. */
export function workerUrls(here = import.meta.url): { workerUrl: URL; moduleUrl: URL } {
  const fromSource = new URL(here).pathname.endsWith('.ts');
  return fromSource
    ? { workerUrl: new URL('./worker.mjs', here), moduleUrl: new URL('./shard.ts', here) }
    : { workerUrl: new URL('./vec-worker.js', here), moduleUrl: new URL('./physics.js', here) };
}

export class VecEnv {
  readonly task: TaskName;
  readonly num: number;
  readonly workers: number;
  readonly stateSize: number;
  readonly actionSize: number;
  readonly stateLabels: readonly string[];
  readonly actionLabels: readonly string[];
  private readonly parts: Part[];
  private readonly renderBatch: BatchRenderer | undefined;
  private readonly actionBuf: Float32Array;
  private closed = false;
  private busy = false;

  private constructor(task: TaskName, num: number, workers: number, parts: Part[], sizes: { stateSize: number; actionSize: number }, renderBatch?: BatchRenderer) {
    const spec = getTask(task, 'VecEnv');
    this.task = task;
    this.num = num;
    this.workers = workers;
    this.parts = parts;
    this.stateSize = sizes.stateSize;
    this.actionSize = sizes.actionSize;
    this.stateLabels = spec.stateLabels;
    this.actionLabels = spec.actionLabels;
    this.renderBatch = renderBatch;
    this.actionBuf = new Float32Array(num * sizes.actionSize);
  }

  /** Create `opts.num` envs of `task` (spawning the workers and loading MuJoCo in each). */
  static async create(task: TaskName | string, opts: VecEnvOptions): Promise<VecEnv> {
    const spec = getTask(task, 'VecEnv');
    const o = checkEnvOptions('VecEnv', opts, VEC_OPTION_KEYS) as VecEnvOptions;
    if (!(typeof o.num === 'number' && Number.isInteger(o.num) && o.num >= 1)) {
      throw new Error(`VecEnv: num must be a positive integer (the number of envs), got ${String(o.num)}`);
    }
    const cores = typeof availableParallelism === 'function' ? availableParallelism() : 2;
    const workers = o.workers ?? Math.min(o.num, cores);
    if (!(Number.isInteger(workers) && workers >= 0)) {
      throw new Error(`VecEnv: workers must be a non-negative integer (0 = in-process), got ${String(o.workers)}`);
    }
    if (o.renderBatch !== undefined && typeof o.renderBatch !== 'function') {
      throw new Error('VecEnv: renderBatch must be a function (scenes: Scene[]) => Uint8Array[]');
    }
    const envOpts: Omit<EnvOptions, 'render'> = {};
    for (const k of ENV_OPTION_KEYS) {
      if (k !== 'render' && k !== 'seed' && o[k] !== undefined) (envOpts as any)[k] = o[k];
    }
    if ((o as EnvOptions).render !== undefined) {
      throw new Error('VecEnv: use renderBatch (scenes: Scene[]) => Uint8Array[] instead of render');
    }
    const baseSeed = o.seed ?? 0;
    const nParts = Math.max(1, Math.min(workers, o.num));
    const parts: Part[] = [];
    try {
      for (let p = 0; p < nParts; p++) {
        const start = Math.floor((p * o.num) / nParts);
        const count = Math.floor(((p + 1) * o.num) / nParts) - start;
        if (workers === 0) {
          parts.push({ api: createShardApi(), worker: null, start, count });
        } else {
          const { workerUrl, moduleUrl } = workerUrls();
          const worker = new Worker(workerUrl, { workerData: { moduleUrl: moduleUrl.href }, execArgv: workerExecArgv() });
          parts.push({ api: wrap<ShardApi>(nodeEndpoint(worker as any)), worker, start, count });
        }
      }
      const sizes = await Promise.all(
        parts.map((p, i) => {
          const init: ShardInit = {
            task: spec.name,
            opts: envOpts,
            seeds: Array.from({ length: p.count }, (_, k) => baseSeed + p.start + k),
            offset: p.start,
            withScenes: !!o.renderBatch,
          };
          const r = Promise.resolve(p.api.init(init));
          return p.worker ? withWorkerErrors(p.worker, r, i) : r;
        }),
      );
      return new VecEnv(spec.name as TaskName, o.num, workers, parts, sizes[0], o.renderBatch);
    } catch (e) {
      await Promise.all(parts.map((p) => p.worker?.terminate()));
      throw e;
    }
  }

  /**
   * Reset every env. `seeds`: one per env, or one number s (env i gets s + i), or nothing (each env draws
   * from its own seed sequence, started at opts.seed + i).
   */
  async reset(seeds?: number | readonly number[]): Promise<BatchObs> {
    const list = this.seedList('reset', seeds, this.num);
    return this.run(
      'reset',
      (p) => p.api.reset(list.slice(p.start, p.start + p.count)),
      Array.from({ length: this.num }, (_, i) => i),
    );
  }

  /** Reset only the envs at `indices` (e.g. those that are done); the batch holds just those, in order. */
  async resetSome(indices: readonly number[], seeds?: readonly number[]): Promise<BatchObs> {
    if (!Array.isArray(indices) || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= this.num)) {
      throw new Error(`resetSome: indices must be integers in [0, ${this.num}), got ${JSON.stringify(indices)}`);
    }
    if (new Set(indices).size !== indices.length) throw new Error('resetSome: indices must not repeat');
    const list = this.seedList('resetSome', seeds, indices.length);
    const order = [...indices.keys()].sort((a, b) => indices[a] - indices[b]);
    const sorted = order.map((k) => indices[k]);
    const seedsSorted = order.map((k) => list[k]);
    const res = await this.run(
      'resetSome',
      (p) => {
        const mine: number[] = [];
        const s: (number | undefined)[] = [];
        sorted.forEach((i, k) => {
          if (i >= p.start && i < p.start + p.count) {
            mine.push(i - p.start);
            s.push(seedsSorted[k]);
          }
        });
        return mine.length ? p.api.reset(s, mine) : null;
      },
      sorted,
    );
    // back to the caller's order
    const inv = new Map(sorted.map((i, k) => [i, k]));
    return permute(res, indices.map((i) => inv.get(i)!), this.stateSize);
  }

  /** Step every env with its action: a Float32Array of num x actionSize, or one action per env. */
  async step(actions: Float32Array | readonly ArrayLike<number>[]): Promise<BatchObs> {
    const A = this.actionSize;
    const buf = this.actionBuf;
    if (ArrayBuffer.isView(actions)) {
      if (actions.length !== this.num * A) {
        throw new Error(
          `step: actions must hold num x actionSize = ${this.num} x ${A} = ${this.num * A} numbers for ${this.task}, got ${actions.length}`,
        );
      }
      for (let i = 0; i < actions.length; i++) buf[i] = checkNumber(actions[i], i, A, this.task);
    } else if (Array.isArray(actions)) {
      if (actions.length !== this.num) {
        throw new Error(`step: actions must hold one action per env (${this.num}) for ${this.task}, got ${actions.length}`);
      }
      actions.forEach((a, e) => {
        if (!a || typeof a !== 'object' || typeof (a as ArrayLike<number>).length !== 'number') {
          throw new Error(`step: action ${e} must be a Float32Array or number[] of length ${A} for ${this.task}, got ${typeof a}`);
        }
        if (a.length !== A) throw new Error(`step: action ${e} must have length ${A} for ${this.task}, got ${a.length}`);
        for (let j = 0; j < A; j++) buf[e * A + j] = checkNumber(a[j], e * A + j, A, this.task);
      });
    } else {
      throw new Error(`step: actions must be a Float32Array (num x actionSize) or an array of actions, got ${typeof actions}`);
    }
    return this.run(
      'step',
      (p) => p.api.step(buf.slice(p.start * A, (p.start + p.count) * A)),
      Array.from({ length: this.num }, (_, i) => i),
    );
  }

  /** The current scene of every env. */
  async scenes(): Promise<Scene[]> {
    this.enter('scenes');
    try {
      const parts = await Promise.all(this.parts.map((p) => p.api.scenes()));
      return parts.flat();
    } finally {
      this.busy = false;
    }
  }

  /** Free the envs and stop the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.parts.map(async (p) => {
        try {
          await p.api.close();
        } catch {
          /* worker already gone */
        }
        if (p.worker) await p.worker.terminate();
      }),
    );
  }

  private seedList(op: string, seeds: number | readonly number[] | undefined, n: number): (number | undefined)[] {
    if (seeds === undefined) return new Array(n).fill(undefined);
    if (typeof seeds === 'number') {
      if (!Number.isSafeInteger(seeds)) throw new Error(`${op}: seed must be an integer, got ${seeds}`);
      return Array.from({ length: n }, (_, i) => seeds + i);
    }
    if (!Array.isArray(seeds) || seeds.length !== n) {
      throw new Error(`${op}: seeds must be an integer, or an array of ${n} integers, got ${JSON.stringify(seeds)}`);
    }
    seeds.forEach((s, i) => {
      if (!Number.isSafeInteger(s)) throw new Error(`${op}: seeds[${i}] must be an integer, got ${String(s)}`);
    });
    return [...seeds];
  }

  private enter(op: string): void {
    if (this.closed) throw new Error(`${op}: this VecEnv is closed`);
    if (this.busy) throw new Error(`${op}: the previous VecEnv call has not finished (await it first)`);
    this.busy = true;
  }

  private async run(
    op: string,
    call: (p: Part) => ShardResult | Promise<ShardResult> | null,
    envIdx: number[],
  ): Promise<BatchObs> {
    this.enter(op);
    try {
      const results = await Promise.all(this.parts.map((p, i) => {
        const r = call(p);
        return p.worker && r ? withWorkerErrors(p.worker, Promise.resolve(r), i) : r;
      }));
      const S = this.stateSize;
      const n = envIdx.length;
      const state = new Float32Array(n * S);
      const reward = new Float64Array(n);
      const done: boolean[] = [];
      const info: StepInfo[] = [];
      const scenes: Scene[] = [];
      let k = 0;
      for (const r of results) {
        if (!r) continue;
        state.set(r.state, k * S);
        reward.set(r.reward, k);
        done.push(...r.done);
        info.push(...r.info);
        if (r.scenes) scenes.push(...r.scenes);
        k += r.reward.length;
      }
      if (k !== n) throw new Error(`VecEnv ${op}: expected ${n} results, got ${k}`);
      const image = this.renderBatch ? await this.renderBatch(scenes) : null;
      if (image && image.length !== scenes.length) {
        throw new Error(`VecEnv ${op}: renderBatch returned ${image.length} images for ${scenes.length} scenes`);
      }
      return { state, image, reward, done, info };
    } finally {
      this.busy = false;
    }
  }
}

/**
 * The parent's Node flags minus a tsx loader (`--import tsx` and the like): worker.mjs registers tsx itself,
 * after loading MuJoCo, which through tsx's transform would take seconds longer per worker.
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const isLoaderFlag = a === '--import' || a === '--loader' || a === '--experimental-loader' || a === '--require' || a === '-r';
    if (isLoaderFlag && /(^|\/)tsx(\/|$)/.test(argv[i + 1] ?? '')) {
      i++;
      continue;
    }
    if (/^--(import|loader|experimental-loader|require)=.*\btsx\b/.test(a)) continue;
    out.push(a);
  }
  return out;
}

function checkNumber(x: unknown, flat: number, A: number, task: string): number {
  const where = `action ${Math.floor(flat / A)}[${flat % A}]`;
  if (typeof x !== 'number') throw new Error(`step: ${where} must be a number for ${task}, got ${typeof x}`);
  if (!Number.isFinite(x)) throw new Error(`step: ${where} is ${x} for ${task}; actions must be finite numbers`);
  return x;
}

function permute(b: BatchObs, order: number[], S: number): BatchObs {
  const state = new Float32Array(b.state.length);
  order.forEach((src, dst) => state.set(b.state.subarray(src * S, (src + 1) * S), dst * S));
  return {
    state,
    image: b.image ? order.map((i) => b.image![i]) : null,
    reward: Float64Array.from(order, (i) => b.reward[i]),
    done: order.map((i) => b.done[i]),
    info: order.map((i) => b.info[i]),
  };
}

/** Reject when the worker dies (an uncaught error in it) instead of waiting forever for its reply. */
function withWorkerErrors<T>(worker: Worker, p: Promise<T>, index: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onError = (e: Error) => reject(new Error(`VecEnv worker ${index} failed: ${e.message}`));
    const onExit = (code: number) => reject(new Error(`VecEnv worker ${index} exited (code ${code})`));
    worker.once('error', onError);
    worker.once('exit', onExit);
    p.then(resolve, reject).finally(() => {
      worker.off('error', onError);
      worker.off('exit', onExit);
    });
  });
}

/** Create a VecEnv (alias of VecEnv.create). */
export function makeVecEnv(task: TaskName | string, opts: VecEnvOptions): Promise<VecEnv> {
  return VecEnv.create(task, opts);
}
