/** Every task: sizes, determinism, scenes, physics DR, bad input and instability handling. */
import { beforeAll, describe, expect, test } from 'vitest';
import type { Scene } from '../src/scene.js';
import { makeEnv, makeEnvSync, PHYSICS_DR_RANGES, type Env } from '../src/tasks/env.js';
import { loadPhysics } from '../src/physics/mujoco.js';
import { TASK_NAMES } from '../src/tasks/registry.js';

const SIZES: Record<string, [number, number]> = {
  'cartpole-balance': [5, 1],
  'cartpole-swingup': [5, 1],
  'ball-in-cup-catch': [8, 2],
  'cheetah-run': [17, 6],
  'walker-walk': [24, 6],
  'hopper-stand': [15, 4],
  'finger-turn-easy': [12, 2],
  'block-push': [23, 3],
  'point-mass-reach': [2, 1],
};

/** A fixed pseudo-random action sequence (no Math.random: runs must be comparable). */
function actionAt(t: number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(0.37 * t + 1.3 * i) * 0.9;
  return a;
}

function rollout(env: Env, seed: number, steps: number): { states: Float32Array[]; rewards: number[] } {
  const states = [env.reset(seed).state];
  const rewards: number[] = [];
  for (let t = 0; t < steps; t++) {
    const o = env.step(actionAt(t, env.actionSize));
    states.push(o.state);
    rewards.push(o.reward);
    if (o.done) break;
  }
  return { states, rewards };
}

describe('all tasks', () => {
  beforeAll(async () => {
    await loadPhysics();
  });

  test('the task table', () => {
    expect(TASK_NAMES).toEqual(Object.keys(SIZES));
  });

  for (const name of TASK_NAMES) {
    test(`${name}: sizes, finite states, rewards in range, scene`, () => {
      const env = makeEnvSync(name);
      const [S, A] = SIZES[name];
      expect(env.stateSize).toBe(S);
      expect(env.actionSize).toBe(A);
      expect(env.stateLabels.length).toBe(S);
      expect(env.episodeLength).toBe(({ 'block-push': 150, 'point-mass-reach': 200 } as Record<string, number>)[name] ?? 1000);
      const o0 = env.reset(7);
      expect(o0.state.length).toBe(S);
      expect(o0.reward).toBe(0);
      expect(o0.done).toBe(false);
      expect(o0.image).toBeNull();
      const { states, rewards } = rollout(env, 7, 40);
      for (const s of states) expect(s.every(Number.isFinite)).toBe(true);
      for (const r of rewards) {
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(env.actionRepeat);
      }
      const sc = env.scene();
      expect(sc.geoms.length).toBeGreaterThan(2);
      for (const g of sc.geoms) {
        expect(['plane', 'sphere', 'capsule', 'ellipsoid', 'cylinder', 'box']).toContain(g.type);
        expect(g.mat.length).toBe(9);
        expect([...g.pos, ...g.mat, ...g.size, ...g.rgba].every(Number.isFinite)).toBe(true);
        expect(g.texture).toBeLessThan(sc.textures.length);
      }
      // the camera looks at something in front of it with a unit up vector orthogonal to the view direction
      const c = sc.camera;
      const f = c.target.map((x, i) => x - c.pos[i]);
      expect(Math.hypot(...f)).toBeCloseTo(1, 6);
      expect(Math.abs(f[0] * c.up[0] + f[1] * c.up[1] + f[2] * c.up[2])).toBeLessThan(1e-6);
      expect(c.fovy).toBeGreaterThan(10);
      expect(sc.geoms.some((g) => g.texture >= 0)).toBe(true);
      env.close();
    });

    test(`${name}: two runs with one seed are identical; another seed differs`, () => {
      const a = makeEnvSync(name, { physicsDR: 'train' });
      const b = makeEnvSync(name, { physicsDR: 'train' });
      const ra = rollout(a, 123, 30);
      // b first plays another episode: the seed alone must fix the next one
      rollout(b, 99, 5);
      const rb = rollout(b, 123, 30);
      expect(rb.rewards).toEqual(ra.rewards);
      rb.states.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(ra.states[i])));
      const rc = rollout(a, 124, 0);
      expect(Array.from(rc.states[0])).not.toEqual(Array.from(ra.states[0]));
      a.close();
      b.close();
    });
  }
});

