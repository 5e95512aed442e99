/**
 * Finger, turn easy (dm_control suite `finger`): a two-link planar finger (proximal and distal hinges,
 * actuated) turns a free-spinning body (unactuated hinge with damping and friction loss) so that the
 * spinner's tip reaches a target on the tip's circle. Gravity is off. Sparse reward of dm_control:
 *   dist_to_target = |target - tip| - target_radius;   reward = 1 if dist_to_target <= 0 else 0
 * with target_radius 0.07 for 'easy'.
 */
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { FLOOR_TEXTURE, SKY_TEXTURE } from '../physics/scene-builder.js';
import { orbitCamera, RGBA, randomizeLimitedAndRotationalJoints, type TaskLogic, type TaskSpec } from './task.js';

export const EASY_TARGET_RADIUS = 0.07;

export const FINGER_XML = `
<mujoco model="twist-finger">
  <compiler angle="degree" autolimits="true"/>
  <option timestep="0.01" cone="elliptic" iterations="200">
    <flag gravity="disable" autoreset="disable"/>
  </option>
  <default>
    <geom solimp="0 0.9 0.01" solref="0.02 1"/>
    <joint type="hinge" axis="0 -1 0"/>
    <default class="finger">
      <joint damping="2.5"/>
      <site type="ellipsoid" size="0.025 0.03 0.025" group="3"/>
    </default>
  </default>
  <worldbody>
    <!-- Fixed, slightly raised: the finger's reach and the spinner with its target fill the frame (0.95 m). -->
    ${orbitCamera('front', { target: [-0.1, 0, 0.4], span: 0.95, elevation: 15, fovy: 45 })}
    <geom name="ground" type="plane" size="0 0 0.1" rgba="${RGBA.floor}"/>
    <body name="proximal" pos="-0.2 0 0.4" childclass="finger">
      <geom name="proximal_hub" type="cylinder" fromto="0 -0.033 0 0 0.033 0" size="0.034" rgba="${RGBA.decoration}" contype="0" conaffinity="0"/>
      <joint name="proximal" range="-110 110"/>
      <geom name="proximal" type="capsule" size="0.03" fromto="0 0 0 0 0 -0.17" rgba="${RGBA.self}"/>
      <body name="distal" pos="0 0 -0.18">
        <joint name="distal" range="-110 110"/>
        <geom name="distal" type="capsule" size="0.028" fromto="0 0 0 0 0 -0.16" contype="0" conaffinity="0" rgba="${RGBA.self}"/>
        <geom name="fingertip" type="capsule" size="0.03" fromto="0 0 -0.13 0 0 -0.161" rgba="${RGBA.effector}"/>
        <site name="touchtop" pos="0.01 0 -0.17"/>
        <site name="touchbottom" pos="-0.01 0 -0.17"/>
      </body>
    </body>
    <body name="spinner" pos="0.2 0 0.4">
      <joint name="hinge" frictionloss="0.1" damping="0.5"/>
      <geom name="cap1" type="capsule" size="0.04 0.09" pos="0.02 0 0" rgba="${RGBA.self}"/>
      <geom name="cap2" type="capsule" size="0.04 0.09" pos="-0.02 0 0" rgba="${RGBA.self}"/>
      <geom name="spinner_hub" type="cylinder" fromto="0 -0.045 0 0 0.045 0" size="0.02" rgba="${RGBA.decoration}" contype="0" conaffinity="0"/>
      <site name="tip" type="sphere" size="0.02" pos="0 0 0.13" rgba="${RGBA.target}"/>
    </body>
    <site name="target" type="sphere" size="0.03" pos="0 0 0.4" rgba="${RGBA.target}"/>
  </worldbody>
  <actuator>
    <motor name="proximal" joint="proximal" gear="30" ctrlrange="-1 1"/>
    <motor name="distal" joint="distal" gear="15" ctrlrange="-1 1"/>
  </actuator>
  <sensor>
    <touch name="touchtop" site="touchtop"/>
    <touch name="touchbottom" site="touchbottom"/>
  </sensor>
</mujoco>`;

/** dm_control finger turn reward from the distance to the target's surface. */
export function fingerTurnReward(distToTarget: number): number {
  return distToTarget <= 0 ? 1 : 0;
}

