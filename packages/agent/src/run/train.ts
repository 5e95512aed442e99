import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as AN from '@twist/autograd/node';
import { getTask } from '@twist/envs';
import { VecEnv, type BatchObs } from '@twist/envs/node';
import type { CheckpointParts, SkipWatch } from '@twist/autograd';
import { tensor, type Device, type Tensor } from '@twist/kernels';
import { readMetrics } from '@twist/rssm';
import { DreamerAgent, MAX_CONSECUTIVE_SKIPS } from '../agent.js';
import { concatImages, evaluate, type Actor, type EvalReport } from '../eval.js';
import { getMethod, isSacRun, makeRunConfig, type AnyRunConfig, type RunOverrides } from '../methods.js';
import { Replay, type ReplayState } from '../replay/index.js';
import { createSacAgent, sacUpdateFromReplay } from '../sac/learner.js';
import { SplitMix } from '../rng.js';
import { VisualDR } from '../visual.js';
import { writeCurve } from './curve.js';
import { runEpisodeRound } from './rollout.js';
import { writeRunSummary } from './summary.js';
import { asRunError, LossWatch } from './non-finite.js';
import { createRunDir, MetricsLog, readRunConfig, runPaths, UsageError } from './run-dir.js';

export interface TrainProgress {
  phase: 'prefill' | 'train' | 'eval' | 'checkpoint' | 'done';
  envFrames: number;
  steps: number;
  updates: number;
  framesPerSecond: number;
  lastEval: number | null;
  etaSeconds: number | null;
}

export interface TrainOptions {
  dir: string;
  device: Device;
  /** Continue the run in `dir` from its last checkpoint (the other run options then come from run.json). */
  resume?: boolean;
  method?: string;
  task?: string;
  preset?: string;
  seed?: number;
  /** Env-step budget in frames; on resume it may raise the run's budget. */
  steps?: number;
  overrides?: RunOverrides;
  /** Control steps per episode (default: the task's, 1000). Smaller for tests and smoke runs. */
  episodeLength?: number;
  /** Env worker threads (default 0: in-process; physics is cheap beside the model). */
  workers?: number;
  log?: (line: string) => void;
  progress?: (p: TrainProgress) => void;
  /**
   * TWIST's matched collection (paper Sec. IV, Algorithm 1): a state-input run also renders every step with
   * visual DR re-drawn from the train distribution, so the replay holds (s_t, o_t, a_t, r_t) of the same steps.
   */
  collectImages?: boolean;
  /** Image side of the collected images (default: the world model config's imageSize). */
  collectImageSize?: number;
  /** The command line that started or resumed the run (recorded in summary.json). */
  command?: string;
  /** Stop as if killed right after this many checkpoints of this process (tests of resume). */
  stopAfterCheckpoints?: number;
}

/** The loop's counters: all of it is in every checkpoint, so a resumed run continues exactly. */
interface LoopState {
  envFrames: number;
  policySteps: number;
  updates: number;
  /** Policy step at which training started (first step with policySteps >= prefill and a sampleable replay). */
  trainStart: number | null;
  episodes: number;
  nextEvalAt: number;
  nextCkptAt: number;
  hostRng: string;
  wallSeconds: number;
  evals: { envFrames: number; mean: number; returns: number[] }[];
  references: EvalReport['references'] | null;
}

export interface TrainResult {
  config: AnyRunConfig;
  envFrames: number;
  policySteps: number;
  updates: number;
  wallSeconds: number;
  lastEval: EvalReport | null;
  stoppedEarly: boolean;
}

import { NonFiniteLossError } from './non-finite.js';
export { NonFiniteLossError };

const CKPT_FORMAT_INFO = 'twist-ts/run/1';

/** What the loop uses of an agent: DreamerAgent and SacAgent both have it. */
interface LoopAgent {
  act(obs: Tensor, isFirst: ArrayLike<number>, mode: 'sample' | 'mode'): Promise<Float32Array>;
  resetPolicy(): void;
  parts(): CheckpointParts;
  /** Host-side bookkeeping of the last update finished (before counters() and a checkpoint). */
  settle(): Promise<void>;
  /** Stops update() after MAX_CONSECUTIVE_SKIPS skipped steps in a row; asked before each checkpoint. */
  readonly skipWatch: SkipWatch;
  counters(): unknown;
  restoreCounters(c: any): void;
  dispose(): void;
}

