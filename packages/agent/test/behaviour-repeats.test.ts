import { describe, expect, it } from 'vitest';
import { DreamerAgent, makeRunConfig, type RunConfig } from '../src/index.js';
import { Replay } from '../src/node.js';
import { cpu } from './harness.js';

/** A tiny agent and a replay of two 30-step episodes to draw batches from. */
function setup(behaviour: Record<string, unknown>, edit: (c: RunConfig) => void = () => {}) {
  const cfg = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 2, 1000, {
    world: { rssm: { deter: 16, hidden: 16, stoch: 4, classes: 4 }, mlpLayers: [16], rewardLayers: [16] },
    agent: { behaviour: { horizon: 3, actorLayers: [16], criticLayers: [16], ...behaviour }, loop: { batch: 2, length: 4 } },
  });
  edit(cfg);
  const agent = new DreamerAgent(cpu, cfg.world, cfg.agent);
  const replay = new Replay({ stateSize: 5, actionSize: 1, capacity: 400, seed: 3 });
  for (let t = 0; t < 60; t++) {
    replay.add(0, {
      state: Float32Array.from({ length: 5 }, (_, k) => Math.sin(t * 0.1 + k)),
      action: t % 30 === 0 ? new Float32Array(1) : Float32Array.of(Math.cos(t)),
      reward: Math.sin(t * 0.05),
      isFirst: t % 30 === 0,
      isLast: t % 30 === 29,
      isTerminal: false,
    });
  }
  const update = async () => {
    const b = replay.sample(cpu, 2, 4);
    try {
      const m = await agent.update(b);
      const keys = Object.keys(m);
      for (const x of Object.values(m)) x?.dispose();
      return keys;
    } finally {
      for (const x of Object.values(b)) x.dispose();
    }
  };
  return { cfg, agent, update };
}

describe('behaviour.repeats', () => {
  it('runs that many actor-critic updates per world-model update (after the warm-up), 1 by default', async () => {
    const one = setup({});
    expect(one.cfg.agent.behaviour.repeats).toBe(1);
    const three = setup({ repeats: 3, warmup: 2, slowTargetEvery: 2 });
    for (let i = 0; i < 4; i++) {
      await one.update();
      const keys = await three.update();
      if (i >= 2) expect(keys).toContain('actorLoss'); // metrics of the last repeat come back
    }
    expect(one.agent.wmTrainer.opt.step).toBe(4);
    expect(one.agent.behaviour.actorOpt.step).toBe(4);
    expect(three.agent.wmTrainer.opt.step).toBe(4);
    // two world-model updates of warm-up, then 3 actor-critic updates for each of the other two
    expect(three.agent.behaviour.actorOpt.step).toBe(6);
    expect(three.agent.behaviour.criticOpt.step).toBe(6);
    one.agent.dispose();
    three.agent.dispose();
  });

  it('is validated, and absent (a run.json from before the option) means 1', async () => {
    expect(() => setup({ repeats: 0 })).toThrow(/'behaviour.repeats' must be a positive integer/);
    expect(() => setup({ repeats: 1.5 })).toThrow(/'behaviour.repeats' must be a positive integer/);
    const old = setup({}, (c) => delete (c.agent.behaviour as { repeats?: number }).repeats);
    expect('repeats' in old.cfg.agent.behaviour).toBe(false);
    await old.update();
    await old.update();
    expect(old.agent.behaviour.actorOpt.step).toBe(2);
    old.agent.dispose();
  });
});
