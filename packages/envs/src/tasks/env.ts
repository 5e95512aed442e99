/**
 * The single environment: `makeEnv(task, opts)` -> Env with reset(seed) / step(action) / scene().
 *
 * Time: one *control step* is the task's control timestep (dm_control's: cartpole and cheetah 0.01 s,
 * walker 0.025 s, others 0.02 s, block push 0.04 s), i.e. round(controlTimestep / physics timestep) MuJoCo
 * steps. An *agent step* (one call to step()) repeats the action for `actionRepeat` control steps and
 * returns the summed reward. An episode is `episodeLength` control steps (1000 for the DMC tasks, so
 * returns lie in [0, 1000] whatever the action repeat; 150 for block push), then done with
 * info.timeLimit = true.
 *
 * Actions: finite numbers; entries outside [-1, 1] are clipped to it (info.clipped says so). NaN, infinities,
 * non-numbers and wrong lengths throw.
 *
 * Instability: after every control step qpos, qvel and qacc are checked for NaN/inf/huge values (MuJoCo's
 * own criteria; its auto-reset is disabled in our models). If the physics blew up, the episode ends:
 * done = true, info.unstable = true, the reward of that control step is 0 and the state returned is the last
 * finite one. The env must then be reset.
 */
import type { Scene } from '../scene.js';
import { loadPhysics, physicsModule, Sim, type Mujoco } from '../physics/mujoco.js';
import { Rng } from '../physics/rng.js';
import { SceneBuilder } from '../physics/scene-builder.js';
import { ScenePresenter } from './presentation.js';
import { getTask, type TaskName } from './registry.js';
import type { TaskLogic, TaskSpec } from './task.js';

export type Interval = readonly [number, number];

/** Per-episode physics randomisation: a sliding-friction scale drawn uniformly from a union of intervals. */
export interface PhysicsDRSpec {
  friction: Interval | readonly Interval[];
}
export type PhysicsDR = 'off' | 'train' | 'heldout' | PhysicsDRSpec;

/** Friction scale ranges of the named DR settings; held-out is disjoint from train. */
export const PHYSICS_DR_RANGES: Readonly<Record<'off' | 'train' | 'heldout', readonly Interval[]>> = {
  off: [[1, 1]],
  train: [[0.7, 1.3]],
  heldout: [
    [0.4, 0.7],
    [1.3, 1.6],
  ],
};

export interface EnvOptions {
  /** Control steps per agent step (positive integer). Default: the task's (2 for DMC tasks, 1 for block push). */
  actionRepeat?: number;
  /** Control steps per episode (positive integer). Default: the task's (1000; block push 150). */
  episodeLength?: number;
  /** Per-episode friction randomisation. Default 'off'. */
  physicsDR?: PhysicsDR;
  /** Renders the scene into the observation's image; without it Obs.image is null. */
  render?: (scene: Scene) => Uint8Array;
  /** Seed of the seed sequence used by reset() calls that pass no seed. Default 0. */
  seed?: number;
}

export const ENV_OPTION_KEYS = ['actionRepeat', 'episodeLength', 'physicsDR', 'render', 'seed'] as const;

export type InfoValue = number | boolean | string;

export interface StepInfo {
  task: string;
  /** The seed of the current episode. */
  seed: number;
  /** Control steps taken in this episode. */
  controlStep: number;
  /** The friction scale of this episode (1 without physics DR). */
  friction: number;
  /** Done because the episode reached its length. */
  timeLimit: boolean;
  /** Done because the physics became unstable (NaN / huge state). */
  unstable: boolean;
  /** This step's action had entries outside [-1, 1] that were clipped. */
  clipped: boolean;
  /** Task-specific values (block push: success, blockToGoal; cheetah: speed; ...). */
  [key: string]: InfoValue;
}

export interface Obs {
  /** The privileged state (the teacher's input), layout in `stateLabels`. */
  state: Float32Array;
  /** RGB(A) bytes from the injected renderer, or null without one. */
  image: Uint8Array | null;
  /** Summed reward of the control steps of this agent step (0 after reset). */
  reward: number;
  done: boolean;
  info: StepInfo;
}

