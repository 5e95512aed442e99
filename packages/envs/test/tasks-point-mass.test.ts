/**
 * Point-mass reach: the reward against hand-computed values, the episode start on either side of the target,
 * and evidence that the task separates policies: a PD controller reaches the target and holds it (return
 * ~178 of at most 200), while zero actions (~32), full force one way (~19) and a uniform-random policy (~41)
 * stay low (what the learning test
 * in @twist/agent relies on).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { makeEnv } from '../src/tasks/env.js';
import { loadPhysics } from '../src/physics/mujoco.js';
import { POINT_MASS_MARGIN, POINT_MASS_TARGET_RADIUS, pointMassReachReward } from '../src/tasks/point-mass.js';

/** Mean return over `seeds` of a state-feedback policy. */
async function meanReturn(policy: (s: Float32Array, t: number) => number, seeds: number[]): Promise<number> {
  const env = await makeEnv('point-mass-reach');
  let total = 0;
  for (const seed of seeds) {
    let o = env.reset(seed);
    for (let t = 0; !o.done; t++) {
      o = env.step([policy(o.state, t)]);
      total += o.reward;
    }
  }
  env.close();
  return total / seeds.length;
}

const clip = (u: number) => Math.max(-1, Math.min(1, u));
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7];

describe('point-mass-reach', () => {
  beforeAll(async () => {
    await loadPhysics();
  });

  test('reward: 1 within 5 cm of the target, a gaussian beyond (0.1 at 50 cm further), symmetric', () => {
    expect(POINT_MASS_TARGET_RADIUS).toBe(0.05);
    expect(POINT_MASS_MARGIN).toBe(0.5);
    expect(pointMassReachReward(0)).toBe(1);
    expect(pointMassReachReward(-0.03)).toBe(1);
    expect(pointMassReachReward(0.05)).toBe(1);
    // gaussian with value_at_margin 0.1: 0.1^(((|x| - 0.05) / 0.5)^2)
    expect(pointMassReachReward(0.55)).toBeCloseTo(0.1, 12); // one margin out: the middle of the starts
    expect(pointMassReachReward(-0.55)).toBeCloseTo(0.1, 12);
    expect(pointMassReachReward(-0.3)).toBeCloseTo(0.5623413251903491, 12); // half a margin: 0.1^(1/4)
    expect(pointMassReachReward(0.175)).toBeCloseTo(0.8659643233600653, 12); // a quarter: 0.1^(1/16)
    expect(pointMassReachReward(1.05)).toBeCloseTo(1e-4, 12); // two margins: 0.1^4 (at the stop)
  });

  test('sizes, episode length, start 0.4-0.6 m from the target on either side', async () => {
    const env = await makeEnv('point-mass-reach');
    expect([env.stateSize, env.actionSize, env.episodeLength, env.actionRepeat]).toEqual([2, 1, 200, 2]);
    const starts = SEEDS.map((s) => env.reset(s).state[0]);
    for (const x of starts) {
      expect(Math.abs(x)).toBeGreaterThanOrEqual(0.4);
      expect(Math.abs(x)).toBeLessThanOrEqual(0.6);
    }
    expect(starts.some((x) => x < 0) && starts.some((x) => x > 0)).toBe(true);
    // 1 s at full force from rest (gear 2, damping 2, 1 kg: dv/dt = 2 - 2 v): v = 1 - e^-2, x moves 1 - (1 - e^-2) / 2
    env.setPhysicsState({ qpos: [-0.9], qvel: [0] });
    let o = env.step([1]);
    for (let t = 1; t < 25; t++) o = env.step([1]);
    expect(o.state[1]).toBeCloseTo(1 - Math.exp(-2), 3);
    expect(o.state[0]).toBeCloseTo(-0.9 + 1 - (1 - Math.exp(-2)) / 2, 3);
    env.close();
  });

  test('a PD controller reaches and holds the target; zero, constant and random actions score low', async () => {
    const pd = await meanReturn((s) => clip(-5 * s[0] - 1.5 * s[1]), SEEDS);
    const zero = await meanReturn(() => 0, SEEDS);
    const push = await meanReturn(() => 1, SEEDS);
    let r = 1;
    const rand = () => ((r = (r * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const random = await meanReturn(() => rand(), SEEDS);
    expect(pd).toBeGreaterThan(160);
    expect(zero).toBeLessThan(50);
    expect(push).toBeLessThan(50);
    expect(random).toBeLessThan(60);
  });

  test('the scene: the target marker keeps its colour under visual DR (drRole fixed)', async () => {
    const env = await makeEnv('point-mass-reach');
    env.reset(0);
    const sc = env.scene();
    expect(sc.geoms.filter((g) => g.drRole === 'fixed').length).toBe(1);
    env.close();
  });
});