/** A run's agent and how one update draws its batch from the replay. */
interface Learner {
  agent: LoopAgent;
  update(replay: Replay): Promise<Record<string, Tensor | undefined>>;
}

/**
 * The agent of a run from its method: a DreamerAgent (sequences of `length` steps, the world model's batch) or
 * a SacAgent (single transitions, src/sac/learner.ts).
 */
function createLearner(device: Device, config: AnyRunConfig, resuming: boolean): Learner {
  const loopCfg = config.agent.loop;
  if (isSacRun(config)) {
    const agent = createSacAgent(device, config, { loading: resuming });
    return { agent, update: (replay) => sacUpdateFromReplay(device, agent, replay, loopCfg.batch) };
  }
  const agent = new DreamerAgent(device, config.world, config.agent);
  const image = getMethod(config.method).modality === 'image';
  const isFirstHost = new Float32Array(loopCfg.batch * loopCfg.length);
  for (let i = 0; i < loopCfg.batch; i++) isFirstHost[i * loopCfg.length] = 1;
  const update = async (replay: Replay) => {
    const b = replay.sample(device, loopCfg.batch, loopCfg.length, { obs: image ? 'image' : 'state' });
    try {
      // The replay samples windows inside one episode, so the only episode start of a sequence is t = 0: the
      // host-side hint lets observe skip the reset masks elsewhere (bit-identical, fewer dispatches).
      return { ...(await agent.update({ obs: b.obs, actions: b.actions, rewards: b.rewards, isFirst: b.isFirst, state: b.state, cont: b.cont, isFirstHost })) };
    } finally {
      for (const t of Object.values(b)) (t as Tensor).dispose();
    }
  };
  return { agent, update };
}

