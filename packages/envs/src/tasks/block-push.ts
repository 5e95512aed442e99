/**
 * Block push (the paper's sim-to-real manipulation task, Sec. V-B): a 4 cm cube on a table, a peg end
 * effector (a MuJoCo mocap body) moved by Cartesian position deltas of at most 2 cm per control step, and a
 * red goal marker. The cube and goal positions are uniform on the table (at least 10 cm apart); success
 * when the cube centre is within 5 cm (in the table plane) of the goal at the end of the episode.
 *
 * Action: (dx, dy, dz) in [-1, 1]^3, times 2 cm; the target is clamped to the workspace (x, y in
 * [-0.3, 0.3], peg bottom 5 mm to 20 cm above the table) and reached by moving the mocap body in equal
 * increments over the control step's physics substeps (so the peg sweeps instead of teleporting).
 *
 * Dense shaped reward in [0, 1] per control step:
 *   reach = tolerance(|peg_tip - cube|, bounds=[0, 0.035], margin=0.25)                  (gaussian)
 *   push  = tolerance(|cube_xy - goal_xy|, bounds=[0, 0.02], margin=0.3, sigmoid='long_tail', 0.1)
 *   reward = (reach + 4 * push) / 5
 * and info.success = |cube_xy - goal_xy| < 0.05 after every step (the episode's success is its value on
 * the last step).
 */
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { SKY_TEXTURE } from '../physics/scene-builder.js';
import type { Texture } from '../scene.js';
import { orbitCamera, RGBA, type TaskLogic, type TaskSpec } from './task.js';
import { tolerance } from './tolerance.js';

export const BLOCK_HALF = 0.02;
export const MAX_DELTA = 0.02;
export const SUCCESS_RADIUS = 0.05;
const PEG_HALF = 0.04;
const PEG_RADIUS = 0.012;
const WORKSPACE = { x: [-0.3, 0.3], y: [-0.3, 0.3], z: [PEG_HALF + 0.005, PEG_HALF + 0.2] } as const;
/** Cube and goal are drawn uniformly in this square (table frame, metres). */
const SPAWN = 0.15;
/** The peg starts here (x, y) at the lowest height, so pushing is possible from the first step. */
const EE_START: [number, number] = [0, -0.22];

export const BLOCK_PUSH_XML = `
<mujoco model="twist-block-push">
  <compiler autolimits="true"/>
  <option timestep="0.005" cone="elliptic">
    <flag autoreset="disable"/>
  </option>
  <worldbody>
    <!-- Looking down (60 degrees) at the table from the side opposite the arm, which leans away from the
         camera: the spawn square, the peg's start and the middle 0.5 x 0.5 m of the workspace in frame. -->
    ${orbitCamera('table', { target: [0, -0.03, 0], span: 0.6, elevation: 60, azimuth: 180, fovy: 35 })}
    <geom name="floor" type="plane" pos="0 0 -0.75" size="0 0 0.1" rgba="0.25 0.25 0.25 1"/>
    <geom name="table" type="box" pos="0 0 -0.025" size="0.4 0.4 0.025" friction="0.6 0.005 0.0001" rgba="0.55 0.45 0.35 1"/>
    <geom name="goal" type="cylinder" pos="0.1 0.1 0.0006" size="0.03 0.0005" contype="0" conaffinity="0" rgba="0.9 0.1 0.1 1"/>
    <body name="block" pos="0 0 ${BLOCK_HALF}">
      <freejoint name="block"/>
      <geom name="block" type="box" size="${BLOCK_HALF} ${BLOCK_HALF} ${BLOCK_HALF}" mass="0.1" friction="0.6 0.005 0.0001" rgba="0.95 0.8 0.1 1"/>
    </body>
    <body name="ee" mocap="true" pos="${EE_START[0]} ${EE_START[1]} ${WORKSPACE.z[0]}">
      <geom name="peg" type="cylinder" size="${PEG_RADIUS} ${PEG_HALF}" friction="0.6 0.005 0.0001" rgba="0.8 0.8 0.8 1"/>
      <!-- The arm is drawn only (no contacts; a mocap body has no dynamics): it reaches in from -y, away
           from the camera, so it does not hide the table. -->
      <geom name="arm" type="capsule" fromto="0 0 ${PEG_HALF} 0 -0.35 0.5" size="0.025" contype="0" conaffinity="0" rgba="0.9 0.9 0.9 1"/>
    </body>
  </worldbody>
</mujoco>`;

const TABLE_TEXTURE: Texture = { family: 'grid', colorA: [0.55, 0.45, 0.35], colorB: [0.45, 0.37, 0.28], scale: 10, params: [0, 0, 0, 0.05] };

export interface BlockPushRewardParts {
  reach: number;
  push: number;
  reward: number;
}

/** The block push reward from the peg-tip-to-cube distance and the cube-to-goal distance in the plane. */
export function blockPushReward(tipToBlock: number, blockToGoalXY: number): BlockPushRewardParts {
  const reach = tolerance(tipToBlock, { bounds: [0, 0.035], margin: 0.25 });
  const push = tolerance(blockToGoalXY, { bounds: [0, 0.02], margin: 0.3, sigmoid: 'long_tail', valueAtMargin: 0.1 });
  return { reach, push, reward: (reach + 4 * push) / 5 };
}

class BlockPushLogic implements TaskLogic {
  private readonly blockQ: number;
  private readonly blockDof: number;
  private readonly goalGeom: number;
  private readonly mocap = 0;
  /** Where the mocap starts this control step and where it ends. */
  private readonly from = new Float64Array(3);
  private readonly to = new Float64Array(3);
  private readonly lastDelta = new Float64Array(3);

