import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as AN from '@twist/autograd/node';
import { createRng, getTask } from '@twist/envs';
import { VecEnv, type BatchObs } from '@twist/envs/node';
import { tensor, type Device } from '@twist/kernels';
import type { DreamerAgent } from '../agent.js';
import { isSacRun, type AnyRunConfig, type RunConfig } from '../methods.js';
import { Replay, type ReplayState } from '../replay/index.js';
import { FLAG_FIRST, FLAG_LAST, FLAG_TERMINAL } from '../replay/format.js';
import { VisualDR } from '../visual.js';
import { loadRunAgent } from './load.js';
import { runEpisodeRound } from './rollout.js';
import { createRunDir, MetricsLog, readMetricsLog, readRunConfig, runPaths, UsageError } from './run-dir.js';

/** The checkpoint info format of training runs (train.ts): weights-only runs keep it, so every loader reads them. */
const CKPT_FORMAT_INFO = 'twist-ts/run/1';

/** A new run directory must not exist, or be an empty directory (checked before any work). */
function checkNewDir(dir: string, what: string): void {
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length)) {
    throw new UsageError(`${dir} already exists and is not an empty directory; ${what} writes a new run directory, choose another --out`);
  }
}

const dirBytes = (dir: string): number => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

/** A Dreamer run's config, refusing what has no world model and actor to load. */
function dreamerRunConfig(dir: string, what: string, stateOnly = false): RunConfig {
  const c = readRunConfig<AnyRunConfig & { kind?: string }>(dir);
  if (c.kind === 'distil') throw new UsageError(`${dir} is a distillation run; ${what} takes a training run (its deployed agent is in ${join(dir, 'deployed')})`);
  if (isSacRun(c)) throw new UsageError(`${dir} is an 'asym-sac' run: it has no world model; ${what} takes a Dreamer method's run`);
  if (stateOnly && c.world?.modality !== 'state') throw new UsageError(`${dir} is a '${c.method}' run on images; the teacher must act from the state (an oracle run)`);
  if (!AN.hasCheckpoint(runPaths(dir).ckpt)) throw new UsageError(`${dir} has no checkpoint yet (nothing in ${runPaths(dir).ckpt})`);
  return c;
}

/**
 * Saves a weights-only checkpoint into a run directory: the agent's modules (world model, actor, critic,
 * slow critic) without optimiser moments; info keeps the training loop's counters (loop, agent) and whatever
 * `extra` adds (a collection's replay state). run.json must say weightsOnly (loadRunAgent reads it).
 */
async function saveWeightsOnlyCheckpoint(dir: string, agent: DreamerAgent, config: RunConfig, info: Record<string, unknown>, extra: Record<string, unknown>): Promise<void> {
  await agent.settle();
  await AN.saveCheckpoint(runPaths(dir).ckpt, { modules: agent.parts().modules }, config, {
    format: CKPT_FORMAT_INFO,
    weightsOnly: true,
    loop: info.loop ?? null,
    agent: agent.counters(),
    ...extra,
  });
}

export interface ExportResult {
  config: RunConfig;
  envFrames: number | null;
  updates: number | null;
  /** Bytes of the checkpoint written (manifest and weights file). */
  checkpointBytes: number;
}

/**
 * `twist export --weights-only`: a copy of a Dreamer run at its last checkpoint with the modules' weights
 * only (no optimiser moments, no replay: about a third of the checkpoint), for committing a teacher or
 * shipping an agent. It loads for evaluation, collection (collectTeacherData) and, once it holds collected
 * data, distillation; it cannot resume training. Copied beside it: summary.json, curve.png/.svg and the
 * 'eval' and 'episode' rows of metrics.jsonl (the run's learning record, without the per-update rows).
 */
