// The SAC agent learns: the state-input variant of the same agent code (actorInput 'state'; the loop's batch
// path: replay -> sampleTransitionsHost -> upload -> update) on a task whose best action is known.
import { describe, expect, it } from 'vitest';
import { tensor } from '@twist/kernels';
import { makeRunConfig, SacAgent } from '../src/index.js';
import { Replay, sacUpdateFromReplay } from '../src/node.js';
import { cpu } from './harness.js';

/**
 * A contextual bandit as an episodic task: s_t = (x, y) uniform in [-1, 1]^2, independent of the past; the
 * action a taken in s_t earns r = 1 - (a - x)^2 with s_{t+1}. The best action is a = x (return 1 per step); a
 * uniformly random action earns 1/3 on average, a = 0 earns 2/3. A sign error in the TD target, the actor loss
 * (maximising Q), the squashed Gaussian's reparameterisation or the action/reward pairing of the batch leaves the
 * policy at a chance level or drives it to the wrong end.
 */
describe('SAC learning (state-input variant, CPU backend)', () => {
  it('finds the rewarded action within a few hundred updates', async () => {
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const reward = (a: number, x: number) => 1 - (a - x) ** 2;
    const replay = new Replay({ stateSize: 2, actionSize: 1, capacity: 50_000, seed: 1 });
    // 40 episodes of 50 steps with uniform random actions (the seed phase)
    for (let e = 0; e < 40; e++) {
      let prev = [0, 0];
      for (let t = 0; t < 50; t++) {
        const s = [rnd() * 2 - 1, rnd() * 2 - 1];
        const a = t === 0 ? 0 : rnd() * 2 - 1; // the action taken in s_{t-1}, which led here
        replay.add(0, { state: Float32Array.from(s), action: Float32Array.of(a), reward: t === 0 ? 0 : reward(a, prev[0]), isFirst: t === 0, isLast: t === 49, isTerminal: false });
        prev = s;
      }
    }
    // debug-preset SAC with a state actor; gamma 0.8 (a bandit: shorter horizon, smaller values to fit)
    const cfg = makeRunConfig('asym-sac', { name: 'bandit', stateSize: 2, actionSize: 1 }, 'debug', 3, 1, {
      agent: { sac: { actorInput: 'state', actorLayers: [64, 64], criticLayers: [64, 64], discount: 0.8 }, loop: { batch: 128 } },
    });
    const agent = new SacAgent(cpu, { stateSize: 2, actionSize: 1, imageSize: 32, imageChannels: 3 }, cfg.agent.sac, cfg.seed);
    const testStates = Float32Array.from({ length: 2 * 256 }, () => rnd() * 2 - 1);
    const score = async () => {
      agent.resetPolicy();
      const a = await agent.act(tensor(cpu, testStates, [256, 2]), new Array(256).fill(1), 'mode');
      let r = 0;
      for (let i = 0; i < 256; i++) r += reward(a[i], testStates[2 * i]);
      return r / 256;
    };
    const before = await score();
    const t0 = performance.now();
    for (let i = 0; i < 400; i++) {
      const m = await sacUpdateFromReplay(cpu, agent, replay, cfg.agent.loop.batch);
      for (const t of Object.values(m)) t?.dispose();
    }
    const after = await score();
    console.log(`mean reward of the mode policy: ${before.toFixed(3)} before, ${after.toFixed(3)} after 400 updates (${((performance.now() - t0) / 1000).toFixed(1)} s); random 0.333, best 1`);
    expect(after).toBeGreaterThan(0.9);
    expect(after - before).toBeGreaterThan(0.2);
    agent.dispose();
  }, 120_000);
});
