// Probe: can the student's image encoder read the state from the teacher run's domain-randomised images?
// A fresh encoder of the student's config (CNN_DEPTH overrides cnnDepth) + a linear head regress the
// privileged state (standardised per dimension) from single frames of the collected replay, supervised, Adam.
// Reports the fraction of variance explained (R^2) per state dimension on fresh batches every LOG updates.
// This separates perception (is the pole readable at all at 64 x 64 under train DR?) from distillation.
// Usage: CNN_DEPTH=16 LR=3e-4 node packages/distil/probes/state-from-images.mjs runs/TEACHER UPDATES
import * as A from '@twist/autograd';
import { createDevice, scope, tensor } from '@twist/kernels';
import { makeConfig, WorldModel } from '@twist/rssm';
import { readRunConfig, Replay } from '@twist/agent/node';
import { readFileSync } from 'node:fs';

const dir = process.argv[2];
const updates = Number(process.argv[3] ?? 400);
const LOG = Number(process.env.LOG ?? 50);
const lr = Number(process.env.LR ?? 3e-4);
const device = await createDevice({ backend: 'webgpu' });
const teacher = readRunConfig(dir);
const ck = JSON.parse(readFileSync(`${dir}/ckpt/checkpoint.json`, 'utf8'));
const S = teacher.world.stateSize;
const cfg = makeConfig('quick', { modality: 'image', stateSize: S, actionSize: teacher.world.actionSize, imageSize: 64, ...(process.env.CNN_DEPTH ? { cnnDepth: Number(process.env.CNN_DEPTH) } : {}) });
const wm = new WorldModel(device, cfg);
const head = new A.Linear({ device, seed: 11 }, wm.encoder.outSize, S, { name: 'probe.head' });
const params = [...wm.encoder.parameters(), ...head.parameters()];
const opt = new A.Adam(params, { lr, eps: 1e-5, clip: 100, weightDecay: 0 });
const replay = Replay.open(`${dir}/replay`, { capacity: 1e6, stateSize: S, actionSize: teacher.world.actionSize, numEnvs: 1, obs: 'image', imageShape: [64, 64, 3], seed: 9 }, { ...ck.info.replay, pending: null });
const B = 16, L = 8; // 128 frames per update, from 16 places
// per-dimension mean and std of the state over the replay (a sample), to standardise the targets
const probe = replay.sample(device, 64, 16, { obs: 'image' });
const sv = await probe.state.toArray();
const mu = new Float32Array(S), sd = new Float32Array(S);
const n = sv.length / S;
for (let i = 0; i < n; i++) for (let d = 0; d < S; d++) mu[d] += sv[i * S + d] / n;
for (let i = 0; i < n; i++) for (let d = 0; d < S; d++) sd[d] += (sv[i * S + d] - mu[d]) ** 2 / n;
for (let d = 0; d < S; d++) sd[d] = Math.sqrt(sd[d]) || 1;
for (const t of Object.values(probe)) t.dispose?.();
const muT = tensor(device, mu, [S]), invT = tensor(device, sd.map((x) => 1 / x), [S]);
const t0 = performance.now();
for (let u = 1; u <= updates; u++) {
  const b = replay.sample(device, B, L, { obs: 'image' });
  const loss = scope(() => {
    const x = wm.preprocess(b.obs);
    const pred = head.forward(wm.encoder.forward(x)); // [B, L, S]
    const target = A.mul(A.sub(A.constant(b.state), A.constant(muT)), A.constant(invT));
    const err = A.mean(A.square(A.sub(pred, target)), [0, 1]); // per dimension, [S]
    const l = A.sum(err);
    opt.apply(A.grad(l, opt.params));
    return err.value;
  });
  for (const t of Object.values(b)) t.dispose?.();
  if (u % LOG === 0 || u === 1) {
    const e = await loss.toArray();
    console.log(`update ${u}: R^2 per state dim ${Array.from(e, (v) => (1 - v).toFixed(2)).join(' ')}  (${((performance.now() - t0) / u / 1000).toFixed(2)} s/update)`);
  }
  loss.dispose();
}
device.destroy();
process.exit(0);
