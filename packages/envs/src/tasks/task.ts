/**
 * What a task is: an MJCF model (our own, written for this project), DeepMind-Control-equivalent episode
 * initialisation, observation (the privileged state) and reward, plus its default looks for the renderer.
 */
import type { SceneGeom, Vec3 } from '../scene.js';
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
  /**
   * Presentation only (no effect on physics): the image camera follows this body along world x. The task's
   * MJCF camera is a fixed world camera framed for the body at x = 0; the scene shifts its position and target
   * by the body's current x, so the ground, the horizon and the body's height stay put in the image while the
   * body runs (MuJoCo's trackcom would also follow z).
   */
  readonly cameraTrackBody?: string;
  /**
   * Presentation only: SceneGeom.drRole of named geoms for visual domain randomisation (default: planes
   * 'floor', other geoms 'object'), e.g. a table box that takes the floor texture or a goal marker that keeps
   * its task colour ('fixed').
   */
  readonly drRoles?: Readonly<Record<string, NonNullable<SceneGeom['drRole']>>>;
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

/**
 * An MJCF world camera at `pos` looking at `target` with world +z up (as a fixed `xyaxes` frame) and vertical
 * field of view `fovy` degrees. At distance d from the target the image spans 2 d tan(fovy / 2) metres.
 */
export function lookAtCamera(name: string, pos: Vec3, target: Vec3, fovy: number): string {
  const f = norm([target[0] - pos[0], target[1] - pos[1], target[2] - pos[2]]);
  const x = norm([f[1], -f[0], 0]); // f x (0, 0, 1): the image's right
  if (!x.every(Number.isFinite)) throw new Error(`lookAtCamera(${name}): the view direction must not be vertical`);
  const y = [x[1] * f[2] - x[2] * f[1], x[2] * f[0] - x[0] * f[2], x[0] * f[1] - x[1] * f[0]]; // x cross f: up
  const fmt = (v: readonly number[]) => v.map((c) => +c.toFixed(6)).join(' ');
  return `<camera name="${name}" pos="${fmt(pos)}" xyaxes="${fmt(x)} ${fmt(y)}" fovy="${fovy}"/>`;
}

/**
 * lookAtCamera placed by what it frames: the image spans `span` metres (vertically and, the images being
 * square, horizontally) across the plane through `target` facing the camera, seen from `elevation` degrees
 * above the horizontal and `azimuth` degrees around +z from the front (0: the camera on -y looking along +y;
 * positive swings it towards +x). Distance = span / (2 tan(fovy / 2)).
 */
export function orbitCamera(
  name: string,
  o: { target: Vec3; span: number; elevation: number; azimuth?: number; fovy: number },
): string {
  const d = o.span / (2 * Math.tan((o.fovy * Math.PI) / 360));
  const el = (o.elevation * Math.PI) / 180;
  const az = ((o.azimuth ?? 0) * Math.PI) / 180;
  const h = d * Math.cos(el);
  const pos: Vec3 = [o.target[0] + h * Math.sin(az), o.target[1] - h * Math.cos(az), o.target[2] + d * Math.sin(el)];
  return lookAtCamera(name, pos, o.target, o.fovy);
}

function norm(v: number[]): number[] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Shared MJCF colours. */
export const RGBA = {
  self: '0.7 0.5 0.3 1',
  effector: '0.7 0.4 0.2 1',
  decoration: '0.3 0.5 0.7 1',
  target: '0.6 0.3 0.3 1',
  floor: '0.2 0.3 0.4 1',
} as const;
