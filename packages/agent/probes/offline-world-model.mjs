// Probe: a fresh world model (the run's config with WM='{json}' overrides) trained offline on the run's replay;
// posterior state RMSE, 15-step open-loop RMSE and closed-loop controller reward sums (model/real) on held-out
// episodes. Usage: WM='{"kl":{"scale":0.1}}' node probes/offline-world-model.mjs RUN_DIR UPDATES
// Offline world-model probe: a fresh WM trained on a run's fixed replay; posterior precision and open/closed-loop prediction.
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { createDevice, tensor } from '@twist/kernels';
import { makeEnv } from '@twist/envs';
import { WorldModel, WorldModelTrainer, readMetrics } from '@twist/rssm';
import { readRunConfig, Replay } from '../dist/node.js';
import { readFileSync } from 'node:fs';
const dir = process.argv[2]; const updates = Number(process.argv[3] ?? 600);
const over = JSON.parse(process.env.WM ?? '{}');
const device = await createDevice({ backend: 'webgpu' });
const config = readRunConfig(dir);
const ck = JSON.parse(readFileSync(dir + '/ckpt/checkpoint.json', 'utf8'));
const S = config.world.stateSize, NA = config.world.actionSize;
const merge = (a, b) => { for (const [k, v] of Object.entries(b)) a[k] = v && typeof v === 'object' && !Array.isArray(v) ? merge(a[k] ?? {}, v) : v; return a; };
const wcfg = merge(structuredClone(config.world), over);
const wm = new WorldModel(device, wcfg); const tr = new WorldModelTrainer(wm);
const replay = Replay.open(dir + '/replay', { capacity: 1e6, stateSize: S, actionSize: NA, numEnvs: 1, obs: 'state', imageShape: [64, 64, 3], seed: 5 }, ck.info.replay);
const L = config.agent.loop.length, B = config.agent.loop.batch;
const host = new Float32Array(B * L); for (let i = 0; i < B; i++) host[i * L] = 1;
const t0 = performance.now();
for (let u = 1; u <= updates; u++) {
  const b = replay.sample(device, B, L, { obs: 'state' });
  const { metrics } = await tr.trainStep({ obs: b.obs, actions: b.actions, rewards: b.rewards, isFirst: b.isFirst, isFirstHost: host });
  if (u % 200 === 0) { const m = await readMetrics(metrics); console.log(`u ${u} recon ${m.reconLoss.toFixed(4)} rew ${m.rewardLoss.toFixed(4)} kl ${m.meanKL.toFixed(2)} postEnt ${m.postEntropy.toFixed(1)} ${((performance.now() - t0) / u).toFixed(0)} ms/upd`); }
  for (const t of Object.values(metrics)) t?.dispose?.();
  for (const t of Object.values(b)) t?.dispose?.();
}
const env = await makeEnv('cartpole-balance'); const br = await makeEnv('cartpole-balance');
const ctrl = ([x, c, s, v, w]) => Math.max(-1, Math.min(1, 3 * s + 1 * w + 0.3 * x + 0.3 * v));
const flat = (xs) => { const r = new Float32Array(xs.length * xs[0].length); xs.forEach((x, i) => r.set(x, i * x.length)); return r; };
const { deter: D, stoch: SS, classes: C } = wcfg.rssm;
let rs = 7; const rnd = () => { rs = (rs * 16807) % 2147483647; return rs / 2147483647 * 2 - 1; };
const post = [0, 0, 0, 0, 0], ol15 = [0, 0, 0, 0, 0]; let np = 0, no = 0; const cl = [];
for (const seed of [901, 902, 903]) {
  let o = env.reset(seed); const obs = [Float32Array.from(o.state)], acts = [new Float32Array(1)], phys = [env.physicsState()];
  for (let t = 1; t < 200; t++) { const a = Float32Array.of(Math.max(-1, Math.min(1, (t < 100 ? ctrl(o.state) : 0) + 0.6 * rnd()))); o = env.step(a); obs.push(Float32Array.from(o.state)); acts.push(a); phys.push(env.physicsState()); }
  const n = obs.length;
  const lat = A.noGrad(() => { const l = wm.observe({ obs: tensor(device, flat(obs), [1, n, S]), actions: tensor(device, flat(acts), [1, n, 1]), rewards: tensor(device, new Float32Array(n), [1, n]), isFirst: tensor(device, Float32Array.from({ length: n }, (_, i) => +(i === 0)), [1, n]) }); return { deter: l.deter.value, stoch: l.stoch.value, rec: wm.decoder.forward(wm.rssm.feature(l)).value }; });
  const rec = await lat.rec.toArray();
  for (let t = 5; t < n; t++) { for (let i = 0; i < S; i++) post[i] += (rec[t * S + i] - obs[t][i]) ** 2; np++; }
  for (const s0 of [20, 50, 80, 120, 160]) {
    const start = () => ({ deter: A.constant(K.slice(lat.deter, [0, s0, 0], [1, 1, D]).reshape([1, D])), stoch: A.constant(K.slice(lat.stoch, [0, s0, 0, 0], [1, 1, SS, C]).reshape([1, SS, C])) });
    const H = 15;
    const r = A.noGrad(() => { const im = wm.rssm.imagine(start(), A.constant(tensor(device, flat(acts.slice(s0 + 1, s0 + 1 + H)), [H, 1, NA])), H); return wm.decoder.forward(wm.rssm.feature(im)).value; });
    const d = await r.toArray(); const e = obs[s0 + H]; for (let i = 0; i < S; i++) ol15[i] += (d[(H - 1) * S + i] - e[i]) ** 2; no++;
    if (s0 < 100) { // closed-loop controller in the model vs real, 100 steps
      let st = start(); let m = 0;
      for (let t = 0; t < 100; t++) { const f = A.noGrad(() => wm.rssm.feature(st)); const dec = await A.noGrad(() => wm.decoder.forward(f)).value.toArray();
        st = A.noGrad(() => wm.rssm.imgStep(st, A.constant(tensor(device, Float32Array.of(ctrl(dec)), [1, 1]))));
        m += (await A.noGrad(() => A.reshape(wm.reward.forward(wm.rssm.feature(st)), [1])).value.toArray())[0]; }
      br.reset(seed); br.setPhysicsState(phys[s0]); let ro = { state: obs[s0] }; let rr = 0; for (let t = 0; t < 100; t++) { ro = br.step(Float32Array.of(ctrl(ro.state))); rr += ro.reward; }
      cl.push(`${m.toFixed(0)}/${rr.toFixed(0)}`);
    }
  }
}
console.log(JSON.stringify(over), 'posterior RMSE', post.map((v) => Math.sqrt(v / np).toFixed(3)).join(' '), '| open-loop 15 RMSE', ol15.map((v) => Math.sqrt(v / no).toFixed(3)).join(' '), '| closed-loop ctrl model/real', cl.join(' '));
device.destroy();
