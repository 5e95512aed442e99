import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as AN from '@twist/autograd/node';
import type { Device, Tensor } from '@twist/kernels';
import { Actor, MAX_CONSECUTIVE_SKIPS, Xoshiro128, type RunConfig } from '@twist/agent';
import { asRunError, createRunDir, evaluate, loadRunAgent, LossWatch, MetricsLog, readRunConfig, Replay, returnsByBackground, RunUsageError as UsageError, runPaths, type EvalReport, type ReplayState } from '@twist/agent/node';
import { WorldModel, type DeepPartial, type WorldModelConfig } from '@twist/rssm';
import { readCheckpointConfig } from '@twist/rssm/node';
import { makeDistilConfig, type Ablations, type DistilConfig, type DistilOverrides } from './config.js';
import { writeDistilCurve } from './curve.js';
import { actorSpecOf, DeployedAgent, DEPLOYED_FORMAT, latentCheck, teacherStateActor, type DeployedConfig, type LatentCheckReport } from './deployed.js';
import { Distiller, readDistilMetrics, type DistillerCounters, type Teacher } from './distiller.js';
import { makeStudentConfig } from './student.js';

/** run.json of a distillation run. */
export interface DistilRunConfig {
  kind: 'distil';
  /** The teacher's run directory (absolute), its method and how far it had trained when distilled. */
  teacher: string;
  teacherMethod: string;
  teacherCheckpoint: { envFrames: number | null; updates: number | null };
  task: string;
  preset: string;
  seed: number;
  episodeLength?: number;
  /** Side of the collected images (the student's input). */
  imageSize: number;
  distil: DistilConfig;
  student: WorldModelConfig;
  /** The student started from these weights (a deployed agent's directory) instead of a fresh initialisation. */
  init?: { dir: string; updates: number | null };
}

export interface DistilProgress {
  phase: 'teacher-eval' | 'distil' | 'eval' | 'checkpoint' | 'latent-check' | 'done';
  updates: number;
  steps: number;
  updatesPerSecond: number;
  lastEval: number | null;
  etaSeconds: number | null;
}

export interface DistilOptions {
  dir: string;
  device: Device;
  /** Continue the run in `dir` from its last checkpoint (its config comes from run.json). */
  resume?: boolean;
  /** The teacher run directory: a state run (oracle) trained with collectImages. */
  teacher?: string;
  /** Distillation and student sizes (default: the teacher's preset). */
  preset?: string;
  /** Seed of the student's initialisation and of the distillation's RNGs (default: the teacher's seed). */
  seed?: number;
  /** Distillation updates; on resume it may raise (or lower) the run's budget. */
  steps?: number;
  overrides?: DistilOverrides;
  ablations?: Ablations;
  studentOverrides?: DeepPartial<WorldModelConfig>;
  /**
   * A new run's student starts from the encoder and RSSM of this deployed agent (a distil run's deployed/):
   * e.g. an earlier round's student continued on data it collected itself (twist collect --driver). Its
   * config must be the student's (the same sizes; the seed may differ); the optimiser starts fresh.
   */
  init?: string;
  /** Episodes of the latent check at the end (default 1; 0 skips it). */
  latentEpisodes?: number;
  log?: (line: string) => void;
  progress?: (p: DistilProgress) => void;
  /** Stop as if killed right after this many checkpoints of this process (tests of resume). */
  stopAfterCheckpoints?: number;
  /** The command line that started or resumed the run (recorded in summary.json). */
  command?: string;
}

export interface DistilResult {
  config: DistilRunConfig;
  updates: number;
  wallSeconds: number;
  /** The deployed agent's last held-out evaluation. */
  lastEval: EvalReport | null;
  /** The teacher's return on the state (its own input), on the same seeds. */
  teacherEval: { mean: number; returns: number[] } | null;
  references: EvalReport['references'] | null;
  latent: LatentCheckReport | null;
  stoppedEarly: boolean;
}

interface DistilLoopState {
  updates: number;
  nextEvalAt: number;
  nextCkptAt: number;
  wallSeconds: number;
  /** backgrounds: each episode's background family (EvalReport.backgrounds; absent in checkpoints before 2026-12-03) */
  evals: { updates: number; mean: number; std: number; returns: number[]; backgrounds?: string[] }[];
  teacherEval: { mean: number; returns: number[] } | null;
  references: EvalReport['references'] | null;
}

