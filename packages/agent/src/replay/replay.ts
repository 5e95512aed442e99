import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@twist/autograd/node';
import { tensor, type Device, type Tensor } from '@twist/kernels';
import {
  EPISODE_FILE,
  FLAG_FIRST,
  FLAG_LAST,
  FLAG_TERMINAL,
  PENDING_FILE,
  encodeChunk,
  episodeFileName,
  imageSizeOf,
  layout,
  pendingFileName,
  readChunk,
  viewEpisode,
  type ChunkRecord,
  type Episode,
  type Geometry,
} from './format.js';
import { Xoshiro128, type RngState } from './rng.js';

/**
 * One environment step as the driver hands it over. action[t] is the action that LED to this observation
 * (all zeros on an isFirst step); reward[t] came with this observation.
 */
export interface StepRecord {
  /** Privileged simulator state, stateSize floats. */
  state: Float32Array;
  /** Rendered image, H*W*C bytes (HWC order); required when the replay has imageShape, refused otherwise. */
  image?: Uint8Array;
  /** The action that led to this observation (actionSize floats; zeros when isFirst). */
  action: Float32Array;
  /** The reward that came with this observation (finite). */
  reward: number;
  isFirst: boolean;
  isLast: boolean;
  /** True only when the episode ended by termination (not a time limit); implies isLast. */
  isTerminal: boolean;
}

/**
 * How sequences are drawn. 'windows' (default): uniform over all valid (episode, start) windows, so every
 * start position in the buffer is equally likely and an episode is picked with probability proportional to
 * its number of windows (length - L + 1). 'episodes': DreamerV2's scheme, a uniform episode then a uniform
 * start within it (windows of short episodes are over-represented).
 */
export type SamplingScheme = 'windows' | 'episodes';

export interface ReplayOptions {
  stateSize: number;
  actionSize: number;
  /** [H, W, C] when images are stored (every step must then carry one); omit or null for state only. */
  imageShape?: readonly [number, number, number] | null;
  /** Number of parallel envs feeding add() (env indices 0..numEnvs-1). Default 1. */
  numEnvs?: number;
  /** Capacity in committed steps; the oldest whole episodes are dropped beyond it. */
  capacity: number;
  /**
   * An unfinished episode interrupted by a new isFirst step on its env is committed (as a truncated episode:
   * its last step keeps isLast false, cont 1) when it has at least minLength steps, else discarded.
   * Episodes that end with isLast are always committed. Default 1.
   */
  minLength?: number;
  /** Seed of the sampler's RNG. Default 0. */
  seed?: number;
  /** What batch.obs holds: the state (state world model) or the images (image world model). Default 'state'. */
  obs?: 'state' | 'image';
  sampling?: SamplingScheme;
  /** Folder for the chunk files (e.g. `<run>/replay`); null/omitted keeps the replay in memory only. */
  dir?: string | null;
}

/** Shaped like @twist/rssm's Batch (with cont and state always present). Dispose the tensors when done. */
export interface ReplayBatch {
  /** state f32 [B,L,S] (a view of `state`, no second upload) or images u8 [B,L,H,W,C]. */
  obs: Tensor;
  actions: Tensor;
  rewards: Tensor;
  /** f32 [B,L]; 1 at [:, 0] on every sequence (the world model starts each from a zero state). */
  isFirst: Tensor;
  state: Tensor;
  /** f32 [B,L]: 1 - isTerminal. */
  cont: Tensor;
}

/** The same batch on the host, with where each sequence came from. */
export interface HostBatch {
  B: number;
  L: number;
  obs: 'state' | 'image';
  state: Float32Array;
  /** u8 [B*L*H*W*C] when obs is 'image', else null. */
  image: Uint8Array | null;
  actions: Float32Array;
  rewards: Float32Array;
  isFirst: Float32Array;
  cont: Float32Array;
  episodeIds: number[];
  starts: number[];
}

export interface ReplayStats {
  /** Committed episodes held. */
  episodes: number;
  /** Committed steps held (<= capacity). */
  steps: number;
  /** Bytes actually held: committed episode buffers plus the per-env buffers of unfinished episodes. */
  bytes: number;
  capacity: number;
  /** Steps of unfinished episodes (not sampled until committed). */
  pendingSteps: number;
  /** The part of bytes held by the unfinished-episode buffers (reused across episodes). */
  pendingBytes: number;
  /** Lifetime counters. */
  stepsAdded: number;
  episodesCommitted: number;
  /** Dropped by capacity. */
  episodesDropped: number;
  /** Interrupted unfinished episodes shorter than minLength. */
  episodesDiscarded: number;
}