describe('episodes', () => {
  test('1000 control steps = 500 agent steps with the default action repeat; done with timeLimit', async () => {
    const env = await makeEnv('cartpole-swingup');
    expect(env.actionRepeat).toBe(2);
    expect(env.maxSteps).toBe(500);
    let o = env.reset(0);
    let n = 0;
    while (!o.done) {
      o = env.step([0.1]);
      n++;
    }
    expect(n).toBe(500);
    expect(o.info.controlStep).toBe(1000);
    expect(o.info.timeLimit).toBe(true);
    expect(o.info.unstable).toBe(false);
    expect(() => env.step([0])).toThrow(/episode is over \(done\); call reset\(seed\) first/);
    env.close();
  });

  test('actionRepeat and episodeLength options; a final partial repeat stops at the limit', async () => {
    const env = await makeEnv('cheetah-run', { actionRepeat: 3, episodeLength: 10 });
    let o = env.reset(0);
    const steps: number[] = [];
    while (!o.done) {
      o = env.step(new Float32Array(6));
      steps.push(o.info.controlStep);
    }
    expect(steps).toEqual([3, 6, 9, 10]);
    expect(env.maxSteps).toBe(4);
    env.close();
  });

  test('reward of a step = the task reward of the state reached (cartpole, repeat 1)', async () => {
    const { cartpoleReward } = await import('../src/tasks/cartpole.js');
    const env = await makeEnv('cartpole-balance', { actionRepeat: 1 });
    env.reset(4);
    for (let t = 0; t < 20; t++) {
      const u = Math.sin(t) * 0.5;
      const o = env.step([u]);
      const [x, cos, , , w] = o.state;
      expect(o.reward).toBeCloseTo(cartpoleReward(x, cos, w, u), 5);
    }
    env.close();
  });

  test('reset without a seed draws from the options seed sequence, reproducibly', async () => {
    const a = await makeEnv('walker-walk', { seed: 5 });
    const b = await makeEnv('walker-walk', { seed: 5 });
    const c = await makeEnv('walker-walk', { seed: 6 });
    const sa = [a.reset(), a.reset()].map((o) => o.info.seed);
    const sb = [b.reset(), b.reset()].map((o) => o.info.seed);
    expect(sa).toEqual(sb);
    expect(sa[0]).not.toEqual(sa[1]);
    expect(c.reset().info.seed).not.toEqual(sa[0]);
    for (const e of [a, b, c]) e.close();
  });

  test('an injected renderer gets the scene and fills Obs.image', async () => {
    const seen: Scene[] = [];
    const render = (s: Scene) => {
      seen.push(s);
      return new Uint8Array([s.geoms.length, 1, 2]);
    };
    const env = await makeEnv('finger-turn-easy', { render });
    const o = env.reset(1);
    expect(o.image).toEqual(new Uint8Array([seen[0].geoms.length, 1, 2]));
    const o2 = env.step([0, 0]);
    expect(o2.image).not.toBeNull();
    expect(seen.length).toBe(2);
    // finger draws its target and the spinner tip (sites) too
    expect(seen[0].geoms.filter((g) => g.type === 'sphere').length).toBeGreaterThanOrEqual(2);
    env.close();
  });

  test('dm_control spellings of task names are accepted', async () => {
    const env = await makeEnv('ball_in_cup_catch');
    expect(env.task).toBe('ball-in-cup-catch');
    env.close();
  });
});

describe('physics domain randomisation', () => {
  test("'off' keeps friction; 'train' and 'heldout' draw from disjoint ranges; custom ranges", async () => {
    const off = await makeEnv('hopper-stand');
    expect(off.reset(1).info.friction).toBe(1);
    const train = await makeEnv('hopper-stand', { physicsDR: 'train' });
    const held = await makeEnv('hopper-stand', { physicsDR: 'heldout' });
    const custom = await makeEnv('hopper-stand', { physicsDR: { friction: [2, 3] } });
    for (let s = 0; s < 20; s++) {
      const ft = train.reset(s).info.friction;
      const fh = held.reset(s).info.friction;
      const fc = custom.reset(s).info.friction;
      expect(ft).toBeGreaterThanOrEqual(PHYSICS_DR_RANGES.train[0][0]);
      expect(ft).toBeLessThanOrEqual(PHYSICS_DR_RANGES.train[0][1]);
      expect((fh >= 0.4 && fh <= 0.7) || (fh >= 1.3 && fh <= 1.6)).toBe(true);
      expect(fc).toBeGreaterThanOrEqual(2);
      expect(fc).toBeLessThanOrEqual(3);
    }
    // same seed, DR on or off: same initial state (the DR draw has its own stream)
    expect(Array.from(train.reset(9).state)).toEqual(Array.from(off.reset(9).state));
    for (const e of [off, train, held, custom]) e.close();
  });

  test('friction changes the dynamics (a sliding cube stops sooner with more friction)', async () => {
    const slide = async (friction: number) => {
      const env = await makeEnv('block-push', { physicsDR: { friction: [friction, friction] } });
      env.reset(0);
      const { qpos } = env.physicsState();
      qpos[0] = 0;
      qpos[1] = 0.1;
      const qvel = new Float64Array(6);
      qvel[0] = 0.5; // push the cube along +x, away from the peg
      env.setPhysicsState({ qpos, qvel });
      for (let t = 0; t < 10; t++) env.step([0, 0, 0]);
      const x = env.physicsState().qpos[0];
      env.close();
      return x;
    };
    const low = await slide(0.5);
    const high = await slide(1.5);
    expect(low).toBeGreaterThan(high + 0.005);
  });
});