  constructor(private readonly sim: Sim) {
    this.blockQ = sim.qposAdr('block');
    this.blockDof = sim.dofAdr('block');
    this.goalGeom = sim.id('geom', 'goal');
  }

  initEpisode(rng: Rng): void {
    const v = this.sim.v;
    const bx = rng.uniform(-SPAWN, SPAWN);
    const by = rng.uniform(-SPAWN, SPAWN);
    let gx = 0;
    let gy = 0;
    for (let i = 0; i < 1000; i++) {
      gx = rng.uniform(-SPAWN, SPAWN);
      gy = rng.uniform(-SPAWN, SPAWN);
      if (Math.hypot(gx - bx, gy - by) >= 0.1) break;
    }
    const yaw = rng.uniform(-Math.PI, Math.PI);
    const q = v.qpos;
    q[this.blockQ] = bx;
    q[this.blockQ + 1] = by;
    q[this.blockQ + 2] = BLOCK_HALF;
    q[this.blockQ + 3] = Math.cos(yaw / 2);
    q[this.blockQ + 4] = 0;
    q[this.blockQ + 5] = 0;
    q[this.blockQ + 6] = Math.sin(yaw / 2);
    v.geom_pos[3 * this.goalGeom] = gx;
    v.geom_pos[3 * this.goalGeom + 1] = gy;
    const m = v.mocap_pos;
    m[0] = EE_START[0] + rng.uniform(-0.05, 0.05);
    m[1] = EE_START[1];
    m[2] = WORKSPACE.z[0];
    this.from.set(m.subarray(0, 3));
    this.to.set(m.subarray(0, 3));
    this.lastDelta.fill(0);
  }

  applyAction(a: Float64Array): void {
    const m = this.sim.v.mocap_pos;
    for (let i = 0; i < 3; i++) this.from[i] = m[3 * this.mocap + i];
    const lim = [WORKSPACE.x, WORKSPACE.y, WORKSPACE.z];
    for (let i = 0; i < 3; i++) {
      const t = Math.min(Math.max(this.from[i] + MAX_DELTA * a[i], lim[i][0]), lim[i][1]);
      this.to[i] = t;
      this.lastDelta[i] = t - this.from[i];
    }
  }

  beforeSubstep(k: number, n: number): void {
    const m = this.sim.v.mocap_pos;
    const f = (k + 1) / n;
    for (let i = 0; i < 3; i++) m[3 * this.mocap + i] = this.from[i] + f * (this.to[i] - this.from[i]);
  }

  private parts(): { tipToBlock: number; blockToGoal: number } {
    const v = this.sim.v;
    const m = v.mocap_pos;
    const q = v.qpos;
    const g = v.geom_pos;
    const dx = q[this.blockQ] - m[0];
    const dy = q[this.blockQ + 1] - m[1];
    const dz = q[this.blockQ + 2] - (m[2] - PEG_HALF);
    return {
      tipToBlock: Math.hypot(dx, dy, dz),
      blockToGoal: Math.hypot(q[this.blockQ] - g[3 * this.goalGeom], q[this.blockQ + 1] - g[3 * this.goalGeom + 1]),
    };
  }

  observe(out: Float32Array): void {
    const v = this.sim.v;
    const m = v.mocap_pos;
    const q = v.qpos;
    const qd = v.qvel;
    const g = v.geom_pos;
    let k = 0;
    for (let i = 0; i < 3; i++) out[k++] = m[i];
    for (let i = 0; i < 7; i++) out[k++] = q[this.blockQ + i];
    for (let i = 0; i < 6; i++) out[k++] = qd[this.blockDof + i];
    out[k++] = g[3 * this.goalGeom];
    out[k++] = g[3 * this.goalGeom + 1];
    for (let i = 0; i < 3; i++) out[k++] = q[this.blockQ + i] - (i === 2 ? m[2] - PEG_HALF : m[i]);
    out[k++] = g[3 * this.goalGeom] - q[this.blockQ];
    out[k++] = g[3 * this.goalGeom + 1] - q[this.blockQ + 1];
  }

  reward(): number {
    const p = this.parts();
    return blockPushReward(p.tipToBlock, p.blockToGoal).reward;
  }

  info(): Record<string, number | boolean> {
    const p = this.parts();
    return { success: p.blockToGoal < SUCCESS_RADIUS, blockToGoal: p.blockToGoal };
  }
}

export const blockPush: TaskSpec = {
  name: 'block-push',
  description: 'push the 4 cm cube to within 5 cm of the red goal marker',
  xml: BLOCK_PUSH_XML,
  controlTimestep: 0.04,
  episodeLength: 150,
  defaultActionRepeat: 1,
  stateLabels: [
    'ee_x',
    'ee_y',
    'ee_z',
    'block_x',
    'block_y',
    'block_z',
    'block_qw',
    'block_qx',
    'block_qy',
    'block_qz',
    'block_vx',
    'block_vy',
    'block_vz',
    'block_wx',
    'block_wy',
    'block_wz',
    'goal_x',
    'goal_y',
    'tip_to_block_x',
    'tip_to_block_y',
    'tip_to_block_z',
    'block_to_goal_x',
    'block_to_goal_y',
  ],
  actionLabels: ['dx', 'dy', 'dz'],
  visuals: {
    camera: 'table',
    textures: [TABLE_TEXTURE],
    geomTextures: { table: 0 },
    background: SKY_TEXTURE,
  },
  drRoles: { table: 'floor', goal: 'fixed' },
  frictionGeoms: ['table', 'block', 'peg'],
  create: (sim) => new BlockPushLogic(sim),
};