interface Counters {
  stepsAdded: number;
  episodesCommitted: number;
  episodesDropped: number;
  episodesDiscarded: number;
}

/** JSON-able state for a checkpoint; pass it to Replay.open to resume exactly. */
export interface ReplayState {
  format: 'twist-replay-state';
  version: 1;
  config: {
    stateSize: number;
    actionSize: number;
    imageShape: [number, number, number] | null;
    numEnvs: number;
    capacity: number;
    minLength: number;
    sampling: SamplingScheme;
  };
  rng: RngState;
  nextEpisodeId: number;
  checkpointSeq: number;
  counters: Counters;
  /** [id, length] of the committed episodes in the buffer, oldest first. */
  episodes: [number, number][];
  /** The unfinished episodes, in a pending chunk file of the replay dir; null when no env has unfinished steps. */
  pending: null | { file: string; envs: { env: number; length: number }[] };
}

const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;
const describe = (x: unknown): string => {
  if (x === null) return 'null';
  if (ArrayBuffer.isView(x)) return `${x.constructor.name} of length ${(x as unknown as { length: number }).length}`;
  if (Array.isArray(x)) return `Array of length ${x.length}`;
  if (typeof x === 'number') return String(x);
  return typeof x;
};

/** The per-env buffers of an unfinished episode; grown by doubling, reused across episodes. */
class Ongoing {
  length = 0;
  cap = 0;
  state = new Float32Array(0);
  action = new Float32Array(0);
  reward = new Float32Array(0);
  flags = new Uint8Array(0);
  image: Uint8Array | null = null;

  constructor(private readonly g: Geometry) {}

  get bytes(): number {
    return this.state.byteLength + this.action.byteLength + this.reward.byteLength + this.flags.byteLength + (this.image?.byteLength ?? 0);
  }

  #ensure(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(16, this.cap * 2, n);
    const grow = <A extends Float32Array | Uint8Array>(a: A, make: (k: number) => A, per: number): A => {
      const b = make(cap * per);
      b.set(a.subarray(0, this.length * per));
      return b;
    };
    const { stateSize: S, actionSize: A } = this.g;
    this.state = grow(this.state, (k) => new Float32Array(k), S);
    this.action = grow(this.action, (k) => new Float32Array(k), A);
    this.reward = grow(this.reward, (k) => new Float32Array(k), 1);
    this.flags = grow(this.flags, (k) => new Uint8Array(k), 1);
    if (this.g.image) this.image = grow(this.image ?? new Uint8Array(0), (k) => new Uint8Array(k), imageSizeOf(this.g));
    this.cap = cap;
  }

  push(s: StepRecord): void {
    const t = this.length;
    this.#ensure(t + 1);
    const { stateSize: S, actionSize: A } = this.g;
    this.state.set(s.state, t * S);
    this.action.set(s.action, t * A);
    this.reward[t] = s.reward;
    this.flags[t] = (s.isFirst ? FLAG_FIRST : 0) | (s.isLast ? FLAG_LAST : 0) | (s.isTerminal ? FLAG_TERMINAL : 0);
    if (this.image) this.image.set(s.image!, t * imageSizeOf(this.g));
    this.length = t + 1;
  }

  /** A compact copy in the episode layout. */
  toBuffer(): ArrayBuffer {
    const T = this.length;
    const g = this.g;
    const buf = new ArrayBuffer(layout(g, T).total);
    const ep = viewEpisode(g, -1, -1, T, buf);
    ep.state.set(this.state.subarray(0, T * g.stateSize));
    ep.action.set(this.action.subarray(0, T * g.actionSize));
    ep.reward.set(this.reward.subarray(0, T));
    ep.flags.set(this.flags.subarray(0, T));
    if (ep.image) ep.image.set(this.image!.subarray(0, T * imageSizeOf(g)));
    return buf;
  }

  restore(ep: Episode): void {
    this.length = 0;
    this.#ensure(ep.length);
    this.state.set(ep.state);
    this.action.set(ep.action);
    this.reward.set(ep.reward);
    this.flags.set(ep.flags);
    if (ep.image) this.image!.set(ep.image);
    this.length = ep.length;
  }
}

interface Table {
  L: number;
  version: number;
  eps: Episode[];
  /** prefix[i] = windows in eps[0..i] inclusive. */
  prefix: Float64Array;
  total: number;
}

