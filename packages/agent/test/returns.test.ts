import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { tensor } from '@twist/kernels';
import { makeConfig, WorldModel } from '@twist/rssm';
import { AGENT_PRESETS, Behaviour, discountWeights, lambdaReturn, lambdaReturnReference } from '../src/index.js';
import { cpu, gpuOrNull } from './harness.js';

const col = (xs: number[]) => xs.map((x) => [x]);

describe('lambda-returns (DreamerV2 lambda_return(reward[:-1], value[:-1], disc[:-1], bootstrap=value[-1]))', () => {
  // H = 3, one trajectory: r = [1, 2, 3, 4], v = [10, 20, 30, 40], gamma 0.9, lambda 0.5. By hand:
  //   R_3 = v_3 = 40 (bootstrap, not returned)
  //   R_2 = 3 + 0.9 (0.5 * 40 + 0.5 * 40)    = 39
  //   R_1 = 2 + 0.9 (0.5 * 30 + 0.5 * 39)    = 33.05
  //   R_0 = 1 + 0.9 (0.5 * 20 + 0.5 * 33.05) = 24.8725
  // The traps other ports fell into give other numbers: bootstrapping from v_t instead of v_{t+1}, or
  // dropping the start state's reward r_0 (V3 uses reward[1:]), or returning H+1 / H-1 values.
  const r = [1, 2, 3, 4];
  const v = [10, 20, 30, 40];
  const cases: [string, number, number[]][] = [
    ['lambda 0.5', 0.5, [24.8725, 33.05, 39]],
    ['lambda 1 (Monte Carlo + bootstrap: 1 + .9*2 + .81*3 + .729*40)', 1, [1 + 0.9 * 2 + 0.81 * 3 + 0.729 * 40, 2 + 0.9 * 3 + 0.81 * 40, 3 + 0.9 * 40]],
    ['lambda 0 (one-step TD: r_t + gamma v_{t+1})', 0, [19, 29, 39]],
  ];
  for (const [name, lambda, want] of cases) {
    it(`matches hand-computed values, ${name}`, async () => {
      expect(lambdaReturnReference(col(r), col(v), 0.9, lambda).map((x) => x[0])).toEqual(want.map((w) => expect.closeTo(w, 10)));
      for (const dev of [cpu, await gpuOrNull()]) {
        if (!dev) continue;
        const R = lambdaReturn(A.constant(tensor(dev, Float32Array.from(r), [4, 1])), A.constant(tensor(dev, Float32Array.from(v), [4, 1])), 0.9, lambda);
        expect(R.shape).toEqual([3, 1]);
        const got = Array.from((await R.toArray()) as Float32Array);
        got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 4));
        // per-step discounts (a continue head) give the same with g = 0.9 everywhere
        const g = A.constant(tensor(dev, new Float32Array(4).fill(0.9), [4, 1]));
        const R2 = lambdaReturn(A.constant(tensor(dev, Float32Array.from(r), [4, 1])), A.constant(tensor(dev, Float32Array.from(v), [4, 1])), g, lambda);
        Array.from((await R2.toArray()) as Float32Array).forEach((x, i) => expect(x).toBeCloseTo(want[i], 4));
      }
    });
  }

  it('equals the reference on many trajectories, and a terminal discount cuts the bootstrap', async () => {
    const H = 15;
    const N = 7;
    const rnd = (i: number) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453);
    const rr = Array.from({ length: H + 1 }, (_, t) => Array.from({ length: N }, (_, n) => rnd(t * N + n)));
    const vv = Array.from({ length: H + 1 }, (_, t) => Array.from({ length: N }, (_, n) => 10 * rnd(1000 + t * N + n)));
    const gg = Array.from({ length: H + 1 }, (_, t) => Array.from({ length: N }, (_, n) => (t === 5 && n === 2 ? 0 : 0.99)));
    const flat = (m: number[][]) => Float32Array.from(m.flat());
    for (const disc of [0.99, gg] as const) {
      const want = lambdaReturnReference(rr, vv, disc, 0.95);
      const d = typeof disc === 'number' ? disc : A.constant(tensor(cpu, flat(disc), [H + 1, N]));
      const got = (await lambdaReturn(A.constant(tensor(cpu, flat(rr), [H + 1, N])), A.constant(tensor(cpu, flat(vv), [H + 1, N])), d, 0.95).toArray()) as Float32Array;
      want.flat().forEach((w, i) => expect(got[i]).toBeCloseTo(w, 3));
    }
    // with g_5 = 0 for trajectory 2, R_5 of it is just r_5 (nothing after the terminal counts)
    const cut = lambdaReturnReference(rr, vv, gg, 0.95);
    expect(cut[5][2]).toBeCloseTo(rr[5][2], 10);
  });

  it('has the gradient of its definition (gradcheck w.r.t. rewards and values)', async () => {
    const H = 4;
    const N = 3;
    const r = Float32Array.from({ length: (H + 1) * N }, (_, i) => Math.cos(i));
    const v = Float32Array.from({ length: (H + 1) * N }, (_, i) => Math.sin(i * 0.7));
    const res = await A.gradcheck(
      (rv, vv) => A.sum(A.mul(lambdaReturn(rv, vv, 0.9, 0.7), A.constant(tensor(cpu, Float32Array.from({ length: H * N }, (_, i) => 1 + i), [H, N])))),
      [
        { data: r, shape: [H + 1, N] },
        { data: v, shape: [H + 1, N] },
      ],
      { device: cpu },
    );
    expect(res.checked).toBe(2 * (H + 1) * N);
    expect(res.maxAbsErr).toBeLessThan(1e-3);
  });

  it('weights imagined steps by cumprod([1, disc[:-1]]) = gamma^t', () => {
    expect(Array.from(discountWeights(4, 0.5))).toEqual([1, 0.5, 0.25, 0.125]);
  });
});