export async function exportWeightsOnly(opts: { run: string; out: string; device: Device }): Promise<ExportResult> {
  const src = resolve(opts.run);
  const tc = dreamerRunConfig(src, 'export');
  checkNewDir(opts.out, 'export');
  const { agent, info } = loadRunAgent(opts.device, src);
  try {
    const loop = (info.loop ?? {}) as { envFrames?: number; updates?: number };
    const { collect: _c, source: prior, ...rest } = tc;
    const config: RunConfig = {
      ...rest,
      weightsOnly: true,
      // an export of an export keeps the original source
      source: prior ?? { run: opts.run, envFrames: loop.envFrames ?? null, updates: loop.updates ?? null },
    };
    createRunDir(opts.out, config);
    await saveWeightsOnlyCheckpoint(opts.out, agent, config, info, {});
    const p = runPaths(src);
    const q = runPaths(opts.out);
    if (existsSync(p.summary)) copyFileSync(p.summary, q.summary);
    for (const ext of ['.png', '.svg']) if (existsSync(p.curve + ext)) copyFileSync(p.curve + ext, q.curve + ext);
    const m = new MetricsLog(q.metrics, 0);
    try {
      for (const row of readMetricsLog(p.metrics)) if (row.kind === 'eval' || row.kind === 'episode') m.write(row);
    } finally {
      m.close();
    }
    return { config, envFrames: loop.envFrames ?? null, updates: loop.updates ?? null, checkpointBytes: dirBytes(q.ckpt) };
  } finally {
    agent.dispose();
  }
}

/**
 * Earlier collected data to include (CollectOptions.include): a collection of the same teacher (source.run),
 * task and image size, opened at its checkpoint's replay state (its committed episodes only).
 */
function includedData(dir: string, tc: RunConfig, teacher: string, imageSize: number): { replay: Replay; episodes: number; steps: number } {
  const ic = readRunConfig<RunConfig>(dir);
  const what = `collect: --include ${dir}`;
  if (!ic.collect?.images) throw new UsageError(`${what} holds no collected images (run.json has no collect.images)`);
  if (ic.task !== tc.task) throw new UsageError(`${what} is data of task '${ic.task}', the teacher's task is '${tc.task}'`);
  if (ic.collect.imageSize !== imageSize) throw new UsageError(`${what} has ${ic.collect.imageSize}-pixel images, this collection renders ${imageSize}`);
  const mine = resolve(tc.source?.run ?? teacher);
  const theirs = resolve(ic.source?.run ?? dir);
  if (mine !== theirs) throw new UsageError(`${what} was collected with the teacher ${theirs}, this collection's teacher is ${mine} (a data set holds one teacher's data)`);
  const state = AN.readCheckpointInfo(runPaths(dir).ckpt).info.replay as ReplayState | undefined;
  if (!state) throw new UsageError(`${what}: its checkpoint holds no replay state (not a finished collection)`);
  const rc = state.config;
  const replay = Replay.open(
    runPaths(dir).replay,
    { stateSize: rc.stateSize, actionSize: rc.actionSize, imageShape: rc.imageShape, numEnvs: rc.numEnvs, capacity: rc.capacity, minLength: rc.minLength, sampling: rc.sampling, obs: 'image' },
    { ...state, pending: null },
  );
  const ids = replay.episodeIds();
  return { replay, episodes: ids.length, steps: ids.reduce((n, id) => n + replay.episode(id)!.length, 0) };
}

/** Appends every committed episode of `from` to `to` (env 0, in id order), step by step with its flags. */
function copyEpisodes(from: Replay, to: Replay): void {
  for (const id of from.episodeIds()) {
    const e = from.episode(id)!;
    const S = e.state.length / e.length;
    const A = e.action.length / e.length;
    const P = e.image ? e.image.length / e.length : 0;
    for (let t = 0; t < e.length; t++) {
      const f = e.flags[t];
      to.add(0, {
        state: e.state.subarray(t * S, (t + 1) * S),
        image: e.image ? e.image.subarray(t * P, (t + 1) * P) : undefined,
        action: e.action.subarray(t * A, (t + 1) * A),
        reward: e.reward[t],
        isFirst: (f & FLAG_FIRST) !== 0,
        // an episode that ended unfinished (truncated) is closed here, so the next one does not continue it
        isLast: (f & FLAG_LAST) !== 0 || t === e.length - 1,
        isTerminal: (f & FLAG_TERMINAL) !== 0,
      });
    }
  }
}

