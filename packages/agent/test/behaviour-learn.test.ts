import { describe, expect, it } from 'vitest';
import { tensor } from '@twist/kernels';
import { DreamerAgent, makeRunConfig } from '../src/index.js';
import { Replay } from '../src/node.js';
import { cpu } from './harness.js';

/**
 * Behaviour learning finds the rewarded action through the learned world model (dynamics backpropagation):
 * on recorded data where the reward of a step is -a (a: the action that led to it, uniform in [-1, 1]), the
 * actor's mode must move to the low end. A sign error anywhere on the path (lambda-returns, the actor loss,
 * the reparameterised truncated-normal sample, gradients through the RSSM prior step, the pruning of
 * gradients that lead to no actor parameter) sends it to the other end or leaves it in the middle.
 */
describe('behaviour learning', () => {
  it('the actor learns the action the world model predicts the most reward for', async () => {
    const cfg = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 3, actionSize: 1 }, 'debug', 2, 1000, {
      agent: { behaviour: { horizon: 5 }, loop: { batch: 8, length: 10 } },
    });
    const agent = new DreamerAgent(cpu, cfg.world, cfg.agent);
    const replay = new Replay({ stateSize: 3, actionSize: 1, capacity: 20_000, seed: 3 });
    let s = 1;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let e = 0; e < 40; e++) {
      for (let t = 0; t < 50; t++) {
        const a = t === 0 ? 0 : rnd() * 2 - 1;
        replay.add(0, { state: Float32Array.from([rnd(), rnd(), a]), action: Float32Array.of(a), reward: t === 0 ? 0 : -a, isFirst: t === 0, isLast: t === 49, isTerminal: false });
      }
    }
    for (let i = 0; i < 300; i++) {
      const b = replay.sample(cpu, 8, 10);
      const m = await agent.update(b);
      for (const x of Object.values(b)) x.dispose();
      for (const x of Object.values(m)) x?.dispose();
    }
    const acts: number[] = [];
    for (let k = 0; k < 8; k++) {
      agent.resetPolicy();
      await agent.act(tensor(cpu, Float32Array.from([rnd(), rnd(), 0]), [1, 3]), [1], 'mode');
      acts.push((await agent.act(tensor(cpu, Float32Array.from([rnd(), rnd(), 0.1]), [1, 3]), [0], 'mode'))[0]);
    }
    const mean = acts.reduce((x, y) => x + y, 0) / acts.length;
    console.log(`actor mode after 300 updates: ${acts.map((a) => a.toFixed(2)).join(' ')}`);
    expect(mean).toBeLessThan(-0.7);
    agent.dispose();
  }, 300_000);
});

describe('world-model warm-up', () => {
  it('leaves actor and critic untouched for the first `warmup` world-model updates, then learns', async () => {
    const cfg = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 3, actionSize: 1 }, 'debug', 4, 1000, {
      world: { rssm: { deter: 8, hidden: 8, stoch: 2, classes: 2 }, mlpLayers: [8], rewardLayers: [8] },
      agent: { behaviour: { horizon: 3, warmup: 2, actorLayers: [8], criticLayers: [8] } },
    });
    const agent = new DreamerAgent(cpu, cfg.world, cfg.agent);
    const replay = new Replay({ stateSize: 3, actionSize: 1, capacity: 1000, seed: 1 });
    for (let t = 0; t < 20; t++) replay.add(0, { state: Float32Array.of(t, 1, 2), action: Float32Array.of(t ? 0.5 : 0), reward: 1, isFirst: t === 0, isLast: t === 19, isTerminal: false });
    const snap = async () => (await Promise.all(agent.behaviour.actor.parameters().map((p) => p.toArray()))).map((a) => Array.from(a));
    const before = await snap();
    for (let i = 0; i < 3; i++) {
      const b = replay.sample(cpu, 2, 5);
      const m = await agent.update(b);
      expect(m.actorLoss === undefined).toBe(i < 2);
      for (const x of Object.values(b)) x.dispose();
      for (const x of Object.values(m)) x?.dispose();
      if (i === 1) expect(await snap()).toEqual(before);
    }
    expect(await snap()).not.toEqual(before);
    expect(agent.behaviour.updates).toBe(1);
    agent.dispose();
  });
});
