import * as A from '@twist/autograd';
import * as AN from '@twist/autograd/node';
import * as K from '@twist/kernels';
import { keep, scope, tensor, type Device, type Tensor } from '@twist/kernels';
import { Actor, type BehaviourConfig } from '@twist/agent';
import { concatImages, VisualDR, domainName, type DomainSpec, type EvalActor } from '@twist/agent/node';
import { VecEnv } from '@twist/envs/node';
import { checkIsFirstValues, WorldModel, type WorldModelConfig } from '@twist/rssm';
import { readCheckpointConfig } from '@twist/rssm/node';
import type { Teacher } from './distiller.js';

/**
 * The posterior filter of a world model acting online: h_t = GRU(h_{t-1}, [z_{t-1}, a_{t-1}]),
 * z_t ~ q(z | h_t, embed(x_t)), with the previous state and action reset to zero where isFirst (as
 * RSSM.observe and DreamerAgent.act do). The action taken after a step is handed back with setAction, so
 * the next step conditions on the action that was really executed.
 */
export class PosteriorFilter {
  #state: { deter: Tensor; stoch: Tensor } | null = null;
  #action: Tensor | null = null;

  constructor(readonly wm: WorldModel) {}

  get device(): Device {
    return this.wm.device;
  }

  /** Forgets the state (new episodes, or another number of envs). */
  reset(): void {
    this.#state?.deter.dispose();
    this.#state?.stoch.dispose();
    this.#action?.dispose();
    this.#state = null;
    this.#action = null;
  }

  /**
   * One filter step on observations of N envs (state f32 [N, S] or images u8 [N, H, W, C]): returns the
   * posterior (h, z) as tensors the filter owns (valid until the next step or reset).
   */
  step(obs: Tensor, isFirst: ArrayLike<number>): { deter: Tensor; stoch: Tensor } {
    const N = obs.shape[0];
    checkIsFirstValues('PosteriorFilter.step: isFirst', isFirst, N, String(N), 'one per env');
    if (this.#state && this.#state.deter.shape[0] !== N) this.reset();
    const { deter: D, stoch: V, classes: C } = this.wm.rssm.cfg;
    const Aa = this.wm.cfg.actionSize;
    const dev = this.device;
    const prev = this.#state;
    const action = this.#action;
    const next = scope(() =>
      A.noGrad(() => {
        const keepMask = A.constant(tensor(dev, Float32Array.from(isFirst, (f) => 1 - f), [N, 1]));
        const pd = prev ? A.constant(prev.deter) : A.constant(K.zeros(dev, [N, D]));
        const ps = prev ? A.constant(prev.stoch) : A.constant(K.zeros(dev, [N, V, C]));
        const pa = action ? A.constant(action) : A.constant(K.zeros(dev, [N, Aa]));
        const state = { deter: A.mul(pd, keepMask), stoch: A.mul(ps, A.reshape(keepMask, [N, 1, 1])) };
        const embed = this.wm.encoder.forward(this.wm.preprocess(obs));
        const { post } = this.wm.rssm.obsStep(state, A.mul(pa, keepMask), embed);
        return { deter: post.deter.value, stoch: post.stoch.value };
      }),
    );
    prev?.deter.dispose();
    prev?.stoch.dispose();
    action?.dispose();
    this.#action = null;
    this.#state = { deter: keep(next.deter), stoch: keep(next.stoch) };
    return this.#state;
  }

  /** The action executed after the last step ([N, A]; the filter keeps a copy for the next step). */
  setAction(action: Tensor | Float32Array): void {
    const N = this.#state?.deter.shape[0];
    if (N === undefined) throw new Error('PosteriorFilter.setAction: call step() first');
    this.#action?.dispose();
    this.#action = keep(action instanceof Float32Array ? tensor(this.device, action, [N, this.wm.cfg.actionSize]) : K.scope(() => K.copy(action)));
  }
}

/** The actor's action at a posterior state: its mode, or a sample with the given Philox key. A new tensor. */
export function actorAction(actor: Actor, wm: WorldModel, s: { deter: Tensor; stoch: Tensor }, mode: 'sample' | 'mode', key?: K.RngKey): Tensor {
  return scope(() =>
    A.noGrad(() => {
      const dist = actor.dist(wm.rssm.feature({ deter: A.constant(s.deter), stoch: A.constant(s.stoch) }));
      if (mode === 'mode') return dist.mode().value;
      if (!key) throw new Error("actorAction: mode 'sample' needs an RNG key");
      return dist.sample(key).value;
    }),
  );
}

/** What builds the teacher's actor again: its sizes (from the teacher run's behaviour config). */
export interface ActorSpec {
  featureSize: number;
  actionSize: number;
  layers: number[];
  act: 'elu' | 'silu';
  minStd: number;
}

export function actorSpecOf(b: Pick<BehaviourConfig, 'actorLayers' | 'act' | 'minStd'>, featureSize: number, actionSize: number): ActorSpec {
  return { featureSize, actionSize, layers: [...b.actorLayers], act: b.act, minStd: b.minStd };
}

/** The JSON config of a deployed-agent directory (checkpoint.json's config). */
export interface DeployedConfig {
  format: typeof DEPLOYED_FORMAT;
  task: string;
  student: WorldModelConfig;
  actor: ActorSpec;
  /** Seed of the actor's samples (mode 'sample'). */
  seed: number;
  /** Where it came from: the teacher run, the distillation run and its update count. */
  source: Record<string, unknown>;
}

export const DEPLOYED_FORMAT = 'twist-ts/deployed/1';

/**
 * TWIST's deployed agent: the student's image encoder and RSSM posterior filter give (h, z) for each camera
 * image; the teacher's actor acts on [h, z]. It never reads the simulator state. Implements @twist/agent's
 * evaluation Actor ({ observes: 'image', imageSize, act, resetPolicy }).
 */
export class DeployedAgent implements EvalActor {
  readonly observes = 'image' as const;
  readonly filter: PosteriorFilter;
  /** Philox offset of the actor's samples (mode 'sample'). */
  rngOffset = 0;