class FingerLogic implements TaskLogic {
  private readonly proximal: number;
  private readonly distal: number;
  private readonly hingeDof: number;
  private readonly proximalDof: number;
  private readonly distalDof: number;
  private readonly spinner: number;
  private readonly hingeJoint: number;
  private readonly tip: number;
  private readonly target: number;
  private readonly touchTop: number;
  private readonly touchBottom: number;
  private readonly radius: number;

  constructor(
    private readonly sim: Sim,
    private readonly targetRadius: number,
  ) {
    this.proximal = sim.qposAdr('proximal');
    this.distal = sim.qposAdr('distal');
    this.proximalDof = sim.dofAdr('proximal');
    this.distalDof = sim.dofAdr('distal');
    this.hingeDof = sim.dofAdr('hinge');
    this.hingeJoint = sim.id('joint', 'hinge');
    this.spinner = sim.id('body', 'spinner');
    this.tip = sim.id('site', 'tip');
    this.target = sim.id('site', 'target');
    this.touchTop = sim.sensorAdr('touchtop');
    this.touchBottom = sim.sensorAdr('touchbottom');
    const size = sim.v.geom_size;
    const cap1 = sim.id('geom', 'cap1');
    this.radius = size[3 * cap1] + size[3 * cap1 + 1] + size[3 * cap1 + 2];
  }

  initEpisode(rng: Rng): void {
    const sim = this.sim;
    // The target on the circle the spinner's tip draws (radius = cap1 radius + half length, as dm_control).
    sim.forward();
    const anchor = (sim.data as any).xanchor as Float64Array;
    const hx = anchor[3 * this.hingeJoint];
    const hz = anchor[3 * this.hingeJoint + 2];
    const angle = rng.uniform(-Math.PI, Math.PI);
    const v = sim.v;
    v.site_pos[3 * this.target] = hx + this.radius * Math.sin(angle);
    v.site_pos[3 * this.target + 2] = hz + this.radius * Math.cos(angle);
    v.site_size[3 * this.target] = this.targetRadius;
    // Random joint angles until nothing touches (dm_control's _set_random_joint_angles, 1000 attempts).
    for (let attempt = 0; attempt < 1000; attempt++) {
      randomizeLimitedAndRotationalJoints(sim, rng);
      sim.forward();
      if (sim.ncon === 0) break;
    }
  }

  private rel(site: number, out: Float32Array, k: number): void {
    const s = this.sim.v.site_xpos;
    const b = this.sim.v.xpos;
    out[k] = s[3 * site] - b[3 * this.spinner];
    out[k + 1] = s[3 * site + 2] - b[3 * this.spinner + 2];
  }

  distToTarget(): number {
    const s = this.sim.v.site_xpos;
    const dx = s[3 * this.target] - s[3 * this.tip];
    const dz = s[3 * this.target + 2] - s[3 * this.tip + 2];
    return Math.hypot(dx, dz) - this.sim.v.site_size[3 * this.target];
  }

  observe(out: Float32Array): void {
    const { qpos, qvel, sensordata } = this.sim.v;
    out[0] = qpos[this.proximal];
    out[1] = qpos[this.distal];
    this.rel(this.tip, out, 2);
    out[4] = qvel[this.proximalDof];
    out[5] = qvel[this.distalDof];
    out[6] = qvel[this.hingeDof];
    out[7] = Math.log1p(sensordata[this.touchTop]);
    out[8] = Math.log1p(sensordata[this.touchBottom]);
    this.rel(this.target, out, 9);
    out[11] = this.distToTarget();
  }

  reward(): number {
    return fingerTurnReward(this.distToTarget());
  }
}

export const fingerTurnEasy: TaskSpec = {
  name: 'finger-turn-easy',
  description: "turn the spinner so that its tip reaches the target (radius 0.07)",
  xml: FINGER_XML,
  controlTimestep: 0.02,
  episodeLength: 1000,
  defaultActionRepeat: 2,
  stateLabels: [
    'proximal',
    'distal',
    'tip_x_rel',
    'tip_z_rel',
    'proximal_vel',
    'distal_vel',
    'hinge_vel',
    'touch_top_log1p',
    'touch_bottom_log1p',
    'target_x_rel',
    'target_z_rel',
    'dist_to_target',
  ],
  actionLabels: ['proximal_torque', 'distal_torque'],
  visuals: {
    camera: 'front',
    textures: [FLOOR_TEXTURE],
    geomTextures: { ground: 0 },
    visibleSites: ['tip', 'target'],
    background: SKY_TEXTURE,
  },
  create: (sim) => new FingerLogic(sim, EASY_TARGET_RADIUS),
};