/**
 * A replay buffer of whole episodes for Dreamer-style training, fed by several parallel envs.
 *
 * - add(env, step) streams steps; an env's episode is committed when a step with isLast arrives. A new isFirst
 *   on an env with unfinished steps commits them as a truncated episode when they are >= minLength steps,
 *   else discards them.
 * - Capacity is counted in committed steps; the oldest whole episodes are dropped beyond it.
 * - sample() draws B sequences of L steps from committed episodes (episodes shorter than L are skipped) with
 *   its own seeded xoshiro128** RNG, and uploads each field as one tensor.
 * - With a dir, each committed episode is written once, atomically, as its own chunk file
 *   `ep-<id>-<length>.bin` (see format.ts). Files of episodes dropped by capacity are KEPT (a saved
 *   checkpoint may still list them); pruneFiles(state) deletes those no longer needed by a saved checkpoint.
 * - checkpointState() + Replay.open(dir, opts, state) resume exactly: the same buffer, the same unfinished
 *   episodes, the same RNG state. Chunks written after that checkpoint are ignored; when the resumed run
 *   commits the same episode id again it rewrites that id's file (atomic rename; a file of the same id with
 *   another length is deleted), so replaying the steps after a kill -9 is idempotent.
 */
export class Replay {
  readonly options: Readonly<Required<Omit<ReplayOptions, 'imageShape' | 'dir'>>> & {
    readonly imageShape: readonly [number, number, number] | null;
    readonly dir: string | null;
  };
  readonly #g: Geometry;
  #episodes: Episode[] = [];
  #steps = 0;
  #bytes = 0;
  readonly #ongoing: Ongoing[];
  #rng: Xoshiro128;
  #nextId = 0;
  #checkpointSeq = 0;
  #counters: Counters = { stepsAdded: 0, episodesCommitted: 0, episodesDropped: 0, episodesDiscarded: 0 };
  /** Bumped whenever the set of committed episodes changes (invalidates the sampling table). */
  #version = 0;
  #table: Table | null = null;
  /** Chunk files on disk for ids the buffer has not committed (yet): written after the checkpoint we resumed from. */
  readonly #stale = new Map<number, string[]>();

  /** A fresh replay. With a dir, the dir must not hold episode chunks already (use Replay.open for those). */
  constructor(opts: ReplayOptions) {
    this.options = Replay.#validateOptions(opts);
    const { stateSize, actionSize, imageShape, numEnvs, seed, dir } = this.options;
    this.#g = { stateSize, actionSize, image: imageShape };
    this.#ongoing = Array.from({ length: numEnvs }, () => new Ongoing(this.#g));
    this.#rng = new Xoshiro128(seed);
    if (dir !== null) {
      mkdirSync(dir, { recursive: true });
      if (!Replay.#opening) {
        const chunks = readdirSync(dir).filter((f) => EPISODE_FILE.test(f) || PENDING_FILE.test(f));
        if (chunks.length) {
          throw new Error(
            `Replay: ${dir} already holds ${chunks.length} replay chunk files (e.g. ${chunks[0]}); ` +
              'use Replay.open(dir, opts, state?) to continue from them, or give an empty folder',
          );
        }
      }
    }
  }

  static #opening = false;