const CKPT_FORMAT = 'twist-ts/distil/1';

/** The directory layout of a distillation run: the agent's (run.json, ckpt, metrics, curve, eval, summary) plus deployed/. */
export function distilPaths(dir: string) {
  return { ...runPaths(dir), deployed: join(dir, 'deployed') };
}

/** Whether dir is a distillation run (run.json with kind 'distil'). */
export function isDistilRun(dir: string): boolean {
  try {
    return readRunConfig<{ kind?: string }>(dir).kind === 'distil';
  } catch {
    return false;
  }
}

/**
 * Per-dimension mean and standard deviation of the state over every committed step of a replay (two passes, in
 * f64); a dimension with (near) zero spread gets std 1e-3, so that standardising it stays finite.
 */
export function replayStateStats(replay: Replay): { mean: number[]; std: number[] } {
  const { stateSize } = replay.options;
  const sum = new Float64Array(stateSize);
  let n = 0;
  const ids = replay.episodeIds();
  for (const id of ids) {
    const ep = replay.episode(id)!;
    for (let t = 0; t < ep.length; t++) for (let k = 0; k < stateSize; k++) sum[k] += ep.state[t * stateSize + k];
    n += ep.length;
  }
  if (n === 0) throw new Error('replayStateStats: the replay holds no committed step');
  const mean = Array.from(sum, (x) => x / n);
  const sq = new Float64Array(stateSize);
  for (const id of ids) {
    const ep = replay.episode(id)!;
    for (let t = 0; t < ep.length; t++) for (let k = 0; k < stateSize; k++) sq[k] += (ep.state[t * stateSize + k] - mean[k]) ** 2;
  }
  return { mean, std: Array.from(sq, (x) => Math.max(Math.sqrt(x / n), 1e-3)) };
}

/**
 * The deployed agent's directory that PATH names: a distillation run's deployed/ (written at the run's first
 * checkpoint), or PATH itself when it is a deployed agent's directory. `what` names the asker in the error
 * (e.g. 'twist collect: --driver'). The one place the CLI's --driver, --init and eval --run resolve it.
 */
export function resolveDeployedDir(path: string, what: string): string {
  const run = isDistilRun(path);
  const dir = run ? distilPaths(path).deployed : path;
  if (!existsSync(join(dir, 'checkpoint.json'))) {
    throw new UsageError(
      run
        ? `${what} ${path}: the distillation run has no deployed agent yet (nothing in ${dir}; it is written at the run's first checkpoint)`
        : `${what} ${path} is neither a distillation run nor a deployed agent's directory (no ${join(dir, 'checkpoint.json')})`,
    );
  }
  return dir;
}

/** --init's deployed agent, read once: its directory (absolute), updates and actor sizes; refuses a student of other sizes. */
interface InitSource {
  dir: string;
  updates: number | null;
  actor: DeployedConfig['actor'];
}
function readInitSource(dir: string, student: WorldModelConfig): InitSource {
  let c: DeployedConfig;
  try {
    c = readCheckpointConfig(dir) as DeployedConfig;
  } catch (e) {
    throw new UsageError(`distil: --init ${dir} is not a deployed agent's directory (${(e as Error).message.split('\n')[0]})`);
  }
  if (c?.format !== DEPLOYED_FORMAT) throw new UsageError(`distil: --init ${dir} is not a deployed TWIST agent (config format ${JSON.stringify(c?.format)})`);
  // seed and the state decoder's keys may differ: only the encoder and RSSM are loaded (a state decoder starts fresh)
  const free = new Set(['seed', 'stateRecon', 'stateReconFrom']);
  const strip = (w: WorldModelConfig) => JSON.stringify({ ...w, seed: 0, stateRecon: false, stateReconFrom: undefined });
  if (strip(c.student) !== strip(student)) {
    const diff = Object.keys({ ...c.student, ...student }).filter((k) => !free.has(k) && JSON.stringify((c.student as any)[k]) !== JSON.stringify((student as any)[k]));
    throw new UsageError(`distil: --init ${dir} holds a student of another config (differs in ${diff.join(', ')}) than this run's`);
  }
  return { dir: resolve(dir), updates: (c.source?.updates as number | undefined) ?? null, actor: c.actor };
}

