// Probe (research script, not part of the package): a linear state-feedback controller for cartpole-balance,
// a = clip(k1 sin + k2 w + k3 x + k4 v), found by grid search on the real simulator (best: 3, 1, 0.3, 0.3 -> 999.9).
// Usage: node probes/cartpole-controller.mjs
import { makeEnv } from '@twist/envs';
const env = await makeEnv('cartpole-balance');
function run(k, seed) { let o = env.reset(seed); let ret = 0;
  for (let t = 0; t < 500; t++) { const [x, c, s, v, w] = o.state; let a = k[0]*s + k[1]*w + k[2]*x + k[3]*v; a = Math.max(-1, Math.min(1, a));
    o = env.step(Float32Array.of(a)); ret += o.reward; if (o.done) break; } return ret; }
let best = null;
for (const ks of [1,3,10]) for (const kw of [0.1,0.3,1]) for (const kx of [0, 0.1, 0.3]) for (const kv of [0, 0.1, 0.3]) for (const sg of [1,-1]) {
  const k = [sg*ks, sg*kw, sg*kx, sg*kv]; const r = (run(k, 1) + run(k, 2)) / 2; if (!best || r > best.r) best = { k, r }; }
console.log(best);
