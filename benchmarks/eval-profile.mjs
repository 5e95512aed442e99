#!/usr/bin/env node
// Where an evaluation step's GPU time goes: a deployed student evaluated (twist eval's `evaluate`) for a few steps
// of N parallel episodes in a visual domain, GPU timestamps around every dispatch (GpuDevice.startProfile), after
// a warm-up evaluation that compiles the pipelines. A profile, not a benchmark (a pass per dispatch).
//   node benchmarks/eval-profile.mjs [--agent assets/students/twist-cartpole-balance-quick-v15r1] [--episodes 30] [--steps 40] [--domain heldout] [--top 15]
import { parseArgs } from 'node:util';
import * as K from '@twist/kernels';

const { values: o } = parseArgs({
  options: {
    agent: { type: 'string', default: 'assets/students/twist-cartpole-balance-quick-v15r1' },
    episodes: { type: 'string', default: '30' },
    steps: { type: 'string', default: '40' },
    domain: { type: 'string', default: 'heldout' },
    top: { type: 'string', default: '15' },
  },
});
const int = (/** @type {string} */ name) => {
  const v = Number(o[name]);
  if (!(Number.isInteger(v) && v >= 2)) {
    console.error(`eval-profile.mjs: --${name} must be an integer >= 2, got '${o[name]}'`);
    process.exit(2);
  }
  return v;
};
const [episodes, steps, top] = [int('episodes'), int('steps'), int('top')];
// @twist/distil and @twist/agent are not dependencies of this package: their built entries, by path
const { DeployedAgent } = await import('../packages/distil/dist/node.js');
const { evaluate, parseDomain } = await import('../packages/agent/dist/node.js');
const device = await K.createDevice({ backend: 'webgpu' });
if (!(device instanceof K.GpuDevice)) {
  console.error('eval-profile.mjs: needs a WebGPU device');
  process.exit(2);
}
const agent = DeployedAgent.load(device, String(o.agent));
const opts = { task: agent.meta.task, domain: parseDomain(String(o.domain)), episodes, seed: 2_000_000, episodeLength: 4, references: false };
await evaluate(device, agent, opts);
device.startProfile({ byGrid: true });
const t0 = performance.now();
await evaluate(device, agent, { ...opts, episodeLength: steps });
const wall = performance.now() - t0;
const rows = await device.stopProfile();
const gpuMs = rows.reduce((s, r) => s + r.ms, 0);
console.log(`${o.agent}, ${episodes} episodes x ${steps} steps, domain ${o.domain}: wall ${wall.toFixed(0)} ms, GPU ${gpuMs.toFixed(0)} ms in ${rows.reduce((s, r) => s + r.dispatches, 0)} dispatches`);
rows.sort((a, b) => b.ms - a.ms);
for (const r of rows.slice(0, top)) console.log(`${r.ms.toFixed(1).padStart(9)} ms ${String(r.dispatches).padStart(5)}  ${r.name}`);
agent.dispose();
device.destroy();
process.exit(0);