/** Loads the encoder and RSSM weights of --init's deployed agent into the student (its actor's are read into a scratch actor and dropped). */
function initStudent(device: Device, src: InitSource, student: WorldModel): void {
  const a = src.actor;
  const scratch = new Actor({ device, seed: 0 }, a.featureSize, a.actionSize, a.layers, a.act, a.minStd);
  try {
    AN.loadCheckpoint(src.dir, { modules: { encoder: student.encoder, rssm: student.rssm, actor: scratch } });
  } finally {
    scratch.dispose();
  }
}

/**
 * A frozen teacher from a run directory: its world model and actor at the last checkpoint. Everything else the
 * run's agent holds (its optimisers' state, the critics) is freed at once: a frozen teacher has no optimiser state.
 */
export function loadTeacher(device: Device, dir: string): { teacher: Teacher; config: RunConfig; info: Record<string, unknown>; dispose: () => void } {
  const { agent, config, info } = loadRunAgent(device, dir);
  agent.wmTrainer.dispose();
  agent.behaviour.actorOpt.dispose();
  agent.behaviour.criticOpt.dispose();
  agent.behaviour.critic.dispose();
  agent.behaviour.slowCritic.dispose();
  const teacher: Teacher = { wm: agent.wm, actor: agent.behaviour.actor };
  return {
    teacher,
    config,
    info,
    dispose: () => {
      teacher.wm.dispose();
      teacher.actor.dispose();
    },
  };
}

/**
 * Algorithm 1 as a resumable loop over a run directory:
 *   run.json (kind 'distil', the teacher's path, every config), ckpt/ (student, its Adam state, every RNG and
 *   counter, the replay sampler's state), deployed/ (the DeployedAgent, rewritten at each checkpoint),
 *   metrics.jsonl (kind 'distil' rows with each loss term; 'eval' rows of the deployed agent on held-out
 *   domains; one 'teacher-eval' row), curve.png/.svg, summary.json at the end.
 * Batches are drawn from the teacher's replay (its collected images and states of the same steps), reopened
 * from the teacher checkpoint's replay state with the distillation's own sampler seed. A resumed run reaches
 * the uninterrupted run's student bit for bit (CPU backend): evaluations do not touch the training RNGs.
 */
