/**
 * Walker, walk (dm_control suite `walker`): a planar biped (root slide z, slide x, hinge y; hips, knees,
 * ankles actuated). Reward of dm_control with move speed 1 m/s:
 *   standing = tolerance(torso_height, bounds=[1.2, inf), margin=0.6)
 *   upright = (1 + torso_zz) / 2
 *   stand = (3 * standing + upright) / 4
 *   move = tolerance(torso subtree velocity x, bounds=[1, inf), margin=0.5, value_at_margin=0.5, 'linear')
 *   reward = stand * (5 * move + 1) / 6
 */
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { FLOOR_TEXTURE, SKY_TEXTURE } from '../physics/scene-builder.js';
import { orbitCamera, RGBA, randomizeLimitedAndRotationalJoints, type TaskLogic, type TaskSpec } from './task.js';
import { tolerance } from './tolerance.js';

export const STAND_HEIGHT = 1.2;
export const WALK_SPEED = 1;

function leg(side: 'right' | 'left', y: number, rgba: string): string {
  return `
      <body name="${side}_thigh" pos="0 ${y} -0.3">
        <joint name="${side}_hip" range="-20 100"/>
        <geom name="${side}_thigh" pos="0 0 -0.225" size="0.05 0.225" rgba="${rgba}"/>
        <body name="${side}_leg" pos="0 0 -0.7">
          <joint name="${side}_knee" pos="0 0 0.25" range="-150 0"/>
          <geom name="${side}_leg" size="0.04 0.25" rgba="${rgba}"/>
          <body name="${side}_foot" pos="0.06 0 -0.25">
            <joint name="${side}_ankle" pos="-0.06 0 0" range="-45 45"/>
            <geom name="${side}_foot" zaxis="1 0 0" size="0.05 0.1" rgba="${rgba}"/>
          </body>
        </body>
      </body>`;
}

export const WALKER_XML = `
<mujoco model="twist-walker">
  <compiler angle="degree" autolimits="true"/>
  <option timestep="0.0025">
    <flag autoreset="disable"/>
  </option>
  <default>
    <joint damping="0.1" armature="0.01" solimplimit="0 0.99 0.01"/>
    <geom contype="1" conaffinity="0" friction="0.7 0.1 0.1"/>
    <default class="walker">
      <geom type="capsule"/>
      <joint axis="0 -1 0"/>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 0.2" conaffinity="1" rgba="${RGBA.floor}"/>
    <!-- Side view 2.4 m across, framed for the torso at x = 0; the scene shifts it with the torso's x
         (TaskSpec.cameraTrackBody), at a fixed height that keeps the ground and a standing walker (1.7 m) in frame. -->
    ${orbitCamera('side', { target: [0, 0, 0.95], span: 2.4, elevation: 10, fovy: 45 })}
    <body name="torso" pos="0 0 1.3" childclass="walker">
      <joint name="rootz" type="slide" axis="0 0 1" limited="false" armature="0" damping="0"/>
      <joint name="rootx" type="slide" axis="1 0 0" limited="false" armature="0" damping="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" limited="false" armature="0" damping="0"/>
      <geom name="torso" size="0.07 0.3" rgba="${RGBA.self}"/>${leg('right', -0.05, RGBA.self)}${leg('left', 0.05, RGBA.effector)}
    </body>
  </worldbody>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
  <actuator>
    <motor name="right_hip" joint="right_hip" gear="100" ctrlrange="-1 1"/>
    <motor name="right_knee" joint="right_knee" gear="50" ctrlrange="-1 1"/>
    <motor name="right_ankle" joint="right_ankle" gear="20" ctrlrange="-1 1"/>
    <motor name="left_hip" joint="left_hip" gear="100" ctrlrange="-1 1"/>
    <motor name="left_knee" joint="left_knee" gear="50" ctrlrange="-1 1"/>
    <motor name="left_ankle" joint="left_ankle" gear="20" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

export function walkerReward(torsoHeight: number, torsoZZ: number, speed: number): number {
  const standing = tolerance(torsoHeight, { bounds: [STAND_HEIGHT, Infinity], margin: STAND_HEIGHT / 2 });
  const upright = (1 + torsoZZ) / 2;
  const stand = (3 * standing + upright) / 4;
  const move = tolerance(speed, {
    bounds: [WALK_SPEED, Infinity],
    margin: WALK_SPEED / 2,
    valueAtMargin: 0.5,
    sigmoid: 'linear',
  });
  return (stand * (5 * move + 1)) / 6;
}

const BODIES = ['torso', 'right_thigh', 'right_leg', 'right_foot', 'left_thigh', 'left_leg', 'left_foot'];
const JOINTS = ['right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle'];

class WalkerLogic implements TaskLogic {
  private readonly bodies: number[];
  private readonly torso: number;
  private readonly speedAdr: number;

  constructor(private readonly sim: Sim) {
    this.bodies = BODIES.map((b) => sim.id('body', b));
    this.torso = this.bodies[0];
    this.speedAdr = sim.sensorAdr('torso_subtreelinvel');
  }

  initEpisode(rng: Rng): void {
    randomizeLimitedAndRotationalJoints(this.sim, rng);
  }

  observe(out: Float32Array): void {
    const { xmat, xpos, qvel } = this.sim.v;
    let k = 0;
    for (const b of this.bodies) {
      out[k++] = xmat[9 * b]; // xx
      out[k++] = xmat[9 * b + 2]; // xz
    }
    out[k++] = xpos[3 * this.torso + 2];
    for (let i = 0; i < this.sim.nv; i++) out[k++] = qvel[i];
  }

  reward(): number {
    const { xmat, xpos, sensordata } = this.sim.v;
    return walkerReward(xpos[3 * this.torso + 2], xmat[9 * this.torso + 8], sensordata[this.speedAdr]);
  }

  info(): Record<string, number | boolean> {
    return { height: this.sim.v.xpos[3 * this.torso + 2], speed: this.sim.v.sensordata[this.speedAdr] };
  }
}

export const walkerWalk: TaskSpec = {
  name: 'walker-walk',
  description: 'stand up and walk forward at 1 m/s',
  xml: WALKER_XML,
  controlTimestep: 0.025,
  episodeLength: 1000,
  defaultActionRepeat: 2,
  stateLabels: [
    ...BODIES.flatMap((b) => [`${b}_xx`, `${b}_xz`]),
    'torso_height',
    'rootz_vel',
    'rootx_vel',
    'rooty_vel',
    ...JOINTS.map((j) => `${j}_vel`),
  ],
  actionLabels: JOINTS,
  cameraTrackBody: 'torso',
  visuals: {
    camera: 'side',
    textures: [FLOOR_TEXTURE],
    geomTextures: { floor: 0 },
    background: SKY_TEXTURE,
  },
  create: (sim) => new WalkerLogic(sim),
};
