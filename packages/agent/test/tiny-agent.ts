import { DreamerAgent, makeRunConfig, type RunConfig } from '../src/index.js';
import { Replay } from '../src/node.js';
import { cpu } from './harness.js';

/**
 * A tiny state agent on cartpole's shapes (deter 16, 4x4 latents, horizon 3, batch 2 x 4) with behaviour
 * overrides, and a replay of two 30-step synthetic episodes to draw batches from (CPU backend).
 */
export function tinyAgent(behaviour: Record<string, unknown> = {}, edit: (c: RunConfig) => void = () => {}) {
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
  return { cfg, agent, replay };
}
