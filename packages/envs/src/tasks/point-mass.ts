/**
 * Point-mass reach: a 1 kg point mass on a 1-D rail (slide joint, range +-1 m, damping 2, motor gear 2) that
 * starts 0.4-0.6 m to either side of a target at the rail's centre and must get there and stay. A small, fast
 * task for learning tests (our own, not a dm_control task; dm_control's point_mass is 2-D with a sparse
 * reward): a uniform-random policy drifts about its start and scores low (~41 of 200; zero actions ~32),
 * while the mass reaches the target in about 0.6 s at full force and must brake to stay (a PD controller
 * ~178). The margin is wide (0.1 at the typical start) so the reward has a slope everywhere on the rail: with
 * margin 0.25 (reward ~1e-4 at the start) an Oracle at the debug preset learned nothing in 450 updates.
 * Dense reward in dm_control's form:
 *   reward = tolerance(|x|, bounds=(0, POINT_MASS_TARGET_RADIUS), margin=POINT_MASS_MARGIN)   (gaussian, 0.1 at the margin)
 * Episodes are 200 control steps (4 s).
 */
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { FLOOR_TEXTURE, SKY_TEXTURE } from '../physics/scene-builder.js';
import { orbitCamera, RGBA, type TaskLogic, type TaskSpec } from './task.js';
import { tolerance } from './tolerance.js';

/** Within this distance (m) of the target the reward is 1. */
export const POINT_MASS_TARGET_RADIUS = 0.05;
/** Beyond POINT_MASS_TARGET_RADIUS the reward falls as a gaussian to 0.1 at this further distance (m). */
export const POINT_MASS_MARGIN = 0.5;

export const POINT_MASS_XML = `
<mujoco model="twist-point-mass">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="0.01" integrator="RK4">
    <flag contact="disable" autoreset="disable"/>
  </option>
  <worldbody>
    <!-- In front of the rail, raised: 2.6 m across at the rail, so the mass stays in frame at the stops (+-1 m). -->
    ${orbitCamera('fixed', { target: [0, 0, 0.1], span: 2.6, elevation: 20, fovy: 45 })}
    <geom name="floor" type="plane" pos="0 0 0" size="0 0 0.1" rgba="${RGBA.floor}"/>
    <geom name="rail" type="capsule" pos="0 0 0.1" zaxis="1 0 0" size="0.015 1.05" rgba="${RGBA.decoration}"/>
    <geom name="target" type="cylinder" pos="0 0 0.1" size="${POINT_MASS_TARGET_RADIUS} 0.01" zaxis="1 0 0" rgba="${RGBA.target}"/>
    <body name="mass" pos="0 0 0.1">
      <joint name="slider" type="slide" axis="1 0 0" range="-1 1" damping="2"/>
      <geom name="mass" type="sphere" size="0.06" mass="1" rgba="${RGBA.self}"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="push" joint="slider" gear="2" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

/** The reach reward of a mass at `x` (m; the target is at 0). Exported for the hand-computed tests. */
export function pointMassReachReward(x: number): number {
  return tolerance(Math.abs(x), { bounds: [0, POINT_MASS_TARGET_RADIUS], margin: POINT_MASS_MARGIN });
}

class PointMassLogic implements TaskLogic {
  private readonly slider: number;

  constructor(private readonly sim: Sim) {
    this.slider = sim.qposAdr('slider');
  }

  initEpisode(rng: Rng): void {
    const { qpos, qvel } = this.sim.v;
    const side = rng.uniform(0, 1) < 0.5 ? -1 : 1;
    qpos[this.slider] = side * rng.uniform(0.4, 0.6);
    qvel[0] = 0.01 * rng.normal();
  }

  observe(out: Float32Array): void {
    const { qpos, qvel } = this.sim.v;
    out[0] = qpos[this.slider];
    out[1] = qvel[0];
  }

  reward(): number {
    return pointMassReachReward(this.sim.v.qpos[this.slider]);
  }
}

export const pointMassReach: TaskSpec = {
  name: 'point-mass-reach',
  description: 'move a point mass along a rail to the target and hold it there',
  xml: POINT_MASS_XML,
  controlTimestep: 0.02,
  episodeLength: 200,
  defaultActionRepeat: 2,
  stateLabels: ['position', 'velocity'],
  actionLabels: ['force'],
  visuals: {
    camera: 'fixed',
    textures: [FLOOR_TEXTURE],
    geomTextures: { floor: 0 },
    background: SKY_TEXTURE,
  },
  drRoles: { target: 'fixed' },
  create: (sim) => new PointMassLogic(sim),
};
