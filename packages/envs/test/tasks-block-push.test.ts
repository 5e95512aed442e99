/** Block push: the action limit, success detection, and a scripted pusher that succeeds. */
import { describe, expect, test } from 'vitest';
import { makeEnv } from '../src/tasks/env.js';

// state layout (README): ee 0-2, block pos 3-5, block quat 6-9, block vel 10-15, goal 16-17, tip->block 18-20,
// block->goal 21-22
const EE = 0;
const BLOCK = 3;
const GOAL = 16;

/** Lift, go behind the cube (seen from the goal), lower, push along the cube->goal line correcting sideways. */
function scriptedPush(s: Float32Array): number[] {
  const ee = [s[EE], s[EE + 1], s[EE + 2]];
  const block = [s[BLOCK], s[BLOCK + 1]];
  const goal = [s[GOAL], s[GOAL + 1]];
  const d = [goal[0] - block[0], goal[1] - block[1]];
  const dist = Math.hypot(d[0], d[1]);
  const u = [d[0] / dist, d[1] / dist];
  const perp = [-u[1], u[0]];
  const rel = [ee[0] - block[0], ee[1] - block[1]];
  const along = rel[0] * u[0] + rel[1] * u[1];
  const lat = rel[0] * perp[0] + rel[1] * perp[1];
  const LOW = 0.045;
  const HIGH = 0.1;
  let t: number[];
  if (along < -0.03 && Math.abs(lat) < 0.01) {
    if (ee[2] > LOW + 0.005) t = [ee[0], ee[1], LOW];
    else {
      const step = Math.min(dist, 0.02);
      t = [ee[0] + u[0] * step - perp[0] * lat, ee[1] + u[1] * step - perp[1] * lat, LOW];
    }
  } else if (ee[2] < HIGH - 0.005) t = [ee[0], ee[1], HIGH];
  else t = [block[0] - u[0] * 0.05, block[1] - u[1] * 0.05, HIGH];
  return [0, 1, 2].map((i) => Math.max(-1, Math.min(1, (t[i] - ee[i]) / 0.02)));
}

describe('block-push', () => {
  test('sizes, 150 control steps, action repeat 1 by default', async () => {
    const env = await makeEnv('block-push');
    expect(env.stateSize).toBe(23);
    expect(env.actionSize).toBe(3);
    expect(env.actionRepeat).toBe(1);
    expect(env.episodeLength).toBe(150);
    expect(env.maxSteps).toBe(150);
    const o = env.reset(3);
    // the cube rests on the table, 4 cm cube -> centre 2 cm up; goal and cube at least 10 cm apart
    expect(o.state[BLOCK + 2]).toBeCloseTo(0.02, 3);
    expect(Math.hypot(o.state[GOAL] - o.state[BLOCK], o.state[GOAL + 1] - o.state[BLOCK + 1])).toBeGreaterThanOrEqual(0.1);
    expect(o.info.success).toBe(false);
    env.close();
  });

  test('the end effector moves at most 2 cm per coordinate per step; larger actions are clipped', async () => {
    const env = await makeEnv('block-push');
    let o = env.reset(1);
    const before = o.state.slice(0, 3);
    o = env.step([1, 1, 1]);
    for (let i = 0; i < 3; i++) expect(o.state[i] - before[i]).toBeCloseTo(0.02, 6);
    expect(o.info.clipped).toBe(false);
    const mid = o.state.slice(0, 3);
    o = env.step([-7, 0.5, -3]);
    expect(o.info.clipped).toBe(true);
    expect(o.state[0] - mid[0]).toBeCloseTo(-0.02, 6);
    expect(o.state[1] - mid[1]).toBeCloseTo(0.01, 6);
    expect(o.state[2] - mid[2]).toBeCloseTo(-0.02, 6);
    env.close();
  });

  test('success detection: cube centre within 5 cm of the goal (in the table plane)', async () => {
    const env = await makeEnv('block-push');
    const o = env.reset(2);
    const goal = [o.state[GOAL], o.state[GOAL + 1]];
    const { qpos } = env.physicsState();
    // cube 3 cm from the goal: success; the peg is far away so nothing moves the cube
    qpos[0] = goal[0] + 0.03;
    qpos[1] = goal[1];
    env.setPhysicsState({ qpos, qvel: new Float64Array(6) });
    let r = env.step([0, 0, 0]);
    expect(r.info.success).toBe(true);
    expect(r.info.blockToGoal as number).toBeCloseTo(0.03, 3);
    // 6 cm away: no success
    qpos[0] = goal[0];
    qpos[1] = goal[1] - 0.06;
    env.setPhysicsState({ qpos, qvel: new Float64Array(6) });
    r = env.step([0, 0, 0]);
    expect(r.info.success).toBe(false);
    env.close();
  });

  test('zero actions never succeed; a scripted pusher succeeds at the end of the episode', async () => {
    const env = await makeEnv('block-push');
    for (const seed of [0, 1, 2, 3, 4]) {
      let o = env.reset(seed);
      let zeroRet = 0;
      while (!o.done) {
        o = env.step([0, 0, 0]);
        zeroRet += o.reward;
      }
      expect(o.info.success).toBe(false);
      o = env.reset(seed);
      let ret = 0;
      let steps = 0;
      while (!o.done) {
        o = env.step(scriptedPush(o.state));
        ret += o.reward;
        steps++;
      }
      expect(steps).toBe(150);
      expect(o.info.timeLimit).toBe(true);
      expect(o.info.success).toBe(true);
      expect(ret).toBeGreaterThan(zeroRet);
    }
    env.close();
  });

  test('friction DR scales the table/cube/peg friction per episode', async () => {
    const env = await makeEnv('block-push', { physicsDR: 'heldout' });
    const f = [0, 1, 2, 3, 4, 5].map((s) => env.reset(s).info.friction);
    for (const x of f) expect((x >= 0.4 && x <= 0.7) || (x >= 1.3 && x <= 1.6)).toBe(true);
    expect(new Set(f).size).toBe(f.length);
    env.close();
  });
});
