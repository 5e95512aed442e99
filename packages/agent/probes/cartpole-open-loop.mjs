// Probe: open-loop prediction. A real trajectory's actions (the controller, or zero) replayed in the model from
// the posterior at step 20; decoded state and reward sums against the simulator's. Usage: node probes/cartpole-open-loop.mjs RUN_DIR
// Open-loop: real controller trajectory's actions replayed in the model from the posterior at s; decoded state vs real.
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { createDevice, tensor } from '@twist/kernels';
import { makeEnv } from '@twist/envs';
import { loadRunAgent } from '../dist/node.js';
const dir = process.argv[2];
const device = await createDevice({ backend: 'webgpu' });
const { agent } = loadRunAgent(device, dir);
const wm = agent.wm; const S = 5;
const env = await makeEnv('cartpole-balance');
const ctrl = ([x, c, s, v, w]) => Math.max(-1, Math.min(1, 3 * s + 1 * w + 0.3 * x + 0.3 * v));
for (const mode of ['ctrl', 'zero']) {
let o = env.reset(4242);
const obs = [Float32Array.from(o.state)], acts = [new Float32Array(1)], rews = [0];
for (let t = 1; t < 140; t++) { const a = Float32Array.of(mode === 'ctrl' || t < 20 ? ctrl(o.state) : 0); o = env.step(a); obs.push(Float32Array.from(o.state)); acts.push(a); rews.push(o.reward); }
const s = 20; const n = s + 1; const flat = (xs) => { const r = new Float32Array(xs.length * xs[0].length); xs.forEach((x, i) => r.set(x, i * x.length)); return r; };
const lat = A.noGrad(() => { const l = wm.observe({ obs: tensor(device, flat(obs.slice(0, n)), [1, n, S]), actions: tensor(device, flat(acts.slice(0, n)), [1, n, 1]), rewards: tensor(device, new Float32Array(n), [1, n]), isFirst: tensor(device, Float32Array.from({ length: n }, (_, i) => +(i === 0)), [1, n]) }); return { deter: l.deter.value, stoch: l.stoch.value }; });
const { deter: D, stoch: SS, classes: C } = wm.rssm.cfg;
let st = { deter: A.constant(K.slice(lat.deter, [0, s, 0], [1, 1, D]).reshape([1, D])), stoch: A.constant(K.slice(lat.stoch, [0, s, 0, 0], [1, 1, SS, C]).reshape([1, SS, C])) };
let msum = 0, rsum = 0;
for (let t = 1; t <= 110; t++) {
  st = A.noGrad(() => wm.rssm.imgStep(st, A.constant(tensor(device, acts[s + t], [1, 1]))));
  const f = A.noGrad(() => wm.rssm.feature(st));
  const dec = await A.noGrad(() => wm.decoder.forward(f)).value.toArray();
  const r = (await A.noGrad(() => A.reshape(wm.reward.forward(f), [1])).value.toArray())[0];
  msum += r; rsum += rews[s + t];
  if ([1, 5, 10, 20, 40, 60, 80, 110].includes(t)) console.log(mode, t, 'model', Array.from(dec).map(v => v.toFixed(2)).join(' '), '| real', Array.from(obs[s + t]).map(v => v.toFixed(2)).join(' '), `| a ${acts[s+t][0].toFixed(2)} rsum model ${msum.toFixed(1)} real ${rsum.toFixed(1)}`);
}
}
device.destroy();
