/**
 * Hopper, stand (dm_control suite `hopper`): a planar one-legged hopper (root slide x, slide z, hinge y;
 * waist, hip, knee, ankle actuated) with touch sensors at toe and heel. Reward of dm_control:
 *   standing = tolerance(torso_com_z - foot_com_z, bounds=[0.6, 2])      (margin 0: an indicator)
 *   small_control = (4 + mean(tolerance(u_i, margin=1, value_at_margin=0, 'quadratic'))) / 5
 *   reward = standing * small_control
 */
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { FLOOR_TEXTURE, SKY_TEXTURE } from '../physics/scene-builder.js';
import { orbitCamera, RGBA, randomizeLimitedAndRotationalJoints, type TaskLogic, type TaskSpec } from './task.js';
import { tolerance } from './tolerance.js';

export const HOPPER_STAND_HEIGHT = 0.6;

export const HOPPER_XML = `
<mujoco model="twist-hopper">
  <compiler angle="degree" autolimits="true"/>
  <option timestep="0.005">
    <flag autoreset="disable"/>
  </option>
  <default>
    <default class="hopper">
      <joint type="hinge" axis="0 1 0" damping="0.05"/>
      <geom type="capsule" rgba="${RGBA.self}"/>
      <site type="sphere" size="0.05" group="3"/>
    </default>
    <default class="root">
      <joint damping="0" armature="0" stiffness="0"/>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 0.2" rgba="${RGBA.floor}"/>
    <!-- Side view 1.7 m across, framed for the torso at x = 0; the scene shifts it with the torso's x
         (TaskSpec.cameraTrackBody), at a fixed height that keeps the ground and a standing hopper (1.25 m) in frame. -->
    ${orbitCamera('side', { target: [0, 0, 0.65], span: 1.7, elevation: 8, fovy: 45 })}
    <body name="torso" pos="0 0 1" childclass="hopper">
      <joint name="rootx" class="root" type="slide" axis="1 0 0"/>
      <joint name="rootz" class="root" type="slide" axis="0 0 1"/>
      <joint name="rooty" class="root" type="hinge" axis="0 1 0"/>
      <geom name="torso" fromto="0 0 -0.05 0 0 0.2" size="0.0653"/>
      <geom name="nose" fromto="0.08 0 0.13 0.15 0 0.14" size="0.03" rgba="${RGBA.effector}"/>
      <body name="pelvis" pos="0 0 -0.05">
        <joint name="waist" range="-30 30"/>
        <geom name="pelvis" fromto="0 0 0 0 0 -0.15" size="0.065"/>
        <body name="thigh" pos="0 0 -0.2">
          <joint name="hip" range="-170 10"/>
          <geom name="thigh" fromto="0 0 0 0 0 -0.33" size="0.04"/>
          <body name="calf" pos="0 0 -0.33">
            <joint name="knee" range="0 150"/>
            <geom name="calf" fromto="0 0 0 0 0 -0.32" size="0.03"/>
            <body name="foot" pos="0 0 -0.32">
              <joint name="ankle" range="-45 45"/>
              <geom name="foot" fromto="-0.08 0 0 0.17 0 0" size="0.04" rgba="${RGBA.effector}"/>
              <site name="touch_toe" pos="0.17 0 0"/>
              <site name="touch_heel" pos="-0.08 0 0"/>
            </body>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
    <touch name="touch_toe" site="touch_toe"/>
    <touch name="touch_heel" site="touch_heel"/>
  </sensor>
  <actuator>
    <motor name="waist" joint="waist" gear="30" ctrlrange="-1 1"/>
    <motor name="hip" joint="hip" gear="40" ctrlrange="-1 1"/>
    <motor name="knee" joint="knee" gear="30" ctrlrange="-1 1"/>
    <motor name="ankle" joint="ankle" gear="10" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

export function hopperStandReward(height: number, control: ArrayLike<number>): number {
  const standing = tolerance(height, { bounds: [HOPPER_STAND_HEIGHT, 2] });
  let sum = 0;
  for (let i = 0; i < control.length; i++) {
    sum += tolerance(control[i], { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' });
  }
  const smallControl = (sum / control.length + 4) / 5;
  return standing * smallControl;
}

class HopperLogic implements TaskLogic {
  private readonly torso: number;
  private readonly foot: number;
  private readonly toe: number;
  private readonly heel: number;

  constructor(private readonly sim: Sim) {
    this.torso = sim.id('body', 'torso');
    this.foot = sim.id('body', 'foot');
    this.toe = sim.sensorAdr('touch_toe');
    this.heel = sim.sensorAdr('touch_heel');
  }

  initEpisode(rng: Rng): void {
    randomizeLimitedAndRotationalJoints(this.sim, rng);
  }

  height(): number {
    const x = this.sim.v.xipos;
    return x[3 * this.torso + 2] - x[3 * this.foot + 2];
  }

  observe(out: Float32Array): void {
    const { qpos, qvel, sensordata } = this.sim.v;
    let k = 0;
    for (let i = 1; i < this.sim.nq; i++) out[k++] = qpos[i];
    for (let i = 0; i < this.sim.nv; i++) out[k++] = qvel[i];
    out[k++] = Math.log1p(sensordata[this.toe]);
    out[k++] = Math.log1p(sensordata[this.heel]);
  }

  reward(): number {
    return hopperStandReward(this.height(), this.sim.v.ctrl);
  }

  info(): Record<string, number | boolean> {
    return { height: this.height() };
  }
}

const JOINTS = ['waist', 'hip', 'knee', 'ankle'];

export const hopperStand: TaskSpec = {
  name: 'hopper-stand',
  description: 'stand up with the torso at least 0.6 m above the foot',
  xml: HOPPER_XML,
  controlTimestep: 0.02,
  episodeLength: 1000,
  defaultActionRepeat: 2,
  stateLabels: [
    'rootz',
    'rooty',
    ...JOINTS,
    'rootx_vel',
    'rootz_vel',
    'rooty_vel',
    ...JOINTS.map((j) => `${j}_vel`),
    'touch_toe_log1p',
    'touch_heel_log1p',
  ],
  actionLabels: JOINTS,
  cameraTrackBody: 'torso',
  visuals: {
    camera: 'side',
    textures: [FLOOR_TEXTURE],
    geomTextures: { floor: 0 },
    background: SKY_TEXTURE,
  },
  create: (sim) => new HopperLogic(sim),
};
