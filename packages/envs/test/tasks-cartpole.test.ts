/**
 * Evidence that cartpole's physics and reward are right: an LQR controller, designed on a finite-difference
 * linearisation of our own MuJoCo model around upright, balances the pole for the whole 1000-step episode
 * with a return >= 900, while zero actions let the pole fall (return < 900).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { makeEnv, type Env } from '../src/tasks/env.js';

type Mat = number[][];
const mul = (a: Mat, b: Mat): Mat => a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));
const tr = (a: Mat): Mat => a[0].map((_, j) => a.map((r) => r[j]));
const add = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((x, j) => x + b[i][j]));
const sub = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((x, j) => x - b[i][j]));
const scale = (a: Mat, s: number): Mat => a.map((r) => r.map((x) => x * s));

/** x = [cart position, pole angle, cart velocity, pole angular velocity] after one 10 ms control step. */
function dynamics(env: Env, x: number[], u: number): number[] {
  env.setPhysicsState({ qpos: [x[0], x[1]], qvel: [x[2], x[3]] });
  env.step([u]);
  const s = env.physicsState();
  return [s.qpos[0], s.qpos[1], s.qvel[0], s.qvel[1]];
}

/** Discrete-time LQR gain from a central-difference linearisation at the upright equilibrium. */
async function lqrGain(): Promise<number[]> {
  const env = await makeEnv('cartpole-balance', { actionRepeat: 1 });
  env.reset(0);
  const eps = 1e-5;
  const A: Mat = [[], [], [], []];
  for (let j = 0; j < 4; j++) {
    const xp = [0, 0, 0, 0];
    const xm = [0, 0, 0, 0];
    xp[j] = eps;
    xm[j] = -eps;
    const fp = dynamics(env, xp, 0);
    const fm = dynamics(env, xm, 0);
    for (let i = 0; i < 4; i++) A[i][j] = (fp[i] - fm[i]) / (2 * eps);
  }
  const fp = dynamics(env, [0, 0, 0, 0], eps);
  const fm = dynamics(env, [0, 0, 0, 0], -eps);
  const B: Mat = fp.map((v, i) => [(v - fm[i]) / (2 * eps)]);
  env.close();
  const Q: Mat = [
    [1, 0, 0, 0],
    [0, 10, 0, 0],
    [0, 0, 0.1, 0],
    [0, 0, 0, 0.1],
  ];
  const R = 1;
  let P = Q;
  let K: Mat = [[0, 0, 0, 0]];
  for (let it = 0; it < 5000; it++) {
    const BtP = mul(tr(B), P);
    const s = R + mul(BtP, B)[0][0];
    K = scale(mul(BtP, A), 1 / s);
    // Joseph form P = Q + K'RK + (A - BK)'P(A - BK): stays symmetric, unlike the textbook difference form.
    const Acl = sub(A, mul(B, K));
    P = add(add(Q, scale(mul(tr(K), K), R)), mul(mul(tr(Acl), P), Acl));
  }
  return K[0];
}

/** One full episode with the default action repeat (2): 1000 control steps, returns in [0, 1000]. */
async function episode(policy: (state: Float32Array) => number, seed: number): Promise<{ ret: number; steps: number }> {
  const env = await makeEnv('cartpole-balance');
  let o = env.reset(seed);
  let ret = 0;
  let steps = 0;
  while (!o.done) {
    o = env.step([policy(o.state)]);
    ret += o.reward;
    steps++;
  }
  expect(o.info.controlStep).toBe(1000);
  expect(o.info.timeLimit).toBe(true);
  env.close();
  return { ret, steps };
}

describe('cartpole-balance: physics and reward', () => {
  let K: number[] = [];
  beforeAll(async () => {
    K = await lqrGain();
  });

  test('the linearisation is the classic unstable cartpole', () => {
    // Pushing right (u > 0) moves the cart right; the gain must stabilise: pole angle feedback is strong.
    expect(K.every(Number.isFinite)).toBe(true);
    expect(Math.abs(K[1])).toBeGreaterThan(Math.abs(K[0]));
  });

  test('LQR on the observed state balances the pole: return >= 900', async () => {
    const lqr = (s: Float32Array) => {
      const x = [s[0], Math.atan2(s[2], s[1]), s[3], s[4]];
      return -(K[0] * x[0] + K[1] * x[1] + K[2] * x[2] + K[3] * x[3]);
    };
    const returns: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { ret, steps } = await episode(lqr, seed);
      expect(steps).toBe(500);
      expect(ret).toBeGreaterThanOrEqual(900);
      returns.push(ret);
      expect(ret).toBeLessThanOrEqual(1000);
    }
    console.log(`cartpole-balance LQR returns: ${returns.map((r) => r.toFixed(1)).join(', ')}`);
  });

  test('zero actions let the pole fall: return < 900', async () => {
    const returns: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { ret } = await episode(() => 0, seed);
      expect(ret).toBeLessThan(900);
      returns.push(ret);
    }
    console.log(`cartpole-balance zero-action returns: ${returns.map((r) => r.toFixed(1)).join(', ')}`);
  });

  test('swingup starts hanging down', async () => {
    const env = await makeEnv('cartpole-swingup');
    const o = env.reset(5);
    expect(o.state[1]).toBeLessThan(-0.99); // cos(pole angle) ~ -1
    const r = env.step([0]);
    expect(r.reward).toBeLessThan(0.05);
    env.close();
  });
});