export interface Env {
  readonly task: TaskName;
  readonly stateSize: number;
  readonly actionSize: number;
  readonly stateLabels: readonly string[];
  readonly actionLabels: readonly string[];
  readonly actionRepeat: number;
  /** Control steps per episode. */
  readonly episodeLength: number;
  /** Agent steps per episode: ceil(episodeLength / actionRepeat). */
  readonly maxSteps: number;
  reset(seed?: number): Obs;
  step(action: ArrayLike<number>): Obs;
  /** The current scene for the renderer (fresh objects each call). */
  scene(): Scene;
  /** A copy of the MuJoCo state (for tests, controllers and debugging). */
  physicsState(): { qpos: Float64Array; qvel: Float64Array; time: number };
  /**
   * Overwrite qpos and/or qvel of the running episode (then forward kinematics); returns the resulting state.
   * For tests, scripted controllers and debugging: it bypasses the task's initial-state distribution.
   */
  setPhysicsState(s: { qpos?: ArrayLike<number>; qvel?: ArrayLike<number> }): Float32Array;
  /** Free the MuJoCo model and data. */
  close(): void;
}

/** Validate an options object: unknown keys and bad values throw, naming what is valid. */
export function checkEnvOptions(op: string, opts: unknown, extraKeys: readonly string[] = []): EnvOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new Error(`${op}: options must be an object, got ${Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  const valid = [...ENV_OPTION_KEYS, ...extraKeys];
  for (const k of Object.keys(opts)) {
    if (!valid.includes(k)) throw new Error(`${op}: unknown option '${k}'; valid options: ${valid.join(', ')}`);
  }
  const o = opts as Record<string, unknown>;
  for (const k of ['actionRepeat', 'episodeLength'] as const) {
    const x = o[k];
    if (x !== undefined && !(typeof x === 'number' && Number.isInteger(x) && x >= 1)) {
      throw new Error(`${op}: ${k} must be a positive integer, got ${fmt(x)}`);
    }
  }
  if (o.seed !== undefined && !(typeof o.seed === 'number' && Number.isSafeInteger(o.seed))) {
    throw new Error(`${op}: seed must be an integer, got ${fmt(o.seed)}`);
  }
  if (o.render !== undefined && typeof o.render !== 'function') {
    throw new Error(`${op}: render must be a function (scene: Scene) => Uint8Array, got ${fmt(o.render)}`);
  }
  if (o.physicsDR !== undefined) frictionIntervals(op, o.physicsDR);
  return o as EnvOptions;
}

/** The friction intervals of a physicsDR setting, or a clear error. */
export function frictionIntervals(op: string, dr: unknown): readonly Interval[] {
  const usage = `physicsDR must be 'off', 'train', 'heldout' or { friction: [lo, hi] | [[lo, hi], ...] } with 0 < lo <= hi`;
  if (dr === undefined) return PHYSICS_DR_RANGES.off;
  if (typeof dr === 'string') {
    if (dr === 'off' || dr === 'train' || dr === 'heldout') return PHYSICS_DR_RANGES[dr];
    throw new Error(`${op}: unknown physicsDR '${dr}'; ${usage}`);
  }
  if (typeof dr === 'object' && dr !== null && !Array.isArray(dr)) {
    const keys = Object.keys(dr);
    const bad = keys.find((k) => k !== 'friction');
    if (bad) throw new Error(`${op}: unknown physicsDR field '${bad}'; valid fields: friction`);
    const f = (dr as { friction?: unknown }).friction;
    const list = Array.isArray(f) && f.length > 0 && Array.isArray(f[0]) ? (f as unknown[]) : [f];
    const out: Interval[] = [];
    for (const iv of list) {
      if (
        !Array.isArray(iv) ||
        iv.length !== 2 ||
        !iv.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
        !(iv[0] > 0 && iv[0] <= iv[1])
      ) {
        throw new Error(`${op}: ${usage}; got ${fmt(f)}`);
      }
      out.push([iv[0], iv[1]]);
    }
    return out;
  }
  throw new Error(`${op}: ${usage}; got ${fmt(dr)}`);
}

/** Uniform over a union of intervals (each chosen with probability proportional to its length). */
export function sampleIntervals(rng: Rng, ivs: readonly Interval[]): number {
  const total = ivs.reduce((s, [a, b]) => s + (b - a), 0);
  const u = rng.random();
  if (total === 0) return ivs[Math.min(ivs.length - 1, Math.floor(u * ivs.length))][0];
  let r = u * total;
  for (const [a, b] of ivs) {
    if (r <= b - a) return a + r;
    r -= b - a;
  }
  return ivs[ivs.length - 1][1];
}

function fmt(x: unknown): string {
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'function') return 'a function';
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

export class TwistEnv implements Env {
  readonly task: TaskName;
  readonly stateSize: number;
  readonly actionSize: number;
  readonly stateLabels: readonly string[];
  readonly actionLabels: readonly string[];
  readonly actionRepeat: number;
  readonly episodeLength: number;
  readonly maxSteps: number;
  /** Physics steps per control step. */
  readonly substeps: number;

  private readonly spec: TaskSpec;
  private readonly sim: Sim;
  private readonly logic: TaskLogic;
  private readonly sceneBuilder: SceneBuilder;
  private readonly presenter: ScenePresenter;
  private readonly render: ((scene: Scene) => Uint8Array) | undefined;
  private readonly friction: readonly Interval[];
  private readonly frictionGeoms: number[];
  private readonly baseFriction: Float64Array;
  private readonly seeds: Rng;
  private readonly action: Float64Array;
  private readonly stateBuf: Float32Array;
  /** mj_step2 + mj_step1 per physics step (dm_control's legacy step), except for RK4 models. */
  private readonly splitStep: boolean;
  private lastImage: Uint8Array | null = null;
  private episodeSeed = 0;
  private frictionScale = 1;
  private controlStep = 0;
  private started = false;
  private over = false;

  constructor(spec: TaskSpec, mj: Mujoco, opts: EnvOptions = {}) {
    this.spec = spec;
    this.task = spec.name as TaskName;
    this.sim = new Sim(mj, spec.xml, spec.name);
    this.logic = spec.create(this.sim);
    this.stateLabels = spec.stateLabels;
    this.actionLabels = spec.actionLabels;
    this.stateSize = spec.stateLabels.length;
    this.actionSize = spec.actionLabels.length;
    if (spec.actionLabels.length !== this.sim.nu && this.sim.nu !== 0) {
      throw new Error(`${spec.name}: ${spec.actionLabels.length} action labels but ${this.sim.nu} actuators`);
    }
    this.actionRepeat = opts.actionRepeat ?? spec.defaultActionRepeat;
    this.episodeLength = opts.episodeLength ?? spec.episodeLength;
    this.maxSteps = Math.ceil(this.episodeLength / this.actionRepeat);
    this.substeps = Math.max(1, Math.round(spec.controlTimestep / this.sim.timestep));
    this.splitStep = !this.sim.rk4;
    this.render = opts.render;
    this.friction = frictionIntervals('makeEnv', opts.physicsDR);
    this.seeds = new Rng(opts.seed ?? 0);
    this.action = new Float64Array(this.actionSize);
    this.stateBuf = new Float32Array(this.stateSize);
    const ngeom = (this.sim.model as any).ngeom as number;
    this.frictionGeoms = spec.frictionGeoms
      ? spec.frictionGeoms.map((g) => this.sim.id('geom', g))
      : Array.from({ length: ngeom }, (_, i) => i);
    const gf = this.sim.v.geom_friction;
    this.baseFriction = Float64Array.from(this.frictionGeoms, (g) => gf[3 * g]);
    this.sceneBuilder = new SceneBuilder(this.sim, spec.visuals);
    this.presenter = new ScenePresenter(this.sim, spec);
  }

  reset(seed?: number): Obs {
    if (seed === undefined) seed = this.seeds.fork();
    else if (!(typeof seed === 'number' && Number.isSafeInteger(seed))) {
      throw new Error(`reset: seed must be an integer, got ${fmt(seed)}`);
    }
    this.episodeSeed = seed;
    const rng = new Rng(seed);
    // The DR draw uses its own stream so that initial states do not depend on whether DR is on.
    const drRng = new Rng(rng.fork());
    this.frictionScale = sampleIntervals(drRng, this.friction);
    const gf = this.sim.v.geom_friction;
    this.frictionGeoms.forEach((g, i) => (gf[3 * g] = this.baseFriction[i] * this.frictionScale));
    this.sim.reset();
    this.logic.initEpisode(rng);
    this.sim.forward();
    this.controlStep = 0;
    this.started = true;
    this.over = false;
    if (this.sim.unstable()) {
      this.over = true;
      return this.obs(0, this.info(false, true, false), true);
    }
    return this.obs(0, this.info(false, false, false), false);
  }

  step(action: ArrayLike<number>): Obs {
    if (!this.started) throw new Error(`step: call reset(seed) before step() (${this.task})`);
    if (this.over) throw new Error(`step: the ${this.task} episode is over (done); call reset(seed) first`);
    const clipped = this.readAction(action);
    let reward = 0;
    let unstable = false;
    for (let r = 0; r < this.actionRepeat && this.controlStep < this.episodeLength; r++) {
      if (this.logic.applyAction) this.logic.applyAction(this.action);
      else this.sim.v.ctrl.set(this.action);
      const n = this.substeps;
      if (this.splitStep) {
        for (let k = 0; k < n; k++) {
          if (this.logic.beforeSubstep) this.logic.beforeSubstep(k, n);
          this.sim.stepSplit();
        }
      } else {
        for (let k = 0; k < n; k++) {
          if (this.logic.beforeSubstep) this.logic.beforeSubstep(k, n);
          this.sim.step(1);
        }
        this.sim.forward();
      }
      if (this.sim.unstable()) {
        unstable = true;
        break;
      }
      this.controlStep++;
      reward += this.logic.reward();
    }
    const timeLimit = !unstable && this.controlStep >= this.episodeLength;
    this.over = unstable || timeLimit;
    return this.obs(reward, this.info(timeLimit, unstable, clipped), this.over);
  }

  scene(): Scene {
    const s = this.sceneBuilder.build();
    this.presenter.apply(s);
    if (this.logic.sceneExtras) s.geoms.push(...this.logic.sceneExtras());
    return s;
  }

  physicsState(): { qpos: Float64Array; qvel: Float64Array; time: number } {
    return { qpos: this.sim.v.qpos.slice(), qvel: this.sim.v.qvel.slice(), time: this.sim.time };
  }

  setPhysicsState(s: { qpos?: ArrayLike<number>; qvel?: ArrayLike<number> }): Float32Array {
    const v = this.sim.v;
    if (s.qpos) {
      if (s.qpos.length !== this.sim.nq) throw new Error(`setPhysicsState: qpos must have length ${this.sim.nq}, got ${s.qpos.length}`);
      v.qpos.set(s.qpos);
    }
    if (s.qvel) {
      if (s.qvel.length !== this.sim.nv) throw new Error(`setPhysicsState: qvel must have length ${this.sim.nv}, got ${s.qvel.length}`);
      v.qvel.set(s.qvel);
    }
    this.sim.forward();
    const out = new Float32Array(this.stateSize);
    this.logic.observe(out);
    // An unstable state set here ends the episode at the next step (info.unstable), like a blow-up would.
    if (!this.sim.unstable()) this.stateBuf.set(out);
    return out;
  }

  close(): void {
    this.sim.close();
    this.started = false;
  }

  private readAction(action: ArrayLike<number>): boolean {
    const n = this.actionSize;
    const isArrayLike =
      Array.isArray(action) || (ArrayBuffer.isView(action) && !(action instanceof DataView));
    if (!isArrayLike) {
      throw new Error(
        `step: action must be a Float32Array or number[] of length ${n} for ${this.task}, got ${action === null ? 'null' : typeof action}`,
      );
    }
    if (action.length !== n) throw new Error(`step: action must have length ${n} for ${this.task}, got ${action.length}`);
    let clipped = false;
    for (let i = 0; i < n; i++) {
      const x = action[i] as unknown;
      if (typeof x !== 'number' && typeof x !== 'bigint') {
        throw new Error(`step: action[${i}] must be a number for ${this.task}, got ${typeof x} (${fmt(x)})`);
      }
      const v = Number(x);
      if (Number.isNaN(v)) throw new Error(`step: action[${i}] is NaN for ${this.task}; actions must be finite numbers`);
      if (!Number.isFinite(v)) throw new Error(`step: action[${i}] is ${v} for ${this.task}; actions must be finite numbers`);
      const c = v < -1 ? -1 : v > 1 ? 1 : v;
      if (c !== v) clipped = true;
      this.action[i] = c;
    }
    return clipped;
  }

  private info(timeLimit: boolean, unstable: boolean, clipped: boolean): StepInfo {
    const info: StepInfo = {
      task: this.task,
      seed: this.episodeSeed,
      controlStep: this.controlStep,
      friction: this.frictionScale,
      timeLimit,
      unstable,
      clipped,
    };
    if (this.logic.info && !unstable) Object.assign(info, this.logic.info());
    return info;
  }

  private obs(reward: number, info: StepInfo, done: boolean): Obs {
    if (!info.unstable) this.logic.observe(this.stateBuf);
    const state = this.stateBuf.slice();
    // After a blow-up the scene holds NaN poses: repeat the last image instead of drawing them.
    let image: Uint8Array | null = null;
    if (this.render) image = info.unstable && this.lastImage ? this.lastImage : this.render(this.scene());
    this.lastImage = image;
    return { state, image, reward, done, info };
  }
}

/** Create an environment (loads MuJoCo's wasm on first use). */
export async function makeEnv(task: TaskName | string, opts: EnvOptions = {}): Promise<Env> {
  const spec = getTask(task, 'makeEnv');
  const o = checkEnvOptions('makeEnv', opts);
  const mj = await loadPhysics();
  return new TwistEnv(spec, mj, o);
}

/** Synchronous makeEnv, once `await loadPhysics()` has completed in this thread. */
export function makeEnvSync(task: TaskName | string, opts: EnvOptions = {}): Env {
  const spec = getTask(task, 'makeEnv');
  const o = checkEnvOptions('makeEnv', opts);
  return new TwistEnv(spec, physicsModule(), o);
}
