/**
 * Ball in cup, catch (dm_control suite `ball_in_cup`): a planar cup (two slide joints with springs, two
 * motors) with a ball tied to it by a 0.3 m string (a limited spatial tendon). Sparse reward of dm_control:
 * 1 when the ball is inside the cup's target box (|target - ball| < target_half_size - ball_radius in x and
 * z), else 0.
 */
import type { SceneGeom } from '../scene.js';
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { FLOOR_TEXTURE, SKY_TEXTURE } from '../physics/scene-builder.js';
import { orbitCamera, RGBA, type TaskLogic, type TaskSpec } from './task.js';

const STRING_LENGTH = 0.3;
const BALL_RADIUS = 0.025;
/** Half sizes of the target box inside the cup (x, y, z). */
const TARGET_HALF: [number, number, number] = [0.05, 0.006, 0.05];

export const BALL_IN_CUP_XML = `
<mujoco model="twist-ball-in-cup">
  <compiler autolimits="true"/>
  <option timestep="0.01">
    <flag autoreset="disable"/>
  </option>
  <default>
    <default class="cup">
      <joint type="slide" damping="3" stiffness="10"/>
      <geom type="capsule" size="0.008" rgba="${RGBA.self}"/>
    </default>
  </default>
  <worldbody>
    <!-- Fixed: 0.85 m across, the cup's whole range (slides +-0.3 m) in frame, the ball hanging below it. -->
    ${orbitCamera('front', { target: [0, 0, 0.6], span: 0.85, elevation: 8, fovy: 45 })}
    <geom name="ground" type="plane" size="0 0 0.1" rgba="${RGBA.floor}"/>
    <body name="cup" pos="0 0 0.6" childclass="cup" gravcomp="1">
      <joint name="cup_x" axis="1 0 0" range="-0.3 0.3"/>
      <joint name="cup_z" axis="0 0 1" range="-0.3 0.3"/>
      <geom name="cup_bottom" fromto="-0.05 0 0 0.05 0 0"/>
      <geom name="cup_left" fromto="-0.05 0 0 -0.075 0 0.1"/>
      <geom name="cup_right" fromto="0.05 0 0 0.075 0 0.1"/>
      <site name="target" type="box" pos="0 0 0.05" size="${TARGET_HALF.join(' ')}" group="4" rgba="0 0 0 0"/>
      <site name="cup_anchor" pos="0 0 -0.01" size="0.005" group="4"/>
    </body>
    <body name="ball">
      <joint name="ball_x" type="slide" axis="1 0 0"/>
      <joint name="ball_z" type="slide" axis="0 0 1"/>
      <geom name="ball" type="sphere" size="${BALL_RADIUS}" mass="0.065" rgba="${RGBA.effector}"/>
      <site name="ball_anchor" size="0.005" group="4"/>
    </body>
  </worldbody>
  <tendon>
    <spatial name="string" range="0 ${STRING_LENGTH}" width="0.002">
      <site site="ball_anchor"/>
      <site site="cup_anchor"/>
    </spatial>
  </tendon>
  <actuator>
    <motor name="x" joint="cup_x" gear="4" ctrlrange="-1 1"/>
    <motor name="z" joint="cup_z" gear="4" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

/** dm_control's in_target(): the ball centre is inside the target box shrunk by the ball radius (x and z). */
export function ballInCupReward(ballToTargetX: number, ballToTargetZ: number): number {
  return Math.abs(ballToTargetX) < TARGET_HALF[0] - BALL_RADIUS && Math.abs(ballToTargetZ) < TARGET_HALF[2] - BALL_RADIUS
    ? 1
    : 0;
}

class BallInCupLogic implements TaskLogic {
  private readonly ballX: number;
  private readonly ballZ: number;
  private readonly ballBody: number;
  private readonly targetSite: number;
  private readonly cupAnchor: number;
  private readonly ballAnchor: number;

  constructor(private readonly sim: Sim) {
    this.ballX = sim.qposAdr('ball_x');
    this.ballZ = sim.qposAdr('ball_z');
    this.ballBody = sim.id('body', 'ball');
    this.targetSite = sim.id('site', 'target');
    this.cupAnchor = sim.id('site', 'cup_anchor');
    this.ballAnchor = sim.id('site', 'ball_anchor');
  }

  initEpisode(rng: Rng): void {
    // dm_control: ball x ~ U(-0.2, 0.2), z ~ U(0.2, 0.5) until nothing penetrates; we also keep the string
    // slack (ball within the string's length of its anchor) so the first step does not yank the ball.
    const { qpos } = this.sim.v;
    for (let attempt = 0; attempt < 1000; attempt++) {
      qpos[this.ballX] = rng.uniform(-0.2, 0.2);
      qpos[this.ballZ] = rng.uniform(0.2, 0.5);
      this.sim.forward();
      const s = this.sim.v.site_xpos;
      const dx = s[3 * this.ballAnchor] - s[3 * this.cupAnchor];
      const dz = s[3 * this.ballAnchor + 2] - s[3 * this.cupAnchor + 2];
      if (this.sim.ncon === 0 && Math.hypot(dx, dz) <= STRING_LENGTH) break;
    }
  }

  observe(out: Float32Array): void {
    const { qpos, qvel } = this.sim.v;
    for (let i = 0; i < 4; i++) out[i] = qpos[i];
    for (let i = 0; i < 4; i++) out[4 + i] = qvel[i];
  }

  reward(): number {
    const { site_xpos: s, xpos } = this.sim.v;
    const t = this.targetSite;
    const b = this.ballBody;
    return ballInCupReward(s[3 * t] - xpos[3 * b], s[3 * t + 2] - xpos[3 * b + 2]);
  }

  info(): Record<string, number | boolean> {
    return { inCup: this.reward() === 1 };
  }

  /** The string, drawn as a thin capsule between its two anchors. */
  sceneExtras(): SceneGeom[] {
    const s = this.sim.v.site_xpos;
    const a = [s[3 * this.cupAnchor], s[3 * this.cupAnchor + 1], s[3 * this.cupAnchor + 2]];
    const b = [s[3 * this.ballAnchor], s[3 * this.ballAnchor + 1], s[3 * this.ballAnchor + 2]];
    return [segmentCapsule(a, b, 0.003, [0.3, 0.3, 0.3, 1])];
  }
}

/** A capsule geom from a to b (local z along the segment). */
export function segmentCapsule(a: number[], b: number[], radius: number, rgba: [number, number, number, number]): SceneGeom {
  const d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const len = Math.hypot(d[0], d[1], d[2]);
  const z = len > 1e-9 ? d.map((x) => x / len) : [0, 0, 1];
  // any unit x orthogonal to z, y = z cross x
  const ref = Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const dot = ref[0] * z[0] + ref[1] * z[1] + ref[2] * z[2];
  let x = [ref[0] - dot * z[0], ref[1] - dot * z[1], ref[2] - dot * z[2]];
  const nx = Math.hypot(x[0], x[1], x[2]);
  x = x.map((v) => v / nx);
  const y = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
  return {
    type: 'capsule',
    pos: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2],
    // row-major; columns are the local axes x, y, z
    mat: [x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]],
    size: [radius, len / 2, 0],
    rgba,
    texture: -1,
  };
}

export const ballInCupCatch: TaskSpec = {
  name: 'ball-in-cup-catch',
  description: 'swing the ball on its string into the cup',
  xml: BALL_IN_CUP_XML,
  controlTimestep: 0.02,
  episodeLength: 1000,
  defaultActionRepeat: 2,
  stateLabels: ['cup_x', 'cup_z', 'ball_x', 'ball_z', 'cup_x_vel', 'cup_z_vel', 'ball_x_vel', 'ball_z_vel'],
  actionLabels: ['cup_x_force', 'cup_z_force'],
  visuals: {
    camera: 'front',
    textures: [FLOOR_TEXTURE],
    geomTextures: { ground: 0 },
    background: SKY_TEXTURE,
  },
  create: (sim) => new BallInCupLogic(sim),
};
