// Probe: the same policies (the run's actor, the linear controller on the decoded state, zero action) rolled
// out H steps in the world model and in the real simulator branched from the same physics state; prints the
// model's and the simulator's reward sums. Usage: node probes/cartpole-policies.mjs RUN_DIR [H=30]
// Compare policies in the world model vs the real simulator from the same states.
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { createDevice, tensor } from '@twist/kernels';
import { makeEnv } from '@twist/envs';
import { loadRunAgent } from '../dist/node.js';
const dir = process.argv[2]; const H = +(process.argv[3] ?? 30);
const device = await createDevice({ backend: 'webgpu' });
const { agent } = loadRunAgent(device, dir);
const wm = agent.wm; const beh = agent.behaviour; const S = 5;
const env = await makeEnv('cartpole-balance'); const br = await makeEnv('cartpole-balance');
const ctrl = ([x, c, s, v, w]) => Math.max(-1, Math.min(1, 3 * s + 1 * w + 0.3 * x + 0.3 * v));
const seed = 777; let o = env.reset(seed);
const obs = [Float32Array.from(o.state)], acts = [new Float32Array(1)], phys = [env.physicsState()];
// a mixed trajectory: controller with noise so that states vary
let rs = 1; const rnd = () => { rs = (rs * 16807) % 2147483647; return rs / 2147483647 * 2 - 1; };
for (let t = 1; t < 120; t++) { const a = Float32Array.of(Math.max(-1, Math.min(1, (t < 60 ? ctrl(o.state) : 0) + 0.5 * rnd()))); o = env.step(a); obs.push(Float32Array.from(o.state)); acts.push(a); phys.push(env.physicsState()); }
const n = obs.length; const flat = (xs) => { const r = new Float32Array(xs.length * xs[0].length); xs.forEach((x, i) => r.set(x, i * x.length)); return r; };
const lat = A.noGrad(() => { const l = wm.observe({ obs: tensor(device, flat(obs), [1, n, S]), actions: tensor(device, flat(acts), [1, n, 1]), rewards: tensor(device, new Float32Array(n), [1, n]), isFirst: tensor(device, Float32Array.from({ length: n }, (_, i) => +(i === 0)), [1, n]) }); return { deter: l.deter.value, stoch: l.stoch.value }; });
const { deter: D, stoch: SS, classes: C } = wm.rssm.cfg;
const pols = { actor: null, ctrl: 'ctrl', zero: 'zero' };
for (const s of [20, 50, 70, 100]) {
  const line = [];
  for (const [name] of Object.entries(pols)) {
    let st = { deter: A.constant(K.slice(lat.deter, [0, s, 0], [1, 1, D]).reshape([1, D])), stoch: A.constant(K.slice(lat.stoch, [0, s, 0, 0], [1, 1, SS, C]).reshape([1, SS, C])) };
    let msum = 0;
    for (let t = 0; t < H; t++) {
      const f = A.noGrad(() => wm.rssm.feature(st));
      let a;
      if (name === 'actor') a = A.noGrad(() => beh.actor.dist(f).mode());
      else if (name === 'zero') a = A.constant(tensor(device, new Float32Array(1), [1, 1]));
      else { const dec = await A.noGrad(() => wm.decoder.forward(f)).value.toArray(); a = A.constant(tensor(device, Float32Array.of(ctrl(dec)), [1, 1])); }
      st = A.noGrad(() => wm.rssm.imgStep(st, a));
      const r = await A.noGrad(() => A.reshape(wm.reward.forward(wm.rssm.feature(st)), [1])).value.toArray();
      msum += r[0];
    }
    // real
    br.reset(seed); br.setPhysicsState(phys[s]); let ro = { state: obs[s] }; let rsum = 0;
    // real actor: filter with the agent from the observed prefix is complex; use the model latent's actor only in model, and the real actor via agent.act on a fresh filter of the prefix
    if (name === 'actor') { agent.resetPolicy(); for (let t = 0; t <= s; t++) { const x = tensor(device, obs[t], [1, S]); await agent.act(x, [t === 0 ? 1 : 0], 'mode'); x.dispose(); } }
    for (let t = 0; t < H; t++) {
      let a;
      if (name === 'actor') { const x = tensor(device, Float32Array.from(ro.state), [1, S]); a = await agent.act(x, [0], 'mode'); x.dispose(); }
      else if (name === 'zero') a = new Float32Array(1); else a = Float32Array.of(ctrl(ro.state));
      ro = br.step(a); rsum += ro.reward;
    }
    line.push(`${name}: model ${msum.toFixed(1)} real ${rsum.toFixed(1)}`);
  }
  console.log(`s=${s} cos=${obs[s][1].toFixed(2)} w=${obs[s][4].toFixed(2)}: ${line.join(' | ')}`);
}
device.destroy();
