// The world-model diagnosis: its real side (branching the simulator from a saved state) against re-simulation,
// its statistics by hand, and its report on a small agent.
import { describe, expect, it } from 'vitest';
import { makeEnv } from '@twist/envs';
import { DreamerAgent, makeRunConfig } from '../src/index.js';
import { branchReturn, diagnoseWorldModel, pearson } from '../src/node.js';
import { cpu } from './harness.js';

describe('diagnose', () => {
  it('pearson by hand: perfect, anti, and undefined without variance', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = 1 2 3 4, y = 1 3 2 4: sxy = 4, sxx = syy = 5 -> 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('branching from a saved simulator state gives the return of re-simulating the whole prefix', async () => {
    const env = await makeEnv('cartpole-balance');
    const other = await makeEnv('cartpole-balance');
    const seed = 77;
    const acts = Array.from({ length: 12 }, (_, t) => Float32Array.of(Math.sin(t)));
    env.reset(seed);
    for (const a of acts) env.step(a);
    const saved = env.physicsState();
    const c = Float32Array.of(0.7);
    const H = 9;
    const branched = branchReturn(other, seed, saved, c, H);
    let real = 0;
    for (let k = 0; k < H; k++) real += env.step(c).reward;
    expect(branched).toBeCloseTo(real, 6);
    // and the other direction differs (the action matters), so the comparison is not vacuous
    expect(Math.abs(branchReturn(other, seed, saved, Float32Array.of(-0.7), H) - real)).toBeGreaterThan(1e-3);
    env.close();
    other.close();
  });

  it('reports finite fit, open-loop and action-effect figures for a small agent; refuses bad options and image models', async () => {
    const cfg = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 3, 1000);
    const agent = new DreamerAgent(cpu, cfg.world, cfg.agent);
    try {
      const r = await diagnoseWorldModel(cpu, agent, { task: 'cartpole-balance', episodes: 1, steps: 24, starts: 3, horizon: 5, episodeLength: 60 });
      expect(r.actionEffect.pairs.length).toBe(2 * 3); // two policies x one episode x three starts
      expect(r.posterior.stateRmse.length).toBe(5);
      for (const v of [r.posterior.rewardRmse, r.openLoop.rewardAbsError, r.openLoop.realReturnStd, ...r.openLoop.endStateRmse]) expect(Number.isFinite(v)).toBe(true);
      expect(r.actionEffect.signAgreement).toBeGreaterThanOrEqual(0);
      expect(r.actionEffect.signAgreement).toBeLessThanOrEqual(1);
      // cartpole's control cost: the real one-step reward is concave in the action (0.2 x 2 frames x upright at |a| = 1)
      expect(r.curvature.meanReal).toBeGreaterThan(0.05);
      expect(Number.isFinite(r.curvature.meanModel)).toBe(true);
      await expect(diagnoseWorldModel(cpu, agent, { task: 'cartpole-balance', steps: 4, horizon: 5 })).rejects.toThrow(/steps must be an integer >= 8, got 4/);
      await expect(diagnoseWorldModel(cpu, agent, { task: 'cheetah-run' })).rejects.toThrow(/task cheetah-run has state \d+ \/ action \d+ dims, the model 5 \/ 1/);
    } finally {
      agent.dispose();
    }
    const img = makeRunConfig('dreamer', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 3, 1000);
    const imgAgent = new DreamerAgent(cpu, img.world, img.agent);
    try {
      await expect(diagnoseWorldModel(cpu, imgAgent, { task: 'cartpole-balance' })).rejects.toThrow(/needs a state world model/);
    } finally {
      imgAgent.dispose();
    }
  });
});