export async function distil(opts: DistilOptions): Promise<DistilResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const device = opts.device;
  const paths = distilPaths(opts.dir);

  // -- config: new (from the teacher run) or from run.json; the teacher (frozen) from its run directory
  let config: DistilRunConfig;
  let T: ReturnType<typeof loadTeacher>;
  let initRead: InitSource | undefined; // --init's source, when this process read it while writing the config
  if (opts.resume) {
    config = readRunConfig<DistilRunConfig>(opts.dir);
    if (config.kind !== 'distil') throw new UsageError(`${opts.dir} is not a distillation run (run.json has no kind 'distil'); resume a training run with twist train --resume`);
    // runs written before the stateRecon extension existed have no such key: theirs is 0
    if (config.distil.stateRecon === undefined) config = { ...config, distil: { ...config.distil, stateRecon: 0 } };
    // and those before the actionMatch extension have none either
    if (config.distil.actionMatch === undefined) config = { ...config, distil: { ...config.distil, actionMatch: 0 } };
    // and those before the learning-rate warmup have none either
    if (config.distil.opt.warmup === undefined) config = { ...config, distil: { ...config.distil, opt: { ...config.distil.opt, warmup: 0 } } };
    // and those before the shift augmentation have none either
    if (config.distil.augmentShift === undefined) config = { ...config, distil: { ...config.distil, augmentShift: 0 } };
    if (opts.teacher && resolve(opts.teacher) !== config.teacher) throw new UsageError(`${opts.dir} distils ${config.teacher}, not ${resolve(opts.teacher)}`);
    if (opts.steps !== undefined && opts.steps !== config.distil.steps) {
      if (!(Number.isInteger(opts.steps) && opts.steps > 0)) throw new UsageError(`steps must be a positive integer, got ${opts.steps}`);
      config = { ...config, distil: { ...config.distil, steps: opts.steps } };
      AN.writeFileAtomic(paths.config, JSON.stringify(config, null, 2) + '\n');
    }
    T = loadTeacher(device, config.teacher);
  } else {
    if (!opts.teacher) throw new UsageError('distil: a teacher run directory is required for a new run');
    if (existsSync(opts.dir) && (!statSync(opts.dir).isDirectory() || readdirSync(opts.dir).length)) {
      throw new UsageError(`${opts.dir} already exists and is not an empty directory; resume it with --resume ${opts.dir}, or choose another --out`);
    }
    const teacherDir = resolve(opts.teacher);
    const tc = readRunConfig<RunConfig & { kind?: string }>(teacherDir);
    if (tc.kind === 'distil') throw new UsageError(`${opts.teacher} is a distillation run; the teacher must be a state training run (twist train --method oracle --collect-images)`);
    if (tc.world?.modality !== 'state') throw new UsageError(`${opts.teacher} is a '${tc.method}' run on images; the teacher must learn from the state (--method oracle)`);
    if (!tc.collect?.images) throw new UsageError(`${opts.teacher} collected no images; train the teacher with --collect-images, or collect with it (twist collect --teacher ${opts.teacher} --out DIR), so that a replay holds matched (state, image) steps`);
    if (!AN.hasCheckpoint(runPaths(teacherDir).ckpt)) throw new UsageError(`${opts.teacher} has no checkpoint yet (nothing to distil)`);
    const preset = opts.preset ?? tc.preset;
    const seed = opts.seed ?? tc.seed;
    let dcfg: DistilConfig;
    let student: WorldModelConfig;
    try {
      dcfg = makeDistilConfig(preset, { ...opts.overrides, ...(opts.steps !== undefined ? { steps: opts.steps } : {}) }, opts.ablations);
      // the state term needs the rssm image model's state decoder (stateRecon: true) on the student
      const overrides = dcfg.stateRecon > 0 ? { ...opts.studentOverrides, stateRecon: true } : opts.studentOverrides;
      student = makeStudentConfig(tc.world, { preset, imageSize: tc.collect.imageSize, seed: seed + 1, overrides });
    } catch (e) {
      throw new UsageError(`distil: ${(e as Error).message}`);
    }
    T = loadTeacher(device, teacherDir);
    const loop = (T.info.loop ?? {}) as { envFrames?: number; updates?: number };
    config = {
      kind: 'distil',
      teacher: teacherDir,
      teacherMethod: tc.method,
      teacherCheckpoint: { envFrames: loop.envFrames ?? null, updates: loop.updates ?? null },
      task: tc.task,
      preset,
      seed,
      ...(tc.episodeLength !== undefined ? { episodeLength: tc.episodeLength } : {}),
      imageSize: tc.collect.imageSize,
      distil: dcfg,
      student,
      ...(opts.init ? { init: ((initRead = readInitSource(opts.init, student)), { dir: initRead.dir, updates: initRead.updates }) } : {}),
    };
  }
  const cfg = config.distil;

  // -- student, distiller, deployed agent, replay, loop state
  const student = new WorldModel(device, config.student);
  const distiller = new Distiller(T.teacher, student, cfg, config.seed);
  const b = T.config.agent.behaviour;
  const deployed = new DeployedAgent(student, T.teacher.actor, {
    task: config.task,
    actor: actorSpecOf(b, T.teacher.wm.rssm.featureSize, T.config.world.actionSize),
    seed: config.seed,
    source: { teacher: config.teacher, distilRun: resolve(opts.dir) },
  });
  const teacherActor = teacherStateActor(T.teacher);
  let replayState!: ReplayState;
  let st!: DistilLoopState;
  let metrics!: MetricsLog;
  let replay!: Replay;
  let metricsBytes = 0;
  const resumed = opts.resume && AN.hasCheckpoint(paths.ckpt);
  try {
    if (resumed) {
      const { info } = AN.loadCheckpoint(paths.ckpt, distiller.parts());
      if (info.format !== CKPT_FORMAT) throw new Error(`${paths.ckpt}: not a checkpoint of a distillation run (format ${JSON.stringify(info.format)})`);
      distiller.restoreCounters(info.counters as DistillerCounters);
      st = info.loop as DistilLoopState;
      replayState = info.replay as ReplayState;
      metricsBytes = info.metricsBytes as number;
    } else {
      if (opts.resume) log(`${opts.dir} has no checkpoint yet: starting it from the beginning`);
      const tState = T.info.replay as ReplayState | undefined;
      if (!tState) throw new UsageError(`${config.teacher}: its checkpoint holds no replay of collected data; collect with it first (twist collect --teacher ${config.teacher} --out DIR)`);
      // The teacher's committed episodes (not its unfinished ones), sampled by the distillation's own RNG.
      replayState = { ...tState, pending: null, rng: new Xoshiro128(config.seed + 4_242_421).state() };
      if (config.init) {
        initStudent(device, initRead ?? readInitSource(config.init.dir, config.student), student);
        log(`the student starts from ${config.init.dir} (${config.init.updates ?? '?'} distillation updates)`);
      }
      st = { updates: 0, nextEvalAt: cfg.evalEvery, nextCkptAt: cfg.checkpointEvery, wallSeconds: 0, evals: [], teacherEval: null, references: null };
    }
    const rc = replayState.config;
    replay = Replay.open(
      runPaths(config.teacher).replay,
      {
        stateSize: rc.stateSize,
        actionSize: rc.actionSize,
        imageShape: [config.imageSize, config.imageSize, 3],
        numEnvs: rc.numEnvs,
        capacity: rc.capacity,
        minLength: rc.minLength,
        sampling: rc.sampling,
        obs: 'image',
      },
      replayState,
    );
    if (!replay.canSample(cfg.length)) {
      const lens = replay.episodeIds().map((id) => replay.episode(id)!.length);
      throw new UsageError(`${config.teacher}: no collected episode has L = ${cfg.length} steps (${lens.length} episodes, longest ${lens.length ? Math.max(...lens) : 0}); distil with a shorter length or a teacher with longer episodes`);
    }
    if (cfg.stateRecon > 0) {
      // the state term's standardisation: exact per-dimension statistics of every committed step of the data
      // (the same data at every start, so a resumed run computes the same numbers)
      const { mean, std } = replayStateStats(replay);
      distiller.setStateStats(mean, std);
      log(`state term targets standardised per dimension: mean [${mean.map((x) => x.toFixed(3)).join(', ')}], std [${std.map((x) => x.toFixed(3)).join(', ')}]`);
    }
    // A new run's directory is written only once the teacher's data is known to be usable.
    if (!opts.resume) createRunDir(opts.dir, config);
    metrics = new MetricsLog(paths.metrics, metricsBytes);
    if (resumed) log(`resumed ${opts.dir} at ${st.updates} distillation updates (checkpoint)`);
  } catch (e) {
    teacherActor.dispose();
    deployed.dispose();
    distiller.dispose();
    student.dispose();
    T.dispose();
    throw e;
  }

  const wallBefore = st.wallSeconds;
  const evalSeed = 1_000_000 + config.seed * 1000;
  let lastEval: EvalReport | null = null;
  let latent: LatentCheckReport | null = null;
  let checkpoints = 0;
  let rate = { t: performance.now(), updates: st.updates };
  let ups = 0;
  const report = (phase: DistilProgress['phase']) => {
    const now = performance.now();
    if (now - rate.t > 2000) {
      ups = (st.updates - rate.updates) / ((now - rate.t) / 1000);
      rate = { t: now, updates: st.updates };
    }
    opts.progress?.({
      phase,
      updates: st.updates,
      steps: cfg.steps,
      updatesPerSecond: ups,
      lastEval: st.evals.length ? st.evals[st.evals.length - 1].mean : null,
      etaSeconds: ups > 0 ? (cfg.steps - st.updates) / ups : null,
    });
  };
  /** Runs fn leaving every RNG counter of the models as it was (evaluations do not perturb training). */
  const untouched = async <R>(fn: () => Promise<R>): Promise<R> => {
    const saved = [T.teacher.wm.rssm.rngOffset, student.rssm.rngOffset, deployed.rngOffset];
    try {
      return await fn();
    } finally {
      [T.teacher.wm.rssm.rngOffset, student.rssm.rngOffset, deployed.rngOffset] = saved;
      deployed.resetPolicy();
    }
  };
  const title = `TWIST distillation on ${config.task} (${config.preset}, seed ${config.seed})`;
  const evalOpts = { task: config.task, episodes: cfg.evalEpisodes, seed: evalSeed, episodeLength: config.episodeLength };

  const saveCheckpoint = async () => {
    report('checkpoint');
    st.wallSeconds = wallBefore + (performance.now() - t0) / 1000;
    const rs = { ...replayState, rng: replay.checkpointState().rng };
    await deployed.save(paths.deployed, { teacher: config.teacher, distilRun: resolve(opts.dir), updates: st.updates });
    await AN.saveCheckpoint(paths.ckpt, distiller.parts(), config, {
      format: CKPT_FORMAT,
      loop: st,
      counters: distiller.counters(),
      replay: rs,
      metricsBytes: metrics.bytes,
    });
    checkpoints++;
  };

  let stoppedEarly = false;
  try {
    // The teacher's own return (on the state), once: the number the deployed student is measured against.
    if (st.teacherEval === null) {
      report('teacher-eval');
      const te = await untouched(() =>
        evaluate(
          device,
          teacherActor,
          { ...evalOpts, domain: 'none', references: true },
        ),
      );
      st.teacherEval = { mean: te.mean, returns: te.returns };
      st.references = te.references ?? null;
      metrics.write({ kind: 'teacher-eval', updates: st.updates, domain: 'none', mean: te.mean, returns: te.returns, references: st.references });
      log(`teacher (${config.teacherMethod}, state) return ${te.mean.toFixed(1)} over ${te.episodes} episodes (zero-action ${st.references?.zero.mean.toFixed(1)}, random ${st.references?.random.mean.toFixed(1)})`);
    }
    // The replay's sequences start at [:, 0] and never cross an episode (ReplayBatch.isFirst), so the host
    // copy of isFirst is known without a readback: it lets both posteriors skip the other steps' resets.
    const isFirstHost = new Float32Array(cfg.batch * cfg.length);
    for (let i = 0; i < cfg.batch; i++) isFirstHost[i * cfg.length] = 1;
    const lossWatch = new LossWatch(MAX_CONSECUTIVE_SKIPS);
    while (st.updates < cfg.steps) {
      const batch = replay.sample(device, cfg.batch, cfg.length, { obs: 'image' });
      let m;
      try {
        m = await distiller.step({ images: batch.obs, state: batch.state, actions: batch.actions, isFirst: batch.isFirst, isFirstHost });
      } catch (e) {
        throw asRunError(e, `distillation update ${st.updates + 1}`, paths.ckpt);
      } finally {
        for (const t of Object.values(batch)) (t as Tensor).dispose();
      }
      st.updates++;
      if (st.updates % cfg.logEvery === 0 || st.updates === 1) {
        const vals = await readDistilMetrics(m);
        // A skipped (non-finite) step is logged and distillation goes on; it stops after MAX_CONSECUTIVE_SKIPS in a
        // row (the distiller's SkipWatch, or this watch of the logged losses): @twist/agent's run/non-finite.ts.
        const bad = lossWatch.observe(vals, `distillation update ${st.updates}`, paths.ckpt);
        if (bad.length) log(`warning: non-finite ${bad.join(', ')} at distillation update ${st.updates}: that step is skipped; distillation stops after ${MAX_CONSECUTIVE_SKIPS} in a row`);
        metrics.write({ kind: 'distil', updates: st.updates, ...vals });
      }
      for (const t of Object.values(m)) (t as Tensor | undefined)?.dispose();
      report('distil');

      const end = st.updates >= cfg.steps;
      if (st.updates >= st.nextEvalAt || end) {
        report('eval');
        lastEval = await untouched(() => evaluate(device, deployed, { ...evalOpts, domain: 'heldout', references: false }));
        lastEval.references = st.references ?? undefined;
        while (st.nextEvalAt <= st.updates) st.nextEvalAt += cfg.evalEvery;
        const backgrounds = lastEval.backgrounds ? { backgrounds: lastEval.backgrounds } : {};
        st.evals.push({ updates: st.updates, mean: lastEval.mean, std: lastEval.std, returns: lastEval.returns, ...backgrounds });
        metrics.write({ kind: 'eval', updates: st.updates, domain: lastEval.domain, mean: lastEval.mean, std: lastEval.std, returns: lastEval.returns, ...backgrounds });
        log(`eval at ${st.updates} updates (deployed student, heldout): mean return ${lastEval.mean.toFixed(1)} over ${lastEval.episodes} episodes (teacher on state ${st.teacherEval?.mean.toFixed(1)})`);
        const byBg = returnsByBackground(lastEval);
        if (byBg) log(`  by background: ${byBg.map((b) => `${b.background} ${b.mean.toFixed(1)} (${b.episodes})`).join(', ')}`);
        writeDistilCurve(paths.curve, paths.metrics, title);
      }
      // No checkpoint while the student's latest step was skipped (it would hold a run going non-finite).
      const skipping = st.updates >= st.nextCkptAt || end ? await distiller.skipWatch.streaking() : [];
      if (skipping.length) log(`checkpoint deferred at distillation update ${st.updates}: the student optimiser skipped its latest step (non-finite gradients)`);
      else if (st.updates >= st.nextCkptAt || end) {
        while (st.nextCkptAt <= st.updates) st.nextCkptAt += cfg.checkpointEvery;
        await saveCheckpoint();
        if (opts.stopAfterCheckpoints !== undefined && checkpoints >= opts.stopAfterCheckpoints && !end) {
          stoppedEarly = true;
          break;
        }
      }
    }
    if (!stoppedEarly && (opts.latentEpisodes ?? 1) > 0) {
      report('latent-check');
      latent = await untouched(() => latentCheck(device, T.teacher, deployed, { ...evalOpts, domain: 'heldout', episodes: opts.latentEpisodes ?? 1 }));
      const { hErrorByStep: _h, actionErrorByStep: _a, ...brief } = latent;
      metrics.write({ kind: 'latent-check', updates: st.updates, ...brief });
      log(`latent check (heldout, ${latent.steps} steps): mean ||h_teacher - h_student||^2 ${latent.hError.toFixed(3)} (relative ${latent.hRelError.toFixed(3)}), mean |a_teacher - a_student| ${latent.actionError.toFixed(3)}`);
    }
    if (!stoppedEarly) {
      writeDistilCurve(paths.curve, paths.metrics, title);
      const summary = {
        kind: 'distil',
        task: config.task,
        method: 'twist',
        preset: config.preset,
        seed: config.seed,
        teacher: config.teacher,
        teacherMethod: config.teacherMethod,
        teacherCheckpoint: config.teacherCheckpoint,
        distilSteps: st.updates,
        ablations: { imagined: cfg.imagined, weights: cfg.weights, recon: cfg.recon, noise: cfg.noise },
        wallSeconds: wallBefore + (performance.now() - t0) / 1000,
        machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), adapter: device.label ?? null, node: process.version },
        evalDomain: 'heldout',
        // a run resumed after its last update (cut off before this summary) evaluates nothing new: its last evaluation
        evalReturns: lastEval?.returns ?? st.evals[st.evals.length - 1]?.returns ?? [],
        evalMean: lastEval?.mean ?? st.evals[st.evals.length - 1]?.mean ?? null,
        // each of those episodes' background family (EvalReport.backgrounds), null when not recorded
        evalBackgrounds: lastEval?.backgrounds ?? st.evals[st.evals.length - 1]?.backgrounds ?? null,
        evalHistory: st.evals.map((e) => ({ updates: e.updates, mean: e.mean })),
        teacherStateReturn: st.teacherEval,
        references: st.references ? { zero: st.references.zero.mean, random: st.references.random.mean } : null,
        latentCheck: latent ? (({ hErrorByStep: _h, actionErrorByStep: _a, ...brief }) => brief)(latent) : null,
        command: opts.command ?? null,
      };
      AN.writeFileAtomic(paths.summary, JSON.stringify(summary, null, 2) + '\n');
    }
    report('done');
  } finally {
    metrics.close();
    teacherActor.dispose();
    deployed.dispose();
    distiller.dispose();
    student.dispose();
    T.dispose();
  }
  return {
    config,
    updates: st.updates,
    wallSeconds: wallBefore + (performance.now() - t0) / 1000,
    lastEval,
    teacherEval: st.teacherEval,
    references: st.references,
    latent,
    stoppedEarly,
  };
}
