import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../src/index.js';
import { cpu } from './harness.js';
import { tinyAgent } from './tiny-agent.js';

function setup(behaviour: Record<string, unknown>, edit?: (c: RunConfig) => void) {
  const { cfg, agent, replay } = tinyAgent(behaviour, edit);
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
