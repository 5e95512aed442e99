/**
 * A shard: a few envs of one task stepped together in one thread. VecEnv runs one shard per worker thread
 * (or one in-process shard with `workers: 0`); results come back as flat typed arrays plus plain objects,
 * which structured-clone cheaply across threads.
 */
import type { Scene } from '../scene.js';
import { checkEnvOptions, makeEnv, type Env, type EnvOptions, type StepInfo } from '../tasks/env.js';

export interface ShardResult {
  /** count x stateSize, row-major. */
  state: Float32Array;
  reward: Float64Array;
  done: boolean[];
  info: StepInfo[];
  /** The scenes after this reset/step, when the VecEnv renders. */
  scenes: Scene[] | null;
}

export interface ShardInit {
  task: string;
  /** Options of every env of the shard (no render function: rendering happens on the main thread). */
  opts: Omit<EnvOptions, 'render'>;
  /** Per-env base seeds of the no-seed reset sequence. */
  seeds: number[];
  /** Index of the shard's first env in the VecEnv (for error messages). Default 0. */
  offset?: number;
  withScenes: boolean;
}

export class EnvShard {
  private constructor(
    readonly envs: Env[],
    private readonly withScenes: boolean,
    private readonly offset: number,
  ) {}

  static async create(init: ShardInit): Promise<EnvShard> {
    const opts = checkEnvOptions('VecEnv', init.opts);
    const envs: Env[] = [];
    for (const seed of init.seeds) envs.push(await makeEnv(init.task, { ...opts, seed }));
    return new EnvShard(envs, init.withScenes, init.offset ?? 0);
  }

  get stateSize(): number {
    return this.envs[0]?.stateSize ?? 0;
  }

  get actionSize(): number {
    return this.envs[0]?.actionSize ?? 0;
  }

  /** Reset the envs at `indices` (default all) with `seeds` (undefined: each env's own sequence). */
  reset(seeds: (number | undefined)[], indices?: number[]): ShardResult {
    const idx = indices ?? this.envs.map((_, i) => i);
    return this.collect(
      idx.map((i, k) => this.tagged(i, () => this.envs[i].reset(seeds[k]))),
      idx,
    );
  }

  /** Step every env; `actions` is count x actionSize, row-major. */
  step(actions: Float32Array): ShardResult {
    const A = this.actionSize;
    const obs = this.envs.map((e, i) => this.tagged(i, () => e.step(actions.subarray(i * A, (i + 1) * A))));
    return this.collect(obs, null);
  }

  scenes(): Scene[] {
    return this.envs.map((e) => e.scene());
  }

  /** Run fn for env i, prefixing an error with the env's index in the VecEnv. */
  private tagged<T>(i: number, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new Error(`env ${this.offset + i}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  close(): void {
    for (const e of this.envs) e.close();
  }

  private collect(obs: ReturnType<Env['step']>[], idx: number[] | null): ShardResult {
    const S = this.stateSize;
    const state = new Float32Array(obs.length * S);
    const reward = new Float64Array(obs.length);
    obs.forEach((o, k) => {
      state.set(o.state, k * S);
      reward[k] = o.reward;
    });
    const scenes = this.withScenes ? (idx ?? this.envs.map((_, i) => i)).map((i) => this.envs[i].scene()) : null;
    return { state, reward, done: obs.map((o) => o.done), info: obs.map((o) => o.info), scenes };
  }
}

/** The object a worker exposes through comlink: one shard behind async methods. */
export function createShardApi() {
  let shard: EnvShard | null = null;
  const get = () => {
    if (!shard) throw new Error('VecEnv worker: init() has not run');
    return shard;
  };
  return {
    async init(init: ShardInit): Promise<{ stateSize: number; actionSize: number }> {
      shard = await EnvShard.create(init);
      return { stateSize: shard.stateSize, actionSize: shard.actionSize };
    },
    reset(seeds: (number | undefined)[], indices?: number[]): ShardResult {
      return get().reset(seeds, indices);
    },
    step(actions: Float32Array): ShardResult {
      return get().step(actions);
    },
    scenes(): Scene[] {
      return get().scenes();
    },
    close(): void {
      shard?.close();
      shard = null;
    },
  };
}

export type ShardApi = ReturnType<typeof createShardApi>;