export interface CollectProgress {
  episodes: number;
  totalEpisodes: number;
  policySteps: number;
  totalPolicySteps: number;
  stepsPerSecond: number;
  etaSeconds: number | null;
}

export interface CollectOptions {
  /** The teacher: an oracle (state) run directory, full or weights-only, at its last checkpoint. */
  teacher: string;
  /** The new run directory (must not exist, or be empty). */
  dir: string;
  device: Device;
  episodes: number;
  /** Env seeds and DR draws as a training run with this seed (episode k: env seed seed * 100003 + k); default the teacher's. */
  seed?: number;
  /** Parallel envs (default min(episodes, 8)); the teacher acts on all of them in one batch. */
  envs?: number;
  /** Side of the rendered images (default: the teacher's collection size, else its world model's imageSize). */
  imageSize?: number;
  /** Control steps per episode (default: the teacher's). */
  episodeLength?: number;
  /** Env worker threads (default 0: in-process). */
  workers?: number;
  /**
   * Exploration noise: episode k adds N(0, actionNoise[k % length]^2) to every action the teacher samples,
   * clipped to the action range (default [0]: the teacher's own samples). A trained teacher's episodes stay
   * near its optimal states; the paper collects during the teacher's training, whose replay also holds its
   * early, poor episodes. Noise levels widen the states the data covers, so a student that errs still meets
   * states it was distilled on (DART-style). The executed (noisy) actions are stored and drive the filter.
   */
  actionNoise?: readonly number[];
  /**
   * Exogenous actions: in episode k each step's executed action is, with probability randomActions[k % length]
   * per env and step, drawn uniformly from the action range instead of the policy's (after actionNoise; default
   * [0]: never). The teacher's filter sees the executed action. Why: a teacher's action responds to the true
   * state, so in its own data the action history predicts the state (the pole leans right after a push right)
   * and a student filter learns to read the state from the actions - causal confusion (de Haan et al. 2019) that
   * turns into a closed loop with nothing from the images once the student's own actions drive. A uniform
   * action says nothing about the state it was taken in, only what it did; the paper's data hold such steps as
   * the teacher's random prefill.
   */
  randomActions?: readonly number[];
  /**
   * Another policy drives instead of the teacher (e.g. a distilled student acting from the rendered images:
   * DAgger-style rounds, so the data holds the states the student's own mistakes lead to); the stored steps
   * are the same (s_t, o_t, a_t, r_t), the teacher's latents are recomputed from the states at distillation.
   * actionNoise is added to its actions as to the teacher's. `describe` goes into run.json (source.collected.driver).
   */
  driver?: CollectDriver;
  /**
   * With a driver: the probability that a step's executed action is the driver's; otherwise it is the teacher's
   * (DAgger's mixture policy, beta = 1 - driverShare, drawn per env and step). Default 1: the driver alone. Below 1
   * the teacher acts on every step too (its filter sees the executed actions), so the episodes stay near the
   * states that matter while still holding the driver's deviations, instead of mostly a fallen system.
   */
  driverShare?: number;
  /**
   * Earlier collected data (a `collect` directory of the same teacher, task and image size): its committed
   * episodes are copied first, in order, so the new directory holds them and the new episodes (a data set that
   * grows round by round). Their returns are not counted in the result.
   */
  include?: string;
  log?: (line: string) => void;
  progress?: (p: CollectProgress) => void;
}

/** A policy that drives a collection (see CollectOptions.driver). */
export interface CollectDriver {
  /** What it is, for run.json (e.g. { kind: 'deployed', dir, updates }). */
  describe: Record<string, unknown>;
  /** The task it acts in and the side of the images it reads (checked against the collection's). */
  task: string;
  imageSize: number;
  /** Forgets its filter state (called before each round of N episodes). */
  reset(): void;
  /** The N actions [N * A] of a step from the observations (images per env rendered with train DR, states). */
  act(obs: BatchObs, isFirst: number[]): Promise<Float32Array>;
  /**
   * The actions [N * A] really executed at the step act() was last called for: its own, or the teacher's where
   * the mixture chose the teacher, with action noise or random actions applied. Called after every act(); a
   * driver with a filter conditions its next step on these, so it acts as the deployed student would from the
   * history it is really in (its own proposals would make it a different, worse-informed policy).
   */
  executed(actions: Float32Array): void;
}