/**
 * One training loop for every method (V2 `train.py`; asym-sac's agent through the same interface, see
 * createLearner): prefill with uniform random actions, `pretrain`
 * updates, then `trainSteps` updates every `trainEvery` policy steps; action repeat from the task; episodes
 * stepped in a VecEnv; periodic evaluation with the actor's mode; metrics as JSON lines; checkpoints of
 * everything (modules, optimisers, RNG counters, replay position, loop counters).
 *
 * Episodes of all envs start together (fixed-length tasks keep them in step), and evaluation and checkpoints
 * happen between such rounds: there is no half-finished episode to save, so a resumed run continues exactly
 * where the uninterrupted run would be, and `--resume` reaches the same result bit for bit (CPU backend).
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const paths = runPaths(opts.dir);
  const device = opts.device;

  // -- the run's config: new, or from run.json on resume
  let config: AnyRunConfig;
  if (opts.resume) {
    config = readRunConfig<AnyRunConfig>(opts.dir);
    if (!isSacRun(config) && config.weightsOnly) throw new UsageError(`${opts.dir} holds weights only (no optimiser state, no replay of its training): it can be evaluated, collected from or distilled, not resumed`);
    if (opts.method && opts.method !== config.method) throw new UsageError(`${opts.dir} is a '${config.method}' run, not '${opts.method}'`);
    if (opts.task && opts.task !== config.task) throw new UsageError(`${opts.dir} is a run on '${config.task}', not '${opts.task}'`);
    if (opts.steps !== undefined && opts.steps !== config.steps) {
      if (!(Number.isInteger(opts.steps) && opts.steps > 0)) throw new UsageError(`--steps must be a positive integer, got ${opts.steps}`);
      config = { ...config, steps: opts.steps };
      AN.writeFileAtomic(paths.config, JSON.stringify(config, null, 2) + '\n');
    }
  } else {
    if (!opts.method || !opts.task) throw new UsageError('train: method and task are required for a new run');
    let spec;
    try {
      spec = getTask(opts.task, 'train');
      config = makeRunConfig(
        opts.method,
        { name: spec.name, stateSize: spec.stateLabels.length, actionSize: spec.actionLabels.length },
        opts.preset ?? 'quick',
        opts.seed ?? 0,
        opts.steps ?? 100_000,
        opts.overrides,
      );
    } catch (e) {
      // a bad method, task, preset or config key: a usage error, and nothing has been written yet
      throw new UsageError((e as Error).message);
    }
    if (opts.episodeLength !== undefined) config.episodeLength = opts.episodeLength;
    if (opts.collectImages) {
      if (isSacRun(config) || getMethod(config.method).modality !== 'state') throw new UsageError(`--collect-images is for state-input methods (oracle): '${config.method}' already sees images`);
      const size = opts.collectImageSize ?? config.world.imageSize;
      if (size !== 32 && size !== 64) throw new UsageError(`collectImageSize must be 32 or 64 (the sizes the image world model takes), got ${size}`);
      config.collect = { images: true, imageSize: size, domain: 'train', perStep: true };
    }
    createRunDir(opts.dir, config);
  }
  const episodeLength = config.episodeLength;
  const collect = config.collect ?? null;
  const method = getMethod(config.method);
  const loopCfg = config.agent.loop;
  const task = getTask(config.task, 'train');
  const actionRepeat = task.defaultActionRepeat;
  const N = loopCfg.envs;
  const S = config.world.stateSize;
  const Aa = config.world.actionSize;
  // What the acting policy sees (asym-sac's state-input variant, a test configuration, sees the state).
  const image = isSacRun(config) ? config.world.modality === 'image' : method.modality === 'image';
  // Images are rendered when the agent sees them, or when they are collected for a TWIST student.
  const rendered = image || !!collect;
  const imageSize = collect ? collect.imageSize : config.world.imageSize;

  // -- agent, replay, state: fresh or from the checkpoint
  const resumed = opts.resume && AN.hasCheckpoint(paths.ckpt);
  const learner = createLearner(device, config, !!resumed);
  const agent = learner.agent;
  const replayOpts = {
    capacity: loopCfg.replayCapacity,
    stateSize: S,
    actionSize: Aa,
    numEnvs: N,
    imageShape: rendered ? ([imageSize, imageSize, 3] as [number, number, number]) : undefined,
    obs: image ? ('image' as const) : ('state' as const),
    seed: config.seed + 31337,
  };
  let replay: Replay;
  let st: LoopState;
  let metrics: MetricsLog;
  if (resumed) {
    const { info } = AN.loadCheckpoint(paths.ckpt, agent.parts());
    if (info.format !== CKPT_FORMAT_INFO) throw new Error(`${paths.ckpt}: not a checkpoint of a training run (format ${JSON.stringify(info.format)})`);
    agent.restoreCounters(info.agent as Record<string, unknown>);
    st = info.loop as LoopState;
    replay = Replay.open(paths.replay, replayOpts, info.replay as ReplayState);
    metrics = new MetricsLog(paths.metrics, info.metricsBytes as number);
    log(`resumed ${opts.dir} at ${st.envFrames} env steps, ${st.updates} updates (checkpoint)`);
  } else {
    if (opts.resume) log(`${opts.dir} has no checkpoint yet: starting it from the beginning`);
    rmSync(paths.replay, { recursive: true, force: true });
    mkdirSync(paths.replay, { recursive: true });
    replay = new Replay({ ...replayOpts, dir: paths.replay });
    metrics = new MetricsLog(paths.metrics, 0);
    st = {
      envFrames: 0,
      policySteps: 0,
      updates: 0,
      trainStart: null,
      episodes: 0,
      nextEvalAt: loopCfg.evalEvery,
      nextCkptAt: loopCfg.checkpointEvery,
      hostRng: new SplitMix(config.seed + 99991).save(),
      wallSeconds: 0,
      evals: [],
      references: null,
    };
  }
  const hostRng = new SplitMix(0);
  hostRng.restore(st.hostRng);
  const wallBefore = st.wallSeconds;

  const dr = collect
    ? new VisualDR(device, 'train', N, true, config.seed, imageSize)
    : image
      ? new VisualDR(device, method.trainDR === 'none' ? 'none' : 'train', N, method.trainDR === 'train-every-step', config.seed, imageSize)
      : null;
  const vec = await VecEnv.create(config.task, {
    num: N,
    workers: opts.workers ?? 0,
    seed: config.seed,
    ...(episodeLength ? { episodeLength } : {}),
    ...(dr ? { renderBatch: dr.render } : {}),
  });
  const evalActor: Actor = {
    observes: image ? 'image' : 'state',
    imageSize,
    act: (o, f, m) => agent.act(o, f, m),
    resetPolicy: () => agent.resetPolicy(),
  };
  let checkpoints = 0;
  let lastEval: EvalReport | null = null;
  let lastRate = { t: performance.now(), frames: st.envFrames };
  let fps = 0;
  const report = (phase: TrainProgress['phase']) => {
    const now = performance.now();
    if (now - lastRate.t > 2000) {
      fps = (st.envFrames - lastRate.frames) / ((now - lastRate.t) / 1000);
      lastRate = { t: now, frames: st.envFrames };
    }
    opts.progress?.({
      phase,
      envFrames: st.envFrames,
      steps: config.steps,
      updates: st.updates,
      framesPerSecond: fps,
      lastEval: st.evals.length ? st.evals[st.evals.length - 1].mean : null,
      etaSeconds: fps > 0 ? (config.steps - st.envFrames) / fps : null,
    });
  };

  const obsTensor = (o: { state: Float32Array; image: Uint8Array[] | null }): Tensor =>
    image ? tensor(device, concatImages(o.image!), [N, imageSize, imageSize, 3], 'u8') : tensor(device, o.state, [N, S]);

  // Non-finite numbers (see non-finite.ts): a skipped step is logged and the run goes on; it stops when the
  // agent's SkipWatch or this LossWatch sees MAX_CONSECUTIVE_SKIPS in a row.
  const lossWatch = new LossWatch(MAX_CONSECUTIVE_SKIPS);
  const doUpdate = async () => {
    let m;
    try {
      m = await learner.update(replay);
    } catch (e) {
      throw asRunError(e, `update ${st.updates + 1}, env step ${st.envFrames}`, paths.ckpt);
    }
    st.updates++;
    if (st.updates % loopCfg.logEvery === 0 || st.updates === 1) {
      const vals = await readMetrics(m);
      const bad = lossWatch.observe(vals, `update ${st.updates}, env step ${st.envFrames}`, paths.ckpt);
      if (bad.length) log(`warning: non-finite ${bad.join(', ')} at update ${st.updates}, env step ${st.envFrames}: that step is skipped; the run stops after ${MAX_CONSECUTIVE_SKIPS} in a row`);
      metrics.write({ kind: 'train', envFrames: st.envFrames, policySteps: st.policySteps, updates: st.updates, ...vals });
    }
    for (const t of Object.values(m)) (t as Tensor | undefined)?.dispose();
  };

  const saveCheckpoint = async () => {
    report('checkpoint');
    st.hostRng = hostRng.save();
    st.wallSeconds = wallBefore + (performance.now() - t0) / 1000;
    await agent.settle(); // the return scale's pending readback belongs to this checkpoint
    await AN.saveCheckpoint(paths.ckpt, agent.parts(), config, {
      format: CKPT_FORMAT_INFO,
      loop: st,
      agent: agent.counters(),
      replay: replay.checkpointState(),
      metricsBytes: metrics.bytes,
    });
    checkpoints++;
  };

  let stoppedEarly = false;
  try {
    while (st.envFrames < config.steps) {
      // ---- one round: an episode in every env (rollout.ts: the convention of every stored step)
      const seeds = Array.from({ length: N }, (_, i) => config.seed * 100_003 + st.episodes + i);
      agent.resetPolicy();
      const act = async (o: BatchObs, isFirst: number[]): Promise<Float32Array> => {
        if (st.policySteps < loopCfg.prefill) return Float32Array.from({ length: N * Aa }, () => hostRng.uniform(-1, 1));
        const x = obsTensor(o);
        let action: Float32Array;
        try {
          action = await agent.act(x, isFirst, 'sample');
        } finally {
          x.dispose();
        }
        // The action is on the host anyway: a non-finite one means the agent itself has gone non-finite.
        const at = action.findIndex((v) => !Number.isFinite(v));
        if (at >= 0) {
          throw new NonFiniteLossError(`non-finite policy: action ${Math.floor(at / Aa)}[${at % Aa}] = ${action[at]} at update ${st.updates}, env step ${st.envFrames} (the agent's parameters or latent state are no longer finite); the last good checkpoint is in ${paths.ckpt}`);
        }
        return action;
      };
      // ---- training at the train ratio: pretrain updates once, then trainSteps every trainEvery policy steps
      const afterStep = async () => {
        if (st.trainStart === null && st.policySteps >= loopCfg.prefill && replay.canSample(loopCfg.length)) st.trainStart = st.policySteps;
        if (st.trainStart !== null) {
          const due = loopCfg.pretrain + loopCfg.trainSteps * Math.floor((st.policySteps - st.trainStart) / loopCfg.trainEvery);
          while (st.updates < due) await doUpdate();
        }
        report(st.trainStart === null ? 'prefill' : 'train');
      };
      const returns = await runEpisodeRound({ vec, dr, replay, N, S, Aa, actionRepeat }, seeds, st.episodes, st, act, afterStep);
      st.episodes += N;
      metrics.write({ kind: 'episode', envFrames: st.envFrames, policySteps: st.policySteps, episodes: st.episodes, returns, wallSeconds: wallBefore + (performance.now() - t0) / 1000, ...(dr ? { renderSeconds: dr.renderSeconds } : {}) });
      log(`episodes ${st.episodes}: train return ${returns.map((r) => r.toFixed(1)).join(', ')} at ${st.envFrames} env steps, ${st.updates} updates`);

      // ---- evaluation and checkpoint between rounds
      const end = st.envFrames >= config.steps;
      if (st.envFrames >= st.nextEvalAt || end) {
        report('eval');
        lastEval = await evaluate(device, evalActor, {
          task: config.task,
          domain: method.evalDomain,
          episodes: loopCfg.evalEpisodes,
          seed: 1_000_000 + config.seed * 1000,
          references: st.references === null,
          episodeLength,
        });
        if (lastEval.references) st.references = lastEval.references;
        else lastEval.references = st.references ?? undefined;
        st.evals.push({ envFrames: st.envFrames, mean: lastEval.mean, returns: lastEval.returns });
        while (st.nextEvalAt <= st.envFrames) st.nextEvalAt += loopCfg.evalEvery;
        metrics.write({ kind: 'eval', envFrames: st.envFrames, wallSeconds: wallBefore + (performance.now() - t0) / 1000, domain: lastEval.domain, returns: lastEval.returns, mean: lastEval.mean, std: lastEval.std, references: st.references });
        log(`eval at ${st.envFrames} env steps (${lastEval.domain}): mean return ${lastEval.mean.toFixed(1)} over ${lastEval.episodes} episodes (zero-action ${st.references?.zero.mean.toFixed(1)}, random ${st.references?.random.mean.toFixed(1)})`);
        writeCurve(paths.curve, paths.metrics, `${config.method} on ${config.task} (${config.preset}, seed ${config.seed})`);
        writeRunSummary(opts.dir, { adapter: device.label, command: opts.command ?? null, wallSeconds: wallBefore + (performance.now() - t0) / 1000 });
      }
      // No checkpoint while an optimiser's latest step was skipped: it would hold a run going non-finite; the
      // next round tries again (nextCkptAt stays).
      const skipping = st.envFrames >= st.nextCkptAt || end ? await agent.skipWatch.streaking() : [];
      if (skipping.length) log(`checkpoint deferred at ${st.envFrames} env steps: the ${skipping.join(', ')} optimiser skipped its latest step (non-finite gradients)`);
      else if (st.envFrames >= st.nextCkptAt || end) {
        while (st.nextCkptAt <= st.envFrames) st.nextCkptAt += loopCfg.checkpointEvery;
        await saveCheckpoint();
        if (opts.stopAfterCheckpoints !== undefined && checkpoints >= opts.stopAfterCheckpoints && !end) {
          stoppedEarly = true;
          break;
        }
      }
    }
    report('done');
  } finally {
    metrics.close();
    await vec.close();
    agent.dispose();
  }
  return {
    config,
    envFrames: st.envFrames,
    policySteps: st.policySteps,
    updates: st.updates,
    wallSeconds: wallBefore + (performance.now() - t0) / 1000,
    lastEval,
    stoppedEarly,
  };
}

/** Whether a run directory has a checkpoint to resume from. */
export function hasRunCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'run.json')) && AN.hasCheckpoint(runPaths(dir).ckpt);
}
