/**
 * Cheetah, run (dm_control suite `cheetah`): a planar half-cheetah (root slide x, slide z, hinge y; six
 * actuated leg joints). Reward of dm_control: tolerance(torso subtree linear velocity x, bounds=[10, inf),
 * margin=10, value_at_margin=0, sigmoid='linear'), i.e. min(speed / 10, 1) for speed >= 0 and 0 below.
 */
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { FLOOR_TEXTURE, SKY_TEXTURE } from '../physics/scene-builder.js';
import { orbitCamera, RGBA, type TaskLogic, type TaskSpec } from './task.js';
import { tolerance } from './tolerance.js';

export const RUN_SPEED = 10;

export const CHEETAH_XML = `
<mujoco model="twist-cheetah">
  <compiler angle="degree" autolimits="true" settotalmass="14"/>
  <option timestep="0.01">
    <flag autoreset="disable"/>
  </option>
  <default>
    <default class="leg">
      <joint type="hinge" axis="0 1 0" damping="0.01" armature="0.1" stiffness="8"/>
      <geom type="capsule" size="0.046" condim="3" friction="0.4 0.1 0.1" rgba="${RGBA.self}"/>
    </default>
    <default class="root">
      <joint damping="0" armature="0" stiffness="0"/>
    </default>
  </default>
  <worldbody>
    <!-- Side view 2.1 m across, framed for the torso at x = 0; the scene shifts it with the torso's x
         (TaskSpec.cameraTrackBody), at a fixed height: the body is ~40 % of the image height. -->
    ${orbitCamera('side', { target: [0, 0, 0.55], span: 2.1, elevation: 8, fovy: 45 })}
    <geom name="ground" type="plane" size="0 0 0.1" rgba="${RGBA.floor}"/>
    <body name="torso" pos="0 0 0.7" childclass="leg">
      <joint name="rootx" class="root" type="slide" axis="1 0 0"/>
      <joint name="rootz" class="root" type="slide" axis="0 0 1"/>
      <joint name="rooty" class="root" type="hinge" axis="0 1 0"/>
      <geom name="torso" fromto="-0.5 0 0 0.5 0 0"/>
      <geom name="head" pos="0.6 0 0.1" euler="0 50 0" size="0.046 0.15"/>
      <body name="bthigh" pos="-0.5 0 0">
        <joint name="bthigh" range="-30 60" stiffness="240" damping="6"/>
        <geom name="bthigh" pos="0.1 0 -0.13" euler="0 -218 0" size="0.046 0.145"/>
        <body name="bshin" pos="0.16 0 -0.25">
          <joint name="bshin" range="-45 45" stiffness="180" damping="4.5"/>
          <geom name="bshin" pos="-0.14 0 -0.07" euler="0 -116 0" size="0.046 0.15" rgba="${RGBA.effector}"/>
          <body name="bfoot" pos="-0.28 0 -0.14">
            <joint name="bfoot" range="-45 45" stiffness="120" damping="3"/>
            <geom name="bfoot" pos="0.03 0 -0.097" euler="0 -15 0" size="0.046 0.094" rgba="${RGBA.effector}"/>
          </body>
        </body>
      </body>
      <body name="fthigh" pos="0.5 0 0">
        <joint name="fthigh" range="-60 40" stiffness="180" damping="4.5"/>
        <geom name="fthigh" pos="-0.07 0 -0.12" euler="0 30 0" size="0.046 0.133"/>
        <body name="fshin" pos="-0.14 0 -0.24">
          <joint name="fshin" range="-70 50" stiffness="120" damping="3"/>
          <geom name="fshin" pos="0.065 0 -0.09" euler="0 -34 0" size="0.046 0.106" rgba="${RGBA.effector}"/>
          <body name="ffoot" pos="0.13 0 -0.18">
            <joint name="ffoot" range="-28 28" stiffness="60" damping="1.5"/>
            <geom name="ffoot" pos="0.045 0 -0.07" euler="0 -34 0" size="0.046 0.07" rgba="${RGBA.effector}"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
  <actuator>
    <motor name="bthigh" joint="bthigh" gear="120" ctrlrange="-1 1"/>
    <motor name="bshin" joint="bshin" gear="90" ctrlrange="-1 1"/>
    <motor name="bfoot" joint="bfoot" gear="60" ctrlrange="-1 1"/>
    <motor name="fthigh" joint="fthigh" gear="120" ctrlrange="-1 1"/>
    <motor name="fshin" joint="fshin" gear="60" ctrlrange="-1 1"/>
    <motor name="ffoot" joint="ffoot" gear="30" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

export function cheetahReward(speed: number): number {
  return tolerance(speed, { bounds: [RUN_SPEED, Infinity], margin: RUN_SPEED, valueAtMargin: 0, sigmoid: 'linear' });
}

class CheetahLogic implements TaskLogic {
  private readonly speedAdr: number;

  constructor(private readonly sim: Sim) {
    this.speedAdr = sim.sensorAdr('torso_subtreelinvel');
  }

  initEpisode(rng: Rng): void {
    // dm_control: the limited (leg) joints uniform in their ranges (the root stays upright), then 200
    // physics steps with zero control to settle on the ground; time restarts at 0.
    const m = this.sim.model as any;
    const limited: Uint8Array = m.jnt_limited;
    const range: Float64Array = m.jnt_range;
    const adr: Int32Array = m.jnt_qposadr;
    const qpos = this.sim.v.qpos;
    for (let j = 0; j < m.njnt; j++) {
      if (limited[j]) qpos[adr[j]] = rng.uniform(range[2 * j], range[2 * j + 1]);
    }
    this.sim.step(200);
    this.sim.time = 0;
  }

  observe(out: Float32Array): void {
    const { qpos, qvel } = this.sim.v;
    for (let i = 1; i < this.sim.nq; i++) out[i - 1] = qpos[i];
    for (let i = 0; i < this.sim.nv; i++) out[this.sim.nq - 1 + i] = qvel[i];
  }

  speed(): number {
    return this.sim.v.sensordata[this.speedAdr];
  }

  reward(): number {
    return cheetahReward(this.speed());
  }

  info(): Record<string, number | boolean> {
    return { speed: this.speed() };
  }
}

const JOINTS = ['bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot'];

export const cheetahRun: TaskSpec = {
  name: 'cheetah-run',
  description: 'run forward as fast as possible (full reward at 10 m/s)',
  xml: CHEETAH_XML,
  controlTimestep: 0.01,
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
  ],
  actionLabels: JOINTS,
  cameraTrackBody: 'torso',
  visuals: {
    camera: 'side',
    textures: [FLOOR_TEXTURE],
    geomTextures: { ground: 0 },
    background: SKY_TEXTURE,
  },
  create: (sim) => new CheetahLogic(sim),
};
