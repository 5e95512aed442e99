// Probe: one episode of the run's actor (mode), printing the state, action and reward every 25 steps.
// Usage: node probes/rollout.mjs RUN_DIR
import { createDevice, tensor } from '@twist/kernels';
import { makeEnv } from '@twist/envs';
import { loadRunAgent } from '../dist/node.js';
const dir = process.argv[2];
const device = await createDevice({ backend: 'webgpu' });
const { agent } = loadRunAgent(device, dir);
const env = await makeEnv('cartpole-balance');
let o = env.reset(12345); agent.resetPolicy(); let first = 1; let ret = 0; const hist = [];
for (let t = 0; t < 500; t++) {
  const x = tensor(device, Float32Array.from(o.state), [1, o.state.length]);
  const a = await agent.act(x, [first], 'mode'); x.dispose(); first = 0;
  o = env.step(a); ret += o.reward; hist.push(a[0]);
  if (t % 25 === 0) console.log(t, 'state', Array.from(o.state).map(v=>v.toFixed(2)).join(' '), 'a', a[0].toFixed(2), 'r', o.reward.toFixed(2));
  if (o.done) break;
}
console.log('return', ret.toFixed(1), 'mean|a|', (hist.reduce((s,v)=>s+Math.abs(v),0)/hist.length).toFixed(2));
device.destroy();