  constructor(
    readonly student: WorldModel,
    readonly actor: Actor,
    readonly meta: { task: string; actor: ActorSpec; seed?: number; source?: Record<string, unknown> },
    /** Whether dispose() frees the modules (true for a loaded agent; false when they are a distiller's). */
    readonly owns = false,
  ) {
    if (student.cfg.modality !== 'image') throw new Error(`DeployedAgent: the student must be an image world model, got '${student.cfg.modality}'`);
    if (actor.featureSize !== student.rssm.featureSize) {
      throw new Error(`DeployedAgent: the actor reads features of size ${actor.featureSize}, the student's are ${student.rssm.featureSize} (the student must have the teacher's RSSM sizes)`);
    }
    this.filter = new PosteriorFilter(student);
  }

  get imageSize(): number {
    return this.student.cfg.imageSize;
  }

  get device(): Device {
    return this.student.device;
  }

  /**
   * One acting step for N envs from camera images u8 [N, H, W, 3]: the student's posterior filter, then the
   * teacher's actor (its mode for evaluation, a sample otherwise). Reads back the actions only.
   */
  async act(obs: Tensor, isFirst: ArrayLike<number>, mode: 'sample' | 'mode'): Promise<Float32Array> {
    return (await this.actWithLatent(obs, isFirst, mode)).action;
  }

  /** act, also returning the latent state the action was computed from (device tensors, valid until the next step). */
  async actWithLatent(obs: Tensor, isFirst: ArrayLike<number>, mode: 'sample' | 'mode'): Promise<{ action: Float32Array; deter: Tensor; stoch: Tensor }> {
    const s = this.#observeImages(obs, isFirst);
    const a = actorAction(this.actor, this.student, s, mode, mode === 'sample' ? { seed: (this.meta.seed ?? 0) + 104_729, offset: this.rngOffset++ } : undefined);
    this.filter.setAction(a);
    const action = (await a.toArray()) as Float32Array;
    a.dispose();
    return { action, ...s };
  }

  #observeImages(obs: Tensor, isFirst: ArrayLike<number>): { deter: Tensor; stoch: Tensor } {
    const { imageSize: n, imageChannels: c } = this.student.cfg;
    const sh = obs.shape;
    if (sh.length !== 4 || sh[1] !== n || sh[2] !== n || sh[3] !== c) {
      throw new Error(`DeployedAgent.act: obs must be camera images [N, ${n}, ${n}, ${c}], got [${sh.join(',')}] (the deployed agent never reads the state)`);
    }
    return this.filter.step(obs, isFirst);
  }

  resetPolicy(): void {
    this.filter.reset();
  }

