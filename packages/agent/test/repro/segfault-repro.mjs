// Reproduction of an open bug (not run by CI): 1300 tiny agent updates on WebGPU (lavapipe) crash the process
// with SIGSEGV (libc memset inside Dawn/lavapipe) in some runs (1 of 5 plain-node runs here, more often in a vitest
// worker). After `npm run build`: node --expose-gc packages/agent/test/repro/segfault-repro.mjs; exit 139 = the crash.
import { createDevice } from '../../../../kernels/dist/index.js';
import { DreamerAgent, makeRunConfig } from '../../dist/index.js';
import { Replay } from '../../dist/node.js';
const device = await createDevice();
const cfg = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 2, 1000, {
  world: { rssm: { deter: 16, hidden: 16, stoch: 4, classes: 4 }, mlpLayers: [16], rewardLayers: [16] },
  agent: { behaviour: { horizon: 3, actorLayers: [16], criticLayers: [16] }, loop: { batch: 4, length: 8 } },
});
const agent = new DreamerAgent(device, cfg.world, cfg.agent);
const replay = new Replay({ stateSize: 5, actionSize: 1, capacity: 400, seed: 3 });
let t = 0;
const addSteps = (n) => { for (let i = 0; i < n; i++, t++) { const first = t % 50 === 0; replay.add(0, { state: Float32Array.from({ length: 5 }, (_, k) => Math.sin(t * 0.1 + k)), action: first ? new Float32Array(1) : Float32Array.of(Math.cos(t)), reward: Math.sin(t * 0.05), isFirst: first, isLast: t % 50 === 49, isTerminal: false }); } };
addSteps(500);
for (let i = 0; i < 1300; i++) {
  addSteps(5);
  const b = replay.sample(device, 4, 8);
  const m = await agent.update(b);
  for (const x of Object.values(b)) x.dispose();
  for (const x of Object.values(m)) x?.dispose();
  if (i % 100 === 0) console.log('update', i, device.stats().liveBuffers);
  if (i === 150) { await device.sync(); global.gc(); console.log('gc done'); }
}
device.destroy(); console.log('ok');