describe('behaviour learning', () => {
  it('imagines exactly H steps from every start (not H-1) and updates only actor and critic', async () => {
    const wm = new WorldModel(cpu, makeConfig('debug', { stateSize: 3, actionSize: 2, seed: 3 }));
    const cfg = { ...AGENT_PRESETS.debug.behaviour, horizon: 5 };
    const beh = new Behaviour(cpu, cfg, wm.rssm.featureSize, 2, 3);
    const { deter: D, stoch: S, classes: C } = wm.rssm.cfg;
    const starts = { deter: tensor(cpu, new Float32Array(2 * 3 * D).fill(0.1), [2, 3, D]), stoch: tensor(cpu, new Float32Array(2 * 3 * S * C), [2, 3, S, C]) };
    const wmBefore = await Promise.all(wm.parameters().map((p) => p.toArray()));
    const actorBefore = await Promise.all(beh.actor.parameters().map((p) => p.toArray()));
    const off0 = wm.rssm.rngOffset;
    const m = beh.update(wm, starts);
    // each imagined prior step samples N x S categorical rows: H steps from N = B x T = 6 starts
    expect(wm.rssm.rngOffset - off0).toBe(5 * 6 * S);
    for (const [k, t] of Object.entries(m)) expect(Number.isFinite(await t.item()), k).toBe(true);
    const wmAfter = await Promise.all(wm.parameters().map((p) => p.toArray()));
    wmAfter.forEach((a, i) => expect(a).toEqual(wmBefore[i]));
    const actorAfter = await Promise.all(beh.actor.parameters().map((p) => p.toArray()));
    expect(actorAfter.some((a, i) => a.some((x, j) => x !== actorBefore[i][j]))).toBe(true);
    // the slow critic is a copy of the critic after update 0 (V2 slow_target_update, also at update 0)
    const c = await Promise.all(beh.critic.parameters().map((p) => p.toArray()));
    const s = await Promise.all(beh.slowCritic.parameters().map((p) => p.toArray()));
    s.forEach((x, i) => expect(x).toEqual(c[i]));
    expect(beh.updates).toBe(1);
    beh.dispose();
    wm.dispose();
  });
});
