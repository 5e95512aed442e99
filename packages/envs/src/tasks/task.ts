/**
 * What a task is: an MJCF model (our own, written for this project), DeepMind-Control-equivalent episode
 * initialisation, observation (the privileged state) and reward, plus its default looks for the renderer.
 */
import type { SceneGeom } from '../scene.js';
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import type { TaskVisuals } from '../physics/scene-builder.js';

export interface TaskSpec {
  /** Canonical name, e.g. 'cheetah-run'. */
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** The MJCF model. */
  readonly xml: string;
  /** Seconds per control step (the physics steps round(controlTimestep / timestep) times per control step). */
  readonly controlTimestep: number;
  /** Control steps per episode (dm_control: 1000; block push: 150). */
  readonly episodeLength: number;
  /** Control steps per agent action when the caller does not say (2 for the DMC tasks, as in Dreamer). */
  readonly defaultActionRepeat: number;
  /** One name per state entry; stateSize = stateLabels.length. */
  readonly stateLabels: readonly string[];
  /** One name per action entry; actionSize = actionLabels.length. */
  readonly actionLabels: readonly string[];
  readonly visuals: TaskVisuals;
  /** Geoms whose sliding friction the physics DR scales (default: all). */
  readonly frictionGeoms?: readonly string[];
  create(sim: Sim): TaskLogic;
}

export interface TaskLogic {
  /** After mj_resetData: set the initial state from `rng` (the env runs mj_forward afterwards). */
  initEpisode(rng: Rng): void;
  /** Apply an action already clipped to [-1, 1] for one control step. Default: ctrl = action. */
  applyAction?(action: Float64Array): void;
  /** Before physics substep k of n (block push moves its mocap end effector here). */
  beforeSubstep?(k: number, n: number): void;
  /** Write the state (stateLabels order) after forward kinematics. */
  observe(out: Float32Array): void;
  /** Reward of the control step just taken (state after the step, the clipped action in data.ctrl). */
  reward(): number;
  /** Task-specific info after each control step (e.g. block push `success`). */
  info?(): Record<string, number | boolean>;
  /** Extra geoms for the renderer that MuJoCo does not list as geoms (e.g. a tendon drawn as a capsule). */
  sceneExtras?(): SceneGeom[];
}

const JNT_FREE = 0;
const JNT_BALL = 1;
const JNT_SLIDE = 2;
const JNT_HINGE = 3;

/**
 * dm_control's randomizers.randomize_limited_and_rotational_joints: limited hinge and slide joints uniform
 * in their range, unlimited hinges uniform in [-pi, pi), unlimited ball joints and the rotation of free joints
 * a random unit quaternion (limited ball joints are not used by our models).
 */
export function randomizeLimitedAndRotationalJoints(sim: Sim, rng: Rng): void {
  const m = sim.model as any;
  const type: Int32Array = m.jnt_type;
  const limited: Uint8Array = m.jnt_limited;
  const range: Float64Array = m.jnt_range;
  const adr: Int32Array = m.jnt_qposadr;
  const qpos = sim.v.qpos;
  for (let j = 0; j < m.njnt; j++) {
    const a = adr[j];
    if (limited[j]) {
      if (type[j] === JNT_HINGE || type[j] === JNT_SLIDE) qpos[a] = rng.uniform(range[2 * j], range[2 * j + 1]);
    } else if (type[j] === JNT_HINGE) {
      qpos[a] = rng.uniform(-Math.PI, Math.PI);
    } else if (type[j] === JNT_BALL || type[j] === JNT_FREE) {
      const o = type[j] === JNT_FREE ? a + 3 : a;
      const q = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
      const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
      for (let k = 0; k < 4; k++) qpos[o + k] = q[k] / n;
    }
  }
}

/** Shared MJCF colours. */
export const RGBA = {
  self: '0.7 0.5 0.3 1',
  effector: '0.7 0.4 0.2 1',
  decoration: '0.3 0.5 0.7 1',
  target: '0.6 0.3 0.3 1',
  floor: '0.2 0.3 0.4 1',
} as const;