  /** Saves the student's encoder and RSSM, the teacher's actor and the configs to one directory, atomically. */
  save(dir: string, source: Record<string, unknown> = this.meta.source ?? {}): Promise<void> {
    const config: DeployedConfig = { format: DEPLOYED_FORMAT, task: this.meta.task, student: this.student.cfg, actor: this.meta.actor, seed: this.meta.seed ?? 0, source };
    return AN.saveCheckpoint(dir, DeployedAgent.#parts(this.student, this.actor), config, { studentRssmRngOffset: this.student.rssm.rngOffset, actorRngOffset: this.rngOffset });
  }

  static #parts(student: WorldModel, actor: Actor): A.CheckpointParts {
    return { modules: { encoder: student.encoder, rssm: student.rssm, actor } };
  }

  /** Loads a directory written by save (it owns its modules: dispose() frees them). */
  static load(device: Device, dir: string): DeployedAgent {
    const cfg = readCheckpointConfig(dir) as DeployedConfig;
    if (cfg?.format !== DEPLOYED_FORMAT) throw new Error(`DeployedAgent.load: ${dir} is not a deployed TWIST agent (config format ${JSON.stringify(cfg?.format)}, expected '${DEPLOYED_FORMAT}')`);
    const student = new WorldModel(device, cfg.student);
    const a = cfg.actor;
    const actor = new Actor({ device, seed: 0 }, a.featureSize, a.actionSize, a.layers, a.act, a.minStd);
    try {
      const { info } = AN.loadCheckpoint(dir, DeployedAgent.#parts(student, actor));
      const agent = new DeployedAgent(student, actor, { task: cfg.task, actor: a, seed: cfg.seed, source: cfg.source }, true);
      student.rssm.rngOffset = Number(info.studentRssmRngOffset ?? 0);
      agent.rngOffset = Number(info.actorRngOffset ?? 0);
      return agent;
    } catch (e) {
      student.dispose();
      actor.dispose();
      throw e;
    }
  }

  dispose(): void {
    this.filter.reset();
    if (this.owns) {
      this.student.dispose();
      this.actor.dispose();
    }
  }
}

export interface LatentCheckOptions {
  task: string;
  /** The visual domain of the images the student sees (drawn once per episode, as at evaluation). */
  domain: DomainSpec;
  /** Episode i uses env seed seed + i. */
  seed: number;
  /** Episodes, run in parallel (default 1). */
  episodes?: number;
  episodeLength?: number;
  /**
   * Who acts: 'student' (the deployed agent, default: the latents it really acts on along its own episode)
   * or 'teacher' (its actor's mode on its state latent; the same trajectories whatever the student is).
   */
  driver?: 'student' | 'teacher';
}

export interface LatentCheckReport {
  task: string;
  domain: string;
  driver: 'student' | 'teacher';
  episodes: number;
  /** Steps compared (over all episodes). */
  steps: number;
  /** Mean over steps of ||h_teacher - h_student||^2 (summed over the deterministic units, as in Eq. 3). */
  hError: number;
  /** sum ||h_teacher - h_student||^2 / sum ||h_teacher||^2 over the same steps. */
  hRelError: number;
  /** Mean over steps and action dims of |a_teacher - a_student| (both the actor's mode on each latent). */
  actionError: number;
  /** The two per time step, averaged over the episodes still running. */
  hErrorByStep: number[];
  actionErrorByStep: number[];
  /** The driver's return of each episode. */
  returns: number[];
}

/**
 * Compares the latent the deployed agent acts on with the teacher's on the same episodes: the env renders
 * each step in `domain` for the student and gives the state to the teacher; both filters see the same
 * executed actions. Reports the h error and the action error along the episodes. RNG counters of both
 * models and the deployed agent's filter state are restored afterwards (the check does not perturb a run).
 */
export async function latentCheck(device: Device, teacher: Teacher, deployed: DeployedAgent, opts: LatentCheckOptions): Promise<LatentCheckReport> {
  const N = opts.episodes ?? 1;
  const driver = opts.driver ?? 'student';
  if (!(Number.isInteger(N) && N > 0)) throw new Error(`latentCheck: episodes must be a positive integer, got ${N}`);
  const saved = { t: teacher.wm.rssm.rngOffset, s: deployed.student.rssm.rngOffset, a: deployed.rngOffset };
  const size = deployed.imageSize;
  const dr = new VisualDR(device, opts.domain, N, false, opts.seed, size);
  const vec = await VecEnv.create(opts.task, { num: N, workers: 0, seed: opts.seed, ...(opts.episodeLength ? { episodeLength: opts.episodeLength } : {}), renderBatch: dr.render });
  const tFilter = new PosteriorFilter(teacher.wm);
  deployed.resetPolicy();
  const D = teacher.wm.rssm.cfg.deter;
  const Aa = teacher.wm.cfg.actionSize;
  const S = teacher.wm.cfg.stateSize;
  let sumH = 0;
  let sumT = 0;
  let sumA = 0;
  let steps = 0;
  const hBy: number[] = [];
  const aBy: number[] = [];
  const returns = new Array(N).fill(0);
  try {
    for (let i = 0; i < N; i++) dr.startEpisode(i, i);
    let obs = await vec.reset(Array.from({ length: N }, (_, i) => opts.seed + i));
    const done = new Array(N).fill(false);
    let isFirst = new Array(N).fill(1);
    for (let t = 0; !done.every(Boolean); t++) {
      const img = tensor(device, concatImages(obs.image!), [N, size, size, 3], 'u8');
      const st = tensor(device, obs.state, [N, S]);
      let aS: Float32Array;
      let hS: Float32Array;
      try {
        const r = await deployed.actWithLatent(img, isFirst, 'mode');
        aS = r.action;
        hS = (await r.deter.toArray()) as Float32Array;
      } finally {
        img.dispose();
      }
      let aT: Float32Array;
      let hT: Float32Array;
      try {
        const ts = tFilter.step(st, isFirst);
        const a = actorAction(teacher.actor, teacher.wm, ts, 'mode');
        aT = (await a.toArray()) as Float32Array;
        a.dispose();
        hT = (await ts.deter.toArray()) as Float32Array;
      } finally {
        st.dispose();
      }
      const act = Float32Array.from(driver === 'student' ? aS : aT);
      for (let i = 0; i < N; i++) if (done[i]) act.fill(0, i * Aa, (i + 1) * Aa);
      tFilter.setAction(act);
      deployed.filter.setAction(act);
      let h = 0;
      let ae = 0;
      let live = 0;
      for (let i = 0; i < N; i++) {
        if (done[i]) continue;
        live++;
        let e = 0;
        let n = 0;
        for (let k = 0; k < D; k++) {
          e += (hT[i * D + k] - hS[i * D + k]) ** 2;
          n += hT[i * D + k] ** 2;
        }
        let a = 0;
        for (let k = 0; k < Aa; k++) a += Math.abs(aT[i * Aa + k] - aS[i * Aa + k]);
        h += e;
        sumT += n;
        ae += a / Aa;
      }
      sumH += h;
      sumA += ae;
      steps += live;
      hBy.push(h / live);
      aBy.push(ae / live);
      obs = await vec.step(act);
      for (let i = 0; i < N; i++) {
        if (done[i]) continue;
        returns[i] += obs.reward[i];
        if (obs.done[i]) done[i] = true;
      }
      isFirst = new Array(N).fill(0);
    }
  } finally {
    await vec.close();
    tFilter.reset();
    deployed.resetPolicy();
    teacher.wm.rssm.rngOffset = saved.t;
    deployed.student.rssm.rngOffset = saved.s;
    deployed.rngOffset = saved.a;
  }
  return {
    task: opts.task,
    domain: domainName(opts.domain),
    driver,
    episodes: N,
    steps,
    hError: sumH / steps,
    hRelError: sumH / Math.max(sumT, 1e-30),
    actionError: sumA / steps,
    hErrorByStep: hBy,
    actionErrorByStep: aBy,
    returns,
  };
}

/**
 * The teacher acting on the privileged state (its own posterior filter and actor, the actor's mode): the
 * reference return the deployed student is measured against. Call dispose() when done.
 */
export function teacherStateActor(teacher: Teacher): EvalActor & { dispose(): void } {
  const filter = new PosteriorFilter(teacher.wm);
  return {
    observes: 'state',
    async act(obs, isFirst, mode) {
      if (mode !== 'mode') throw new Error("teacherStateActor: only mode 'mode' (evaluation) is supported");
      const s = filter.step(obs, isFirst);
      const a = actorAction(teacher.actor, teacher.wm, s, 'mode');
      filter.setAction(a);
      const out = (await a.toArray()) as Float32Array;
      a.dispose();
      return out;
    },
    resetPolicy: () => filter.reset(),
    dispose: () => filter.reset(),
  };
}
