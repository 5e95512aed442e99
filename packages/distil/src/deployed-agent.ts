import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { keep, scope, tensor, type Device, type Tensor } from '@twist/kernels';
import { Actor, type BehaviourConfig } from '@twist/agent';
import { checkIsFirstValues, WorldModel, type WorldModelConfig } from '@twist/rssm';
import { loadCheckpointBytes, parseManifest, toBytes, type DeployedFiles } from './checkpoint-bytes.js';
import type { Teacher } from './distiller.js';

export type { DeployedFiles } from './checkpoint-bytes.js';

/*
 * The deployed agent, browser-safe: nothing here imports a Node module. Saving to and loading from a
 * directory are in deployed.ts (@twist/distil/node), loading from fetched bytes is DeployedAgent.fromFiles.
 */

/**
 * @twist/agent/node's evaluation Actor, by shape (declared here so that this file's types need nothing from a
 * Node entry): the deployed agent and teacherStateActor are such actors.
 */
interface EvalActor {
  readonly observes: 'state' | 'image';
  readonly imageSize?: number;
  act(obs: Tensor, isFirst: ArrayLike<number>, mode: 'sample' | 'mode'): Promise<Float32Array>;
  resetPolicy(): void;
}

/** DeployedAgent or a subclass, as its static loaders construct it. */
export type DeployedAgentClass<T extends DeployedAgent> = (new (...args: ConstructorParameters<typeof DeployedAgent>) => T) & typeof DeployedAgent;

/**
 * The posterior filter of a world model acting online: h_t = GRU(h_{t-1}, [z_{t-1}, a_{t-1}]),
 * z_t ~ q(z | h_t, embed(x_t)), with the previous state and action reset to zero where isFirst (as
 * RSSM.observe and DreamerAgent.act do). The action taken after a step is handed back with setAction, so
 * the next step conditions on the action that was really executed.
 */
export class PosteriorFilter {
  #state: { deter: Tensor; stoch: Tensor } | null = null;
  #action: Tensor | null = null;
  /**
   * z_t as the filter keeps it: 'sample' (default; DreamerV2's acting, the straight-through draw from q) or
   * 'mode', the one-hot argmax of each latent's posterior logits (a deterministic filter: no sampling noise in
   * z, e.g. to tell a student's sampling noise from its drift). Ties, which f32 logits almost never have, give
   * several ones in a latent.
   */
  latent: 'sample' | 'mode' = 'sample';

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
        return { deter: post.deter.value, stoch: this.latent === 'mode' ? oneHotArgmax(post.logits.value) : post.stoch.value };
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
    const A = this.wm.cfg.actionSize;
    if (action instanceof Float32Array) {
      if (action.length !== N * A) throw new Error(`PosteriorFilter.setAction: the action must hold N x A = ${N} x ${A} = ${N * A} values, got ${action.length}`);
      const at = action.findIndex((v) => !Number.isFinite(v));
      if (at >= 0) throw new Error(`PosteriorFilter.setAction: action ${Math.floor(at / A)}[${at % A}] is ${action[at]}, not a finite number`);
    }
    this.#action?.dispose();
    this.#action = keep(action instanceof Float32Array ? tensor(this.device, action, [N, this.wm.cfg.actionSize]) : K.scope(() => K.copy(action)));
  }
}

/**
 * onehot(argmax_c logits[..., c]) [N, V, C]: exp((l - max_c l) * 1e30) is exactly 1 where l is the maximum and
 * underflows to 0 elsewhere (f32 logits below the maximum differ by >= 1 ulp, times 1e30 far beyond exp's range).
 * Called inside a scope (its intermediates are the scope's).
 */
export function oneHotArgmax(logits: Tensor): Tensor {
  return K.exp(K.affine(K.sub(logits, K.max(logits, -1, true)), 1e30));
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

  /**
   * The environments executed these actions [N * A] instead of the ones the last act() returned (a collection's
   * DAgger mixture, action noise or random actions): the filter's next step conditions on them, since
   * h_t = f(h_{t-1}, z_{t-1}, a_{t-1}) must integrate the action really taken, not the one proposed.
   */
  executed(actions: Float32Array): void {
    this.filter.setAction(actions);
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

  /** Its checkpoint parts: the student's encoder and RSSM and the teacher's actor (the names in the weights file). */
  parts(): A.CheckpointParts {
    return { modules: { encoder: this.student.encoder, rssm: this.student.rssm, actor: this.actor } };
  }

  /** The config a checkpoint of this agent records (checkpoint.json's config), and its info (the RNG offsets). */
  checkpointConfig(source: Record<string, unknown> = this.meta.source ?? {}): { config: DeployedConfig; info: Record<string, unknown> } {
    const config: DeployedConfig = { format: DEPLOYED_FORMAT, task: this.meta.task, student: this.student.cfg, actor: this.meta.actor, seed: this.meta.seed ?? 0, source };
    return { config, info: { studentRssmRngOffset: this.student.rssm.rngOffset, actorRngOffset: this.rngOffset } };
  }

  /**
   * Builds an agent from a deployed config and fills its modules with `load` (which returns the checkpoint's
   * info); `what` names the source in errors. The agent owns its modules. A subclass builds its own kind.
   */
  static assemble<T extends DeployedAgent>(this: DeployedAgentClass<T>, device: Device, config: unknown, what: string, load: (parts: A.CheckpointParts) => Record<string, unknown>): T {
    const cfg = config as DeployedConfig;
    if (cfg?.format !== DEPLOYED_FORMAT) throw new Error(`DeployedAgent: ${what} is not a deployed TWIST agent (config format ${JSON.stringify(cfg?.format)}, expected '${DEPLOYED_FORMAT}')`);
    const student = new WorldModel(device, cfg.student);
    const a = cfg.actor;
    const actor = new Actor({ device, seed: 0 }, a.featureSize, a.actionSize, a.layers, a.act, a.minStd);
    try {
      const agent = new this(student, actor, { task: cfg.task, actor: a, seed: cfg.seed, source: cfg.source }, true);
      const info = load(agent.parts());
      student.rssm.rngOffset = Number(info.studentRssmRngOffset ?? 0);
      agent.rngOffset = Number(info.actorRngOffset ?? 0);
      return agent;
    } catch (e) {
      student.dispose();
      actor.dispose();
      throw e;
    }
  }

  /**
   * Loads a deployed agent from the two files of its directory as fetched (a browser) or read: `checkpoint`,
   * the text (or parsed JSON) of checkpoint.json, and `weights`, the bytes of the safetensors file it names
   * (checkpoint.weights.file). Checks what the directory loader checks: the manifest's size and CRC-32 of the
   * weights, each tensor's CRC-32 and finiteness, and that every name, shape and dtype matches the model.
   * Imports nothing from Node; @twist/distil/node's DeployedAgent.load(device, dir) reads the same directory.
   */
  static fromFiles<T extends DeployedAgent>(this: DeployedAgentClass<T>, device: Device, files: DeployedFiles): T {
    const what = files.name ?? 'deployed agent';
    const manifest = parseManifest(files.checkpoint, what);
    return this.assemble(device, manifest.config, what, (parts) => loadCheckpointBytes(manifest, toBytes(files.weights), parts, what));
  }

  dispose(): void {
    this.filter.reset();
    if (this.owns) {
      this.student.dispose();
      this.actor.dispose();
    }
  }
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
