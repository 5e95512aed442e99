/**
 * Cartpole (dm_control suite `cartpole`): a cart on a rail (slide joint, motor gear 10) carrying an unactuated
 * 1 m pole. Balance starts near upright, swingup starts hanging down. Smooth reward of dm_control:
 *   upright = (cos(pole) + 1) / 2
 *   centered = (1 + tolerance(cart_x, margin=2)) / 2
 *   small_control = (4 + tolerance(u, margin=1, value_at_margin=0, sigmoid='quadratic')) / 5
 *   small_velocity = (1 + tolerance(pole_angvel, margin=5)) / 2
 *   reward = upright * small_control * small_velocity * centered
 */
import type { Sim } from '../physics/mujoco.js';
import type { Rng } from '../physics/rng.js';
import { FLOOR_TEXTURE, SKY_TEXTURE } from '../physics/scene-builder.js';
import { orbitCamera, RGBA, type TaskLogic, type TaskSpec } from './task.js';
import { tolerance } from './tolerance.js';

export const CARTPOLE_XML = `
<mujoco model="twist-cartpole">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="0.01" integrator="RK4">
    <flag contact="disable" autoreset="disable"/>
  </option>
  <worldbody>
    <!-- Fixed, in front of the track, slightly raised so the rails show: 4.1 m across at the cart, so the whole
         cart stays in frame at the slider stops (+-1.8 m); the pole up or down is in frame anywhere. -->
    ${orbitCamera('fixed', { target: [0, 0, 1], span: 4.1, elevation: 8, fovy: 45 })}
    <geom name="floor" type="plane" pos="0 0 -0.05" size="0 0 0.1" rgba="${RGBA.floor}"/>
    <geom name="rail_front" type="capsule" pos="0 -0.07 1" zaxis="1 0 0" size="0.02 2" rgba="${RGBA.decoration}"/>
    <geom name="rail_back" type="capsule" pos="0 0.07 1" zaxis="1 0 0" size="0.02 2" rgba="${RGBA.decoration}"/>
    <body name="cart" pos="0 0 1">
      <joint name="slider" type="slide" axis="1 0 0" range="-1.8 1.8" solreflimit="0.08 1" damping="5e-4"/>
      <geom name="cart" type="box" size="0.2 0.15 0.1" mass="1" rgba="${RGBA.self}"/>
      <body name="pole">
        <joint name="hinge" type="hinge" axis="0 1 0" damping="2e-6"/>
        <geom name="pole" type="capsule" fromto="0 0 0 0 0 1" size="0.045" mass="0.1" rgba="${RGBA.self}"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="10" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

/** The cartpole smooth reward from its ingredients (exported for the hand-computed tests). */
export function cartpoleReward(cartX: number, poleCos: number, poleAngVel: number, control: number): number {
  const upright = (poleCos + 1) / 2;
  const centered = (1 + tolerance(cartX, { margin: 2 })) / 2;
  const smallControl = (4 + tolerance(control, { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' })) / 5;
  const smallVelocity = (1 + tolerance(poleAngVel, { margin: 5 })) / 2;
  return upright * smallControl * smallVelocity * centered;
}

class CartpoleLogic implements TaskLogic {
  private readonly slider: number;
  private readonly hinge: number;

  constructor(
    private readonly sim: Sim,
    private readonly swingUp: boolean,
  ) {
    this.slider = sim.qposAdr('slider');
    this.hinge = sim.qposAdr('hinge');
  }

  initEpisode(rng: Rng): void {
    const { qpos, qvel } = this.sim.v;
    if (this.swingUp) {
      qpos[this.slider] = 0.01 * rng.normal();
      qpos[this.hinge] = Math.PI + 0.01 * rng.normal();
    } else {
      qpos[this.slider] = rng.uniform(-0.1, 0.1);
      qpos[this.hinge] = rng.uniform(-0.034, 0.034);
    }
    for (let i = 0; i < this.sim.nv; i++) qvel[i] = 0.01 * rng.normal();
  }

  observe(out: Float32Array): void {
    const { qpos, qvel } = this.sim.v;
    out[0] = qpos[this.slider];
    out[1] = Math.cos(qpos[this.hinge]);
    out[2] = Math.sin(qpos[this.hinge]);
    out[3] = qvel[this.slider];
    out[4] = qvel[this.hinge];
  }

  reward(): number {
    const { qpos, qvel, ctrl } = this.sim.v;
    return cartpoleReward(qpos[this.slider], Math.cos(qpos[this.hinge]), qvel[this.hinge], ctrl[0]);
  }
}

function cartpoleSpec(swingUp: boolean): TaskSpec {
  return {
    name: swingUp ? 'cartpole-swingup' : 'cartpole-balance',
    description: swingUp ? 'swing the pole up from hanging and balance it' : 'keep the pole upright',
    xml: CARTPOLE_XML,
    controlTimestep: 0.01,
    episodeLength: 1000,
    defaultActionRepeat: 2,
    stateLabels: ['cart_position', 'pole_cos', 'pole_sin', 'cart_velocity', 'pole_angular_velocity'],
    actionLabels: ['cart_force'],
    visuals: {
      camera: 'fixed',
      textures: [FLOOR_TEXTURE],
      geomTextures: { floor: 0 },
      background: SKY_TEXTURE,
    },
    create: (sim) => new CartpoleLogic(sim, swingUp),
  };
}

export const cartpoleBalance = cartpoleSpec(false);
export const cartpoleSwingup = cartpoleSpec(true);
