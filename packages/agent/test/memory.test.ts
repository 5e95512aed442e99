import { describe, expect, it } from 'vitest';
import { DreamerAgent, makeRunConfig } from '../src/index.js';
import { Replay } from '../src/node.js';
import { cpu } from './harness.js';

/**
 * Replay at capacity plus 1000 agent updates (after 300 of warm-up) (world model + actor-critic): live device buffers return to the
 * same count after every update, replay bytes stop growing at capacity, and the process RSS stays flat (a
 * leak of one batch per update would add hundreds of MB). Tiny sizes so 1000 updates take seconds.
 */
describe('memory', () => {
  it('replay at capacity and 1000 updates keep RSS, replay bytes and live buffers flat', async () => {
    // The CPU backend: on WebGPU (lavapipe) this tiny configuration intermittently crashes the process with a
    // segfault inside Dawn/lavapipe (open bug, reproduction in test/repro/segfault-repro.mjs); the pooled-buffer
    // accounting checked here is the backends' shared runtime.
    const device = cpu;
    const cfg = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 2, 1000, {
      world: { rssm: { deter: 16, hidden: 16, stoch: 4, classes: 4 }, mlpLayers: [16], rewardLayers: [16] },
      agent: { behaviour: { horizon: 3, actorLayers: [16], criticLayers: [16] }, loop: { batch: 4, length: 8 } },
    });
    const agent = new DreamerAgent(device, cfg.world, cfg.agent);
    const replay = new Replay({ stateSize: 5, actionSize: 1, capacity: 400, seed: 3 });
    let t = 0;
    const addSteps = (n: number) => {
      for (let i = 0; i < n; i++, t++) {
        const first = t % 50 === 0;
        replay.add(0, {
          state: Float32Array.from({ length: 5 }, (_, k) => Math.sin(t * 0.1 + k)),
          action: first ? new Float32Array(1) : Float32Array.of(Math.cos(t)),
          reward: Math.sin(t * 0.05),
          isFirst: first,
          isLast: t % 50 === 49,
          isTerminal: false,
        });
      }
    };
    addSteps(500);
    const step = async () => {
      addSteps(5);
      const b = replay.sample(device, 4, 8);
      const m = await agent.update(b);
      for (const x of Object.values(b)) x.dispose();
      for (const x of Object.values(m)) x?.dispose();
    };
    // warm-up: pipelines, bind-group caches and the JIT settle in the first few hundred updates (measured: RSS
    // then stays within ~12 MiB over the next 1250 updates)
    for (let i = 0; i < 300; i++) await step();
    await device.sync();
    const live0 = device.stats().liveBuffers;
    const bytes0 = replay.stats().bytes;
    // No forced global.gc() here: in a vitest worker (where gc is exposed) a forced full GC with a live Dawn
    // device crashed the worker (segfault in libc) in 2 of 3 runs; a known open bug, see the issue notes.
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < 1000; i++) await step();
    await device.sync();
    const rss1 = process.memoryUsage().rss;
    expect(device.stats().liveBuffers).toBe(live0);
    expect(replay.stats().bytes).toBeLessThanOrEqual(bytes0 * 1.05);
    expect(replay.stats().steps).toBeLessThanOrEqual(400);
    console.log(`memory: live buffers ${live0} -> ${device.stats().liveBuffers}; RSS ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rss1 / 2 ** 20).toFixed(0)} MiB; replay ${replay.stats().bytes} bytes`);
    // Live buffers (exact) catch leaked tensors; the RSS bound catches host-side growth of >128 KiB per update
    // (a kept autograd graph, a growing cache); GC timing on the CPU backend moves RSS by up to ~50 MiB.
    expect(rss1 - rss0).toBeLessThan(128 * 2 ** 20);
    agent.dispose();
  }, 600_000);
});