export interface CollectResult {
  config: RunConfig;
  episodes: number;
  policySteps: number;
  envFrames: number;
  returns: number[];
  wallSeconds: number;
  renderSeconds: number;
}

/**
 * TWIST's matched collection with a trained teacher (paper Sec. IV, Algorithm 1 line 1, after training):
 * the Oracle acts from the state as its training loop's collection does (actions sampled from its actor on
 * the posterior filter of its world model) and every step is rendered with visual DR of the train
 * distribution re-drawn every step, through the same round as the training loop (rollout.ts), so the replay
 * holds (s_t, o_t, a_t, r_t, isFirst_t) in train --collect-images' convention. The directory it writes is a
 * weights-only run of the teacher (run.json with collect and source.collected; ckpt/ with its modules, its
 * loop counters and the replay's state; replay/), which `twist distil --teacher DIR` takes as it takes a
 * teacher trained with --collect-images. The actor's sampling noise continues the teacher's RNG stream;
 * --seed changes the env seeds and the DR draws.
 */
export async function collectTeacherData(opts: CollectOptions): Promise<CollectResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const src = resolve(opts.teacher);
  const tc = dreamerRunConfig(src, 'collect', true);
  if (!(Number.isInteger(opts.episodes) && opts.episodes > 0)) throw new UsageError(`collect: episodes must be a positive integer, got ${opts.episodes}`);
  const envs = Math.min(opts.envs ?? 8, opts.episodes);
  if (!(Number.isInteger(envs) && envs > 0)) throw new UsageError(`collect: envs must be a positive integer, got ${opts.envs}`);
  const imageSize = opts.imageSize ?? tc.collect?.imageSize ?? tc.world.imageSize;
  if (imageSize !== 32 && imageSize !== 64) throw new UsageError(`collect: the image size must be 32 or 64 (the sizes the image world model takes), got ${imageSize}`);
  const seed = opts.seed ?? tc.seed;
  if (!Number.isSafeInteger(seed)) throw new UsageError(`collect: seed must be an integer, got ${seed}`);
  const noise = opts.actionNoise ?? [0];
  if (!Array.isArray(noise) || noise.length === 0 || noise.some((v) => !(typeof v === 'number' && Number.isFinite(v) && v >= 0))) {
    throw new UsageError(`collect: actionNoise must be a non-empty list of finite stds >= 0, got ${JSON.stringify(noise)}`);
  }
  const randomP = opts.randomActions ?? [0];
  if (!Array.isArray(randomP) || randomP.length === 0 || randomP.some((v) => !(typeof v === 'number' && v >= 0 && v <= 1))) {
    throw new UsageError(`collect: randomActions must be a non-empty list of probabilities in [0, 1], got ${JSON.stringify(randomP)}`);
  }
  const anyRandom = randomP.some((v) => v > 0);
  checkNewDir(opts.dir, 'collect');
  const driver = opts.driver ?? null;
  const who = driver ? 'driver' : 'teacher';
  const share = opts.driverShare ?? 1;
  if (!(typeof share === 'number' && share >= 0 && share <= 1)) throw new UsageError(`collect: driverShare must be in [0, 1], got ${share}`);
  if (opts.driverShare !== undefined && !driver) throw new UsageError('collect: driverShare applies with a driver only');
  if (driver && driver.task !== tc.task) throw new UsageError(`collect: the driver acts in '${driver.task}', the teacher's task is '${tc.task}'`);
  if (driver && driver.imageSize !== imageSize) throw new UsageError(`collect: the driver reads ${driver.imageSize}-pixel images, this collection renders ${imageSize}`);
  const included = opts.include ? includedData(opts.include, tc, opts.teacher, imageSize) : null;
  /** Episode indices (env seeds, DR draws) continue after the included episodes, so no episode repeats one. */
  const offset = included?.episodes ?? 0;
  const episodeLength = opts.episodeLength ?? tc.episodeLength;
  const task = getTask(tc.task, 'collect');
  const actionRepeat = task.defaultActionRepeat;
  const S = tc.world.stateSize;
  const Aa = tc.world.actionSize;
  const device = opts.device;

  const { agent, info } = loadRunAgent(device, src);
  const loop = (info.loop ?? {}) as { envFrames?: number; updates?: number };
  const config: RunConfig = {
    ...tc,
    ...(episodeLength !== undefined ? { episodeLength } : {}),
    collect: { images: true, imageSize, domain: 'train', perStep: true },
    weightsOnly: true,
    source: {
      run: tc.source?.run ?? opts.teacher,
      envFrames: tc.source?.envFrames ?? loop.envFrames ?? null,
      updates: tc.source?.updates ?? loop.updates ?? null,
      collected: {
        episodes: opts.episodes,
        seed,
        envs,
        domain: 'train',
        ...(noise.some((v) => v > 0) ? { actionNoise: [...noise] } : {}),
        ...(anyRandom ? { randomActions: [...randomP] } : {}),
        ...(driver ? { driver: { ...driver.describe, ...(share < 1 ? { share } : {}) } } : {}),
        ...(included ? { included: { dir: resolve(opts.include!), episodes: included.episodes }, firstEpisode: offset } : {}),
      },
    },
  };
  const paths = runPaths(opts.dir);
  const perEpisode = Math.ceil((episodeLength ?? task.episodeLength) / actionRepeat);
  const total = { episodes: opts.episodes, policySteps: opts.episodes * perEpisode };
  const counters = { policySteps: 0, envFrames: 0 };
  const returns: number[] = [];
  let renderSeconds = 0;
  let vec: VecEnv | null = null;
  try {
    createRunDir(opts.dir, config);
    mkdirSync(paths.replay, { recursive: true });
    const replay = new Replay({
      capacity: Math.max(tc.agent.loop.replayCapacity, (offset + opts.episodes) * (perEpisode + 1), included?.steps ?? 0),
      stateSize: S,
      actionSize: Aa,
      numEnvs: envs,
      imageShape: [imageSize, imageSize, 3],
      obs: 'image',
      seed: seed + 31337,
      dir: paths.replay,
    });
    if (included) {
      copyEpisodes(included.replay, replay);
      log(`included ${included.episodes} episodes (${included.steps} steps) of ${opts.include}`);
    }
    let rate = { t: performance.now(), steps: 0 };
    let sps = 0;
    const report = () => {
      const now = performance.now();
      if (now - rate.t > 2000) {
        sps = (counters.policySteps - rate.steps) / ((now - rate.t) / 1000);
        rate = { t: now, steps: counters.policySteps };
      }
      opts.progress?.({ episodes: returns.length, totalEpisodes: total.episodes, ...counters, totalPolicySteps: total.policySteps, stepsPerSecond: sps, etaSeconds: sps > 0 ? (total.policySteps - counters.policySteps) / sps : null });
    };
    let dr: VisualDR | null = null;
    while (returns.length < opts.episodes) {
      // the last round may have fewer envs: env i of every round keeps its index (in the replay and the DR draws)
      const n = Math.min(envs, opts.episodes - returns.length);
      if (!vec || vec.num !== n) {
        if (dr) renderSeconds += dr.renderSeconds;
        await vec?.close();
        vec = null;
        dr = new VisualDR(device, 'train', n, true, seed, imageSize);
        vec = await VecEnv.create(tc.task, { num: n, workers: opts.workers ?? 0, seed, ...(episodeLength ? { episodeLength } : {}), renderBatch: dr.render });
      }
      const first = returns.length;
      const seeds = Array.from({ length: n }, (_, i) => seed * 100_003 + offset + first + i);
      agent.resetPolicy();
      driver?.reset();
      const sigma = Array.from({ length: n }, (_, i) => noise[(first + i) % noise.length]);
      const noiseRng = createRng(seed * 7_919 + first + 1);
      const gauss = () => Math.sqrt(-2 * Math.log(1 - noiseRng.next())) * Math.cos(2 * Math.PI * noiseRng.next());
      const mixRng = createRng(seed * 7_927 + first + 1);
      const pRandom = Array.from({ length: n }, (_, i) => randomP[(first + i) % randomP.length]);
      const randomRng = createRng(seed * 7_933 + first + 1);
      const teacherAct = async (o: BatchObs, isFirst: number[]) => {
        const x = tensor(device, o.state, [n, S]);
        try {
          return await agent.act(x, isFirst, 'sample');
        } finally {
          x.dispose();
        }
      };
      const act = async (o: BatchObs, isFirst: number[]) => {
        let action: Float32Array;
        if (driver) {
          action = await driver.act(o, isFirst);
          if (action.length !== n * Aa) throw new Error(`collect: the driver gave ${action.length} action values for ${n} envs x ${Aa}`);
          if (share < 1) {
            // DAgger's mixture: env i executes the teacher's action at this step with probability 1 - share
            const t = await teacherAct(o, isFirst);
            for (let i = 0; i < n; i++) if (mixRng.next() >= share) action.set(t.subarray(i * Aa, (i + 1) * Aa), i * Aa);
          }
        } else {
          action = await teacherAct(o, isFirst);
        }
        const at = action.findIndex((v) => !Number.isFinite(v));
        if (at >= 0) throw new Error(`collect: the ${who}'s action ${Math.floor(at / Aa)}[${at % Aa}] is ${action[at]} (its weights or latent state are not finite)`);
        if (sigma.some((v) => v > 0)) {
          // a = clip(a_teacher + N(0, sigma_i^2), -1, 1); the teacher's filter then sees what was executed
          for (let k = 0; k < action.length; k++) {
            const s = sigma[Math.floor(k / Aa)];
            if (s > 0) action[k] = Math.min(1, Math.max(-1, action[k] + s * gauss()));
          }
          if (!driver) agent.executed(action);
        }
        let replaced = false;
        if (anyRandom) {
          // with probability p_i the step's action is U(-1, 1)^A, drawn whatever the policy chose (exogenous)
          for (let i = 0; i < n; i++) {
            if (randomRng.next() >= pRandom[i]) continue;
            for (let k = 0; k < Aa; k++) action[i * Aa + k] = 2 * randomRng.next() - 1;
            replaced = true;
          }
        }
        if ((driver && share < 1) || (replaced && !driver)) agent.executed(action);
        driver?.executed(action);
        return action;
      };
      const r = await runEpisodeRound({ vec, dr, replay, N: n, S, Aa, actionRepeat }, seeds, offset + first, counters, act, async () => report());
      returns.push(...r);
      const tag = (noise.some((v) => v > 0) ? ` (action noise ${sigma.join(', ')})` : '') + (anyRandom ? ` (random actions p ${pRandom.join(', ')})` : '');
      log(`episodes ${returns.length}/${opts.episodes}: ${who} return ${r.map((x) => x.toFixed(1)).join(', ')}${tag} (${counters.policySteps} policy steps)`);
    }
    if (dr) renderSeconds += dr.renderSeconds;
    const wallSeconds = (performance.now() - t0) / 1000;
    await saveWeightsOnlyCheckpoint(opts.dir, agent, config, info, {
      replay: replay.checkpointState(),
      collected: { episodes: opts.episodes, included: offset, seed, envs, imageSize, actionNoise: [...noise], randomActions: [...randomP], policySteps: counters.policySteps, envFrames: counters.envFrames, returns, wallSeconds, renderSeconds },
    });
    return { config, episodes: returns.length, ...counters, returns, wallSeconds, renderSeconds };
  } finally {
    await vec?.close();
    agent.dispose();
  }
}