  static #validateOptions(o: ReplayOptions): Replay['options'] {
    const fail = (field: string, want: string, got: unknown): never => {
      throw new Error(`Replay: options.${field} must be ${want}, got ${Array.isArray(got) ? JSON.stringify(got) : describe(got)}`);
    };
    if (o === null || typeof o !== 'object') throw new Error(`Replay: options must be an object, got ${describe(o)}`);
    if (!isPosInt(o.stateSize)) fail('stateSize', 'a positive integer', o.stateSize);
    if (!isPosInt(o.actionSize)) fail('actionSize', 'a positive integer', o.actionSize);
    const img = o.imageShape ?? null;
    if (img !== null && (!Array.isArray(img) || img.length !== 3 || !img.every(isPosInt))) fail('imageShape', '[H, W, C] of positive integers or null', img);
    const numEnvs = o.numEnvs ?? 1;
    if (!isPosInt(numEnvs)) fail('numEnvs', 'a positive integer', numEnvs);
    if (!isPosInt(o.capacity) || o.capacity > 2 ** 32) fail('capacity', 'a positive integer <= 2^32 (steps)', o.capacity);
    const minLength = o.minLength ?? 1;
    if (!isPosInt(minLength)) fail('minLength', 'a positive integer', minLength);
    const seed = o.seed ?? 0;
    if (!Number.isSafeInteger(seed)) fail('seed', 'a safe integer', seed);
    const obs = o.obs ?? 'state';
    if (obs !== 'state' && obs !== 'image') fail('obs', "'state' or 'image'", obs);
    if (obs === 'image' && img === null) throw new Error("Replay: options.obs is 'image' but options.imageShape is not set (no images are stored)");
    const sampling = o.sampling ?? 'windows';
    if (sampling !== 'windows' && sampling !== 'episodes') fail('sampling', "'windows' or 'episodes'", sampling);
    const dir = o.dir ?? null;
    if (dir !== null && typeof dir !== 'string') fail('dir', 'a folder path or null', dir);
    return {
      stateSize: o.stateSize,
      actionSize: o.actionSize,
      imageShape: img ? ([img[0], img[1], img[2]] as const) : null,
      numEnvs,
      capacity: o.capacity,
      minLength,
      seed,
      obs,
      sampling,
      dir,
    };
  }

  // ------------------------------------------------------------------------------------------------ adding

  /** Appends one step of env `envIndex`'s ongoing episode (see StepRecord for the pairing conventions). */
  add(envIndex: number, step: StepRecord): void {
    const { numEnvs, capacity } = this.options;
    if (!Number.isInteger(envIndex) || envIndex < 0 || envIndex >= numEnvs) {
      throw new Error(`Replay.add: envIndex must be an integer in [0, ${numEnvs}), got ${describe(envIndex)}`);
    }
    this.#checkStep(envIndex, step);
    const o = this.#ongoing[envIndex];
    if (step.isFirst) {
      if (o.length > 0) this.#interrupt(envIndex);
    } else if (o.length === 0) {
      throw new Error(`Replay.add(env ${envIndex}): the env has no unfinished episode, so this step must start one (isFirst true), got isFirst false`);
    }
    if (o.length + 1 > capacity) {
      throw new Error(`Replay.add(env ${envIndex}): the episode would be ${o.length + 1} steps, longer than the capacity (${capacity} steps)`);
    }
    o.push(step);
    this.#counters.stepsAdded++;
    if (step.isLast) this.#commit(envIndex);
  }

  #checkStep(env: number, s: StepRecord): void {
    const where = `Replay.add(env ${env})`;
    if (s === null || typeof s !== 'object') throw new Error(`${where}: step must be a StepRecord object, got ${describe(s)}`);
    const { stateSize: S, actionSize: A, imageShape } = this.options;
    const floats = (field: 'state' | 'action', n: number) => {
      const a = s[field] as unknown;
      if (!(a instanceof Float32Array) || a.length !== n) {
        throw new Error(`${where}: step.${field} must be a Float32Array of length ${n}, got ${describe(a)}`);
      }
      for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) throw new Error(`${where}: step.${field}[${i}] must be finite, got ${a[i]}`);
    };
    floats('state', S);
    floats('action', A);
    if (imageShape) {
      const n = imageSizeOf(this.#g);
      if (!(s.image instanceof Uint8Array) || s.image.length !== n) {
        throw new Error(`${where}: step.image must be a Uint8Array of length ${n} (H*W*C = ${imageShape.join('*')}), got ${s.image === undefined ? 'undefined' : describe(s.image)}`);
      }
    } else if (s.image !== undefined) {
      throw new Error(`${where}: step.image was given (${describe(s.image)}) but the replay stores no images (options.imageShape is not set)`);
    }
    if (typeof s.reward !== 'number' || !Number.isFinite(s.reward)) throw new Error(`${where}: step.reward must be a finite number, got ${describe(s.reward)}`);
    for (const f of ['isFirst', 'isLast', 'isTerminal'] as const) {
      if (typeof s[f] !== 'boolean') throw new Error(`${where}: step.${f} must be a boolean, got ${describe(s[f])}`);
    }
    if (s.isTerminal && !s.isLast) throw new Error(`${where}: step.isTerminal is true but step.isLast is false (a terminal step ends the episode)`);
    if (s.isFirst) {
      for (let i = 0; i < A; i++) {
        if (s.action[i] !== 0) {
          throw new Error(`${where}: step.action must be all zeros on an isFirst step (action[t] led to observation t; none led to the first), got action[${i}] = ${s.action[i]}`);
        }
      }
    }
  }

  #interrupt(env: number): void {
    const o = this.#ongoing[env];
    if (o.length >= this.options.minLength) this.#commit(env);
    else {
      o.length = 0;
      this.#counters.episodesDiscarded++;
    }
  }

  #commit(env: number): void {
    const o = this.#ongoing[env];
    const id = this.#nextId;
    const buffer = o.toBuffer();
    const ep = viewEpisode(this.#g, id, env, o.length, buffer);
    if (this.options.dir !== null) this.#writeEpisode(ep);
    o.length = 0;
    this.#nextId = id + 1;
    this.#episodes.push(ep);
    this.#steps += ep.length;
    this.#bytes += buffer.byteLength;
    this.#counters.episodesCommitted++;
    this.#version++;
    this.#enforceCapacity();
  }

  #writeEpisode(ep: Episode): void {
    const dir = this.options.dir!;
    const name = episodeFileName(ep.id, ep.length);
    writeFileAtomic(join(dir, name), encodeChunk('episode', this.#g, [ep]));
    // A file of the same id written before a kill -9 (after the checkpoint we resumed from) may have another
    // length: it is superseded now.
    for (const old of this.#stale.get(ep.id) ?? []) if (old !== name) rmIfExists(join(dir, old));
    this.#stale.delete(ep.id);
  }

  #enforceCapacity(): void {
    while (this.#steps > this.options.capacity && this.#episodes.length > 0) {
      const ep = this.#episodes.shift()!;
      this.#steps -= ep.length;
      this.#bytes -= ep.buffer.byteLength;
      this.#counters.episodesDropped++;
      this.#version++;
    }
  }

  // ------------------------------------------------------------------------------------------------ reading

  stats(): ReplayStats {
    const pendingSteps = this.#ongoing.reduce((a, o) => a + o.length, 0);
    const pendingBytes = this.#ongoing.reduce((a, o) => a + o.bytes, 0);
    return {
      episodes: this.#episodes.length,
      steps: this.#steps,
      bytes: this.#bytes + pendingBytes,
      capacity: this.options.capacity,
      pendingSteps,
      pendingBytes,
      ...this.#counters,
    };
  }

  /** Ids of the committed episodes held, oldest first. */
  episodeIds(): number[] {
    return this.#episodes.map((e) => e.id);
  }

  /** A committed episode's data (views into the replay's storage: do not modify), or undefined. */
  episode(id: number): Episode | undefined {
    return this.#episodes.find((e) => e.id === id);
  }

  /** Whether sample(_, _, L) can draw: some committed episode has at least L steps. */
  canSample(L: number): boolean {
    if (!isPosInt(L)) throw new Error(`Replay.canSample: L must be a positive integer, got ${describe(L)}`);
    return this.#episodes.some((e) => e.length >= L);
  }

  #tableFor(L: number, where: string): Table {
    const t = this.#table;
    if (t && t.L === L && t.version === this.#version) return t;
    const eps = this.#episodes.filter((e) => e.length >= L);
    if (eps.length === 0) {
      const lens = this.#episodes.map((e) => e.length);
      const shown = lens.length <= 12 ? lens.join(', ') : `${lens.slice(0, 12).join(', ')}, ...`;
      throw new Error(
        `${where}: no committed episode has at least L = ${L} steps ` +
          (lens.length ? `(${lens.length} episodes, lengths ${shown}; longest ${Math.max(...lens)})` : '(the replay holds no committed episodes)') +
          `; ${this.stats().pendingSteps} steps of unfinished episodes are not sampled`,
      );
    }
    const prefix = new Float64Array(eps.length);
    let total = 0;
    eps.forEach((e, i) => (prefix[i] = total += e.length - L + 1));
    this.#table = { L, version: this.#version, eps, prefix, total };
    return this.#table;
  }

  #draw(table: Table, L: number): [Episode, number] {
    if (this.options.sampling === 'episodes') {
      const ep = table.eps[this.#rng.uniformInt(table.eps.length)];
      return [ep, this.#rng.uniformInt(ep.length - L + 1)];
    }
    const k = this.#rng.uniformInt(table.total);
    // first i with prefix[i] > k
    let lo = 0;
    let hi = table.eps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (table.prefix[mid] > k) hi = mid;
      else lo = mid + 1;
    }
    return [table.eps[lo], k - (lo > 0 ? table.prefix[lo - 1] : 0)];
  }

  /** Draws B sequences of L steps onto the host (advances the RNG exactly as sample() does). */
  sampleHost(B: number, L: number, opts: { obs?: 'state' | 'image' } = {}): HostBatch {
    const where = 'Replay.sample';
    if (!isPosInt(B)) throw new Error(`${where}: B must be a positive integer, got ${describe(B)}`);
    if (!isPosInt(L)) throw new Error(`${where}: L must be a positive integer, got ${describe(L)}`);
    const obs = opts.obs ?? this.options.obs;
    if (obs !== 'state' && obs !== 'image') throw new Error(`${where}: obs must be 'state' or 'image', got ${describe(obs)}`);
    if (obs === 'image' && !this.options.imageShape) throw new Error(`${where}: obs 'image' asked for, but the replay stores no images (options.imageShape is not set)`);
    const table = this.#tableFor(L, where);
    const { stateSize: S, actionSize: A } = this.options;
    const P = imageSizeOf(this.#g);
    const n = B * L;
    const out: HostBatch = {
      B,
      L,
      obs,
      state: new Float32Array(n * S),
      image: obs === 'image' ? new Uint8Array(n * P) : null,
      actions: new Float32Array(n * A),
      rewards: new Float32Array(n),
      isFirst: new Float32Array(n),
      cont: new Float32Array(n),
      episodeIds: [],
      starts: [],
    };
    for (let b = 0; b < B; b++) {
      const [ep, s] = this.#draw(table, L);
      out.episodeIds.push(ep.id);
      out.starts.push(s);
      const o = b * L;
      out.state.set(ep.state.subarray(s * S, (s + L) * S), o * S);
      out.actions.set(ep.action.subarray(s * A, (s + L) * A), o * A);
      out.rewards.set(ep.reward.subarray(s, s + L), o);
      if (out.image) out.image.set(ep.image!.subarray(s * P, (s + L) * P), o * P);
      for (let t = 0; t < L; t++) {
        const f = ep.flags[s + t];
        out.isFirst[o + t] = f & FLAG_FIRST ? 1 : 0;
        out.cont[o + t] = f & FLAG_TERMINAL ? 0 : 1;
      }
      out.isFirst[o] = 1; // DreamerV2: every sampled sequence starts from a zero state
    }
    return out;
  }

  /**
   * Draws B sequences of L steps (see SamplingScheme) and uploads them: one tensor creation per field
   * (obs is a view of state for a state model). The caller owns (disposes) the tensors.
   */
  sample(device: Device, B: number, L: number, opts: { obs?: 'state' | 'image' } = {}): ReplayBatch {
    const h = this.sampleHost(B, L, opts);
    const { stateSize: S, actionSize: A } = this.options;
    const max = device.limits().maxBufferBytes;
    const big = h.image && h.image.byteLength > max ? ['obs', h.image.byteLength] : h.state.byteLength > max ? ['state', h.state.byteLength] : null;
    if (big) throw new Error(`Replay.sample: batch.${big[0]} needs ${big[1]} bytes, more than the device's maxBufferBytes (${max}); use a smaller B or L`);
    const made: Tensor[] = [];
    const up = (data: Float32Array | Uint8Array, shape: number[]): Tensor => {
      const t = tensor(device, data, shape);
      made.push(t);
      return t;
    };
    try {
      const state = up(h.state, [B, L, S]);
      const obs = h.image ? up(h.image, [B, L, ...this.options.imageShape!]) : state.reshape([B, L, S]);
      made.push(obs);
      return {
        obs,
        state,
        actions: up(h.actions, [B, L, A]),
        rewards: up(h.rewards, [B, L]),
        isFirst: up(h.isFirst, [B, L]),
        cont: up(h.cont, [B, L]),
      };
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------------------ persistence

  /**
   * The state to save with a checkpoint (small, JSON-able): config, sampler RNG state, counters, the
   * committed episodes held, and the unfinished episodes (written to `pending-<seq>.bin` in the dir, a new
   * file per call). Episode chunks themselves are already on disk. Needs a dir. A saved state stays
   * resumable until pruned: later commits only write ids >= its nextEpisodeId. (Resuming from an older state
   * than the newest forks the run: the newer states' later chunks are then superseded.)
   */
  checkpointState(): ReplayState {
    const { stateSize, actionSize, imageShape, numEnvs, capacity, minLength, sampling, dir } = this.options;
    if (dir === null) throw new Error('Replay.checkpointState: this replay has no dir (in memory only), so there would be nothing to resume from');
    const seq = ++this.#checkpointSeq;
    const open = this.#ongoing.map((o, env) => ({ o, env })).filter(({ o }) => o.length > 0);
    let pending: ReplayState['pending'] = null;
    if (open.length) {
      const file = pendingFileName(seq);
      const recs: ChunkRecord[] = open.map(({ o, env }) => ({ id: -1, env, length: o.length, buffer: o.toBuffer() }));
      writeFileAtomic(join(dir, file), encodeChunk('pending', this.#g, recs, { checkpointSeq: seq }));
      pending = { file, envs: open.map(({ o, env }) => ({ env, length: o.length })) };
    }
    return {
      format: 'twist-replay-state',
      version: 1,
      config: { stateSize, actionSize, imageShape: imageShape ? [...imageShape] : null, numEnvs, capacity, minLength, sampling },
      rng: this.#rng.state(),
      nextEpisodeId: this.#nextId,
      checkpointSeq: seq,
      counters: { ...this.#counters },
      episodes: this.#episodes.map((e) => [e.id, e.length]),
      pending,
    };
  }

  /**
   * Rebuilds a replay from the chunk files in dir. With a state (from checkpointState), exactly the buffer
   * that checkpoint saw: the listed episodes (an error names any missing file), its unfinished episodes, RNG
   * and counters; chunks written after it are ignored (and superseded when the same ids are committed again).
   * Without a state: the newest episodes that fit the capacity, in id order, a fresh RNG from opts.seed, and
   * no unfinished episodes.
   */
  static open(dir: string, opts: Omit<ReplayOptions, 'dir'>, state?: ReplayState): Replay {
    if (typeof dir !== 'string') throw new Error(`Replay.open: dir must be a folder path, got ${describe(dir)}`);
    if (!existsSync(dir)) throw new Error(`Replay.open: ${dir} does not exist`);
    Replay.#opening = true;
    let r: Replay;
    try {
      r = new Replay({ ...opts, dir });
    } finally {
      Replay.#opening = false;
    }
    const files = new Map<number, { name: string; length: number }[]>();
    for (const name of readdirSync(dir)) {
      const m = EPISODE_FILE.exec(name);
      if (!m) continue;
      const id = Number(m[1]);
      files.set(id, [...(files.get(id) ?? []), { name, length: Number(m[2]) }]);
    }
    if (state !== undefined) r.#restore(dir, state, files);
    else r.#loadAll(dir, files);
    return r;
  }

  #load(dir: string, name: string, id: number, length: number): void {
    const { records } = readChunk(join(dir, name), this.#g, 'episode');
    const rec = records[0];
    if (records.length !== 1 || rec.id !== id || rec.length !== length) {
      throw new Error(`Replay.open: ${join(dir, name)} holds episode ${rec?.id} of ${rec?.length} steps, its name says episode ${id} of ${length}`);
    }
    const ep = viewEpisode(this.#g, id, rec.env, length, rec.buffer);
    this.#episodes.push(ep);
    this.#steps += length;
    this.#bytes += rec.buffer.byteLength;
  }

  #loadAll(dir: string, files: Map<number, { name: string; length: number }[]>): void {
    // Newest first until the capacity is reached; of several files for one id, the newest (mtime) wins.
    const ids = [...files.keys()].sort((a, b) => b - a);
    const keep: [number, { name: string; length: number }][] = [];
    let steps = 0;
    for (const id of ids) {
      const cands = files.get(id)!;
      const f = cands.length === 1 ? cands[0] : cands.reduce((a, b) => (statSync(join(dir, b.name)).mtimeMs > statSync(join(dir, a.name)).mtimeMs ? b : a));
      if (steps + f.length > this.options.capacity) break;
      steps += f.length;
      keep.push([id, f]);
    }
    for (const [id, f] of keep.reverse()) this.#load(dir, f.name, id, f.length);
    this.#nextId = ids.length ? ids[0] + 1 : 0;
    this.#version++;
  }

  #restore(dir: string, s: ReplayState, files: Map<number, { name: string; length: number }[]>): void {
    const fail = (why: string): never => {
      throw new Error(`Replay.open: the checkpoint state ${why}`);
    };
    if (s === null || typeof s !== 'object' || s.format !== 'twist-replay-state' || s.version !== 1) {
      fail(`is not a twist-replay-state version 1 object (got format ${describe((s as { format?: unknown })?.format)})`);
    }
    const o = this.options;
    const mine: ReplayState['config'] = {
      stateSize: o.stateSize,
      actionSize: o.actionSize,
      imageShape: o.imageShape ? [...o.imageShape] : null,
      numEnvs: o.numEnvs,
      capacity: o.capacity,
      minLength: o.minLength,
      sampling: o.sampling,
    };
    for (const k of Object.keys(mine) as (keyof ReplayState['config'])[]) {
      if (JSON.stringify(s.config?.[k]) !== JSON.stringify(mine[k])) {
        fail(`has ${k} = ${JSON.stringify(s.config?.[k])} but the options give ${JSON.stringify(mine[k])} (a resumed replay must match the one it saved)`);
      }
    }
    if (!Number.isSafeInteger(s.nextEpisodeId) || s.nextEpisodeId < 0) fail(`has nextEpisodeId ${describe(s.nextEpisodeId)}, expected a non-negative integer`);
    if (!Number.isSafeInteger(s.checkpointSeq) || s.checkpointSeq < 0) fail(`has checkpointSeq ${describe(s.checkpointSeq)}, expected a non-negative integer`);
    if (!Array.isArray(s.episodes)) fail(`has episodes ${describe(s.episodes)}, expected [id, length][]`);
    this.#rng = Xoshiro128.fromState(s.rng);
    for (const e of s.episodes) {
      if (!Array.isArray(e) || e.length !== 2 || !Number.isSafeInteger(e[0]) || !isPosInt(e[1])) fail(`lists episode ${JSON.stringify(e)}, expected [id, length]`);
      const [id, length] = e;
      if (id >= s.nextEpisodeId) fail(`lists episode ${id} but its nextEpisodeId is ${s.nextEpisodeId}`);
      const name = episodeFileName(id, length);
      if (!existsSync(join(dir, name))) {
        const others = (files.get(id) ?? []).map((f) => f.name);
        throw new Error(
          `Replay.open: the checkpoint lists episode ${id} (${length} steps) but ${join(dir, name)} is missing` +
            (others.length ? ` (found ${others.join(', ')})` : ''),
        );
      }
      this.#load(dir, name, id, length);
    }
    this.#nextId = s.nextEpisodeId;
    this.#checkpointSeq = s.checkpointSeq;
    const c = (s.counters ?? {}) as Partial<Counters>;
    this.#counters = { stepsAdded: c.stepsAdded ?? 0, episodesCommitted: c.episodesCommitted ?? 0, episodesDropped: c.episodesDropped ?? 0, episodesDiscarded: c.episodesDiscarded ?? 0 };
    this.#version++;
    for (const [id, fs] of files) if (id >= s.nextEpisodeId) this.#stale.set(id, fs.map((f) => f.name));
    // Unfinished episodes.
    const p = s.pending;
    if (p === null || p === undefined) return;
    if (typeof p !== 'object' || typeof p.file !== 'string' || !Array.isArray(p.envs)) fail(`has pending ${JSON.stringify(p).slice(0, 80)}, expected null or {file, envs}`);
    const path = join(dir, p.file);
    if (!existsSync(path)) fail(`names the unfinished-episode file ${path}, which is missing`);
    const recs = readChunk(path, this.#g, 'pending').records;
    const got = JSON.stringify(recs.map((r) => ({ env: r.env, length: r.length })));
    const want = JSON.stringify(p.envs.map((q) => ({ env: q.env, length: q.length })));
    if (got !== want) fail(`lists unfinished episodes ${want} but ${path} holds ${got}`);
    for (const r of recs) {
      if (!Number.isInteger(r.env) || r.env < 0 || r.env >= o.numEnvs) fail(`has an unfinished episode for env ${r.env}, outside [0, ${o.numEnvs})`);
      this.#ongoing[r.env].restore(viewEpisode(this.#g, -1, r.env, r.length, r.buffer));
    }
  }

  /**
   * Deletes chunk files that neither `keep` (a checkpoint state that has been durably saved) nor this buffer
   * needs: episodes dropped before that checkpoint, pending files of earlier checkpoints, and leftover temp
   * files. Files written after it are kept. Only call it once no older checkpoint needs to stay resumable.
   * Returns the deleted file names.
   */
  pruneFiles(keep: ReplayState): string[] {
    const dir = this.options.dir;
    if (dir === null) return [];
    const listed = new Set(keep.episodes.map(([id, len]) => episodeFileName(id, len)));
    const held = new Set(this.#episodes.map((e) => episodeFileName(e.id, e.length)));
    const keepPending = keep.pending?.file ?? null;
    const deleted: string[] = [];
    for (const name of readdirSync(dir)) {
      const m = EPISODE_FILE.exec(name);
      const pm = PENDING_FILE.exec(name);
      const drop =
        (m !== null && Number(m[1]) < keep.nextEpisodeId && !listed.has(name) && !held.has(name)) ||
        (pm !== null && Number(pm[1]) < keep.checkpointSeq && name !== keepPending) ||
        /\.bin\.tmp-\d+-\d+$/.test(name);
      if (drop) {
        rmIfExists(join(dir, name));
        deleted.push(name);
      }
    }
    return deleted;
  }
}

function rmIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