describe('bad input', () => {
  let env: Env;
  beforeAll(async () => {
    env = await makeEnv('cheetah-run');
  });

  test('step before reset', async () => {
    const e = await makeEnv('cheetah-run');
    expect(() => e.step(new Float32Array(6))).toThrow(/call reset\(seed\) before step\(\)/);
    e.close();
  });

  test('wrong length, NaN, infinities, non-numbers, non-arrays', () => {
    env.reset(0);
    expect(() => env.step(new Float32Array(4))).toThrow('step: action must have length 6 for cheetah-run, got 4');
    expect(() => env.step([0, 0, NaN, 0, 0, 0])).toThrow('step: action[2] is NaN for cheetah-run');
    expect(() => env.step([0, 0, 0, Infinity, 0, 0])).toThrow(/action\[3\] is Infinity/);
    expect(() => env.step(['a', 0, 0, 0, 0, 0] as unknown as number[])).toThrow(
      /step: action\[0\] must be a number for cheetah-run, got string/,
    );
    expect(() => env.step(0.5 as unknown as number[])).toThrow(/action must be a Float32Array or number\[\] of length 6/);
    expect(() => env.step(null as unknown as number[])).toThrow(/got null/);
    // the env is still usable after rejected actions
    expect(env.step(new Float32Array(6)).done).toBe(false);
  });

  test('out-of-range actions are clipped to [-1, 1] (documented), and reported', async () => {
    const a = await makeEnv('walker-walk');
    const b = await makeEnv('walker-walk');
    a.reset(3);
    b.reset(3);
    const big = [5, -3, 1.5, -1, 0.25, 2];
    const clipped = [1, -1, 1, -1, 0.25, 1];
    const oa = a.step(big);
    const ob = b.step(clipped);
    expect(oa.info.clipped).toBe(true);
    expect(ob.info.clipped).toBe(false);
    expect(Array.from(oa.state)).toEqual(Array.from(ob.state));
    expect(oa.reward).toBe(ob.reward);
    a.close();
    b.close();
  });

  test('unknown tasks and invalid options name the valid ones', async () => {
    await expect(makeEnv('cheetah-walk')).rejects.toThrow(
      "makeEnv: unknown task 'cheetah-walk'; valid tasks: cartpole-balance, cartpole-swingup, ball-in-cup-catch, cheetah-run, walker-walk, hopper-stand, finger-turn-easy, block-push, point-mass-reach",
    );
    await expect(makeEnv('cartpole-balance', { actionrepeat: 2 } as never)).rejects.toThrow(
      "makeEnv: unknown option 'actionrepeat'; valid options: actionRepeat, episodeLength, physicsDR, render, seed",
    );
    await expect(makeEnv('cartpole-balance', { actionRepeat: 0 })).rejects.toThrow(/actionRepeat must be a positive integer, got 0/);
    await expect(makeEnv('cartpole-balance', { episodeLength: 2.5 })).rejects.toThrow(/episodeLength must be a positive integer/);
    await expect(makeEnv('cartpole-balance', { physicsDR: 'test' as never })).rejects.toThrow(
      /unknown physicsDR 'test'; physicsDR must be 'off', 'train', 'heldout' or \{ friction/,
    );
    await expect(makeEnv('cartpole-balance', { physicsDR: { friction: [2, 1] } })).rejects.toThrow(/0 < lo <= hi/);
    await expect(makeEnv('cartpole-balance', { physicsDR: { mass: [1, 2] } as never })).rejects.toThrow(
      /unknown physicsDR field 'mass'; valid fields: friction/,
    );
    await expect(makeEnv('cartpole-balance', { render: 'yes' as never })).rejects.toThrow(/render must be a function/);
    expect(() => env.reset(1.5)).toThrow('reset: seed must be an integer, got 1.5');
  });
});

describe('physics instability', () => {
  test('a NaN state ends the episode with info.unstable instead of NaN output', async () => {
    const env = await makeEnv('walker-walk');
    const o0 = env.reset(0);
    const qvel = new Float64Array(9);
    qvel[3] = NaN;
    env.setPhysicsState({ qvel });
    const o = env.step(new Float32Array(6));
    expect(o.done).toBe(true);
    expect(o.info.unstable).toBe(true);
    expect(o.info.timeLimit).toBe(false);
    expect(o.reward).toBe(0);
    expect(o.state.every(Number.isFinite)).toBe(true);
    expect(Array.from(o.state)).toEqual(Array.from(o0.state));
    expect(() => env.step(new Float32Array(6))).toThrow(/episode is over/);
    // reset recovers
    const o1 = env.reset(0);
    expect(o1.state.every(Number.isFinite)).toBe(true);
    expect(env.step(new Float32Array(6)).info.unstable).toBe(false);
    env.close();
  });

  test('a blow-up (huge velocities, MuJoCo BADQVEL/BADQACC territory) is caught the same way', async () => {
    const env = await makeEnv('hopper-stand', { render: () => new Uint8Array(1) });
    env.reset(0);
    const qvel = new Float64Array(7).fill(3e10);
    env.setPhysicsState({ qvel });
    const o = env.step([0, 0, 0, 0]);
    expect(o.done).toBe(true);
    expect(o.info.unstable).toBe(true);
    expect(o.state.every(Number.isFinite)).toBe(true);
    env.close();
  });
});
