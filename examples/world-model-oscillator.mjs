#!/usr/bin/env node
// Train a state world model (the TWIST teacher's model) on a noisy 2-D oscillator and report how well it
// predicts 15 steps open-loop. Run after `npm run build`:  node examples/world-model-oscillator.mjs [steps]
import { createDevice, tensor, scope } from '@twist/kernels';
import { constant, noGrad, reshape, slice } from '@twist/autograd';
import { WorldModel, WorldModelTrainer, makeConfig, readMetrics, disposeMetrics } from '@twist/rssm';

const steps = Number(process.argv[2] ?? 300);
const device = await createDevice();
console.log(`device: ${device.label}`);

// Data: s' = 0.97 R(0.3) s + 0.3 a + noise, observed as [x, y, x^2 - y^2, 2xy]; reward -|s|^2.
function episode(T, rnd) {
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  let [x, y] = [gauss(), gauss()];
  const obs = [], act = [], rew = [];
  for (let t = 0; t < T; t++) {
    let a = [0, 0];
    if (t > 0) {
      a = [Math.tanh(gauss()), Math.tanh(gauss())];
      [x, y] = [0.97 * (Math.cos(0.3) * x - Math.sin(0.3) * y) + 0.3 * a[0] + 0.02 * gauss(), 0.97 * (Math.sin(0.3) * x + Math.cos(0.3) * y) + 0.3 * a[1] + 0.02 * gauss()];
    }
    obs.push(x, y, x * x - y * y, 2 * x * y);
    act.push(...a);
    rew.push(-(x * x + y * y));
  }
  return { obs, act, rew };
}
let seed = 1;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
function batch(B, T) {
  const eps = Array.from({ length: B }, () => episode(T, rnd));
  const first = new Float32Array(B * T);
  for (let b = 0; b < B; b++) first[b * T] = 1;
  return {
    obs: tensor(device, Float32Array.from(eps.flatMap((e) => e.obs)), [B, T, 4]),
    actions: tensor(device, Float32Array.from(eps.flatMap((e) => e.act)), [B, T, 2]),
    rewards: tensor(device, Float32Array.from(eps.flatMap((e) => e.rew)), [B, T]),
    isFirst: tensor(device, first, [B, T]),
  };
}

const model = new WorldModel(device, makeConfig('debug', { stateSize: 4, actionSize: 2, rssm: { deter: 64, hidden: 64, stoch: 8, classes: 8 }, mlpLayers: [64, 64], opt: { lr: 2e-3 }, kl: { free: 0.1 } }));
const trainer = new WorldModelTrainer(model); // the trainer owns the optimiser; the model only its parameters
for (let step = 1; step <= steps; step++) {
  const b = batch(8, 24);
  const { metrics } = await trainer.trainStep(b);
  if (step % 50 === 0) {
    const m = await readMetrics(metrics);
    console.log(`step ${step}: loss ${m.loss.toFixed(3)}  recon ${m.reconLoss.toFixed(3)}  reward ${m.rewardLoss.toFixed(3)}  KL ${m.meanKL.toFixed(3)}`);
  }
  disposeMetrics(metrics);
  for (const t of Object.values(b)) t.dispose();
}

// Open loop: observe 8 steps, imagine 15 with the recorded actions, compare decoded states with the truth.
const b = batch(16, 23);
const truth = await b.obs.toArray();
const acts = await b.actions.toArray();
const pred = await scope(() => noGrad(() => {
  const obs8 = constant(tensor(device, Float32Array.from({ length: 16 * 8 * 4 }, (_, i) => truth[Math.floor(i / 32) * 23 * 4 + (i % 32)]), [16, 8, 4]));
  const act8 = tensor(device, Float32Array.from({ length: 16 * 8 * 2 }, (_, i) => acts[Math.floor(i / 16) * 23 * 2 + (i % 16)]), [16, 8, 2]);
  const first = new Float32Array(16 * 8);
  for (let i = 0; i < 16; i++) first[i * 8] = 1;
  const lat = model.rssm.observe(model.encoder.forward(obs8), constant(act8), tensor(device, first, [16, 8]));
  const D = model.cfg.rssm.deter, S = model.cfg.rssm.stoch, C = model.cfg.rssm.classes;
  const start = { deter: reshape(slice(lat.deter, [0, 7, 0], [16, 1, D]), [16, D]), stoch: reshape(slice(lat.stoch, [0, 7, 0, 0], [16, 1, S, C]), [16, S, C]) };
  const future = new Float32Array(15 * 16 * 2);
  for (let h = 0; h < 15; h++) for (let n = 0; n < 16; n++) future.set(acts.subarray((n * 23 + 8 + h) * 2, (n * 23 + 9 + h) * 2), (h * 16 + n) * 2);
  const dream = model.rssm.imagine(start, constant(tensor(device, future, [15, 16, 2])), 15);
  return model.decoder.forward(model.rssm.feature(dream)).value;
})).toArray();
let err = 0, base = 0;
for (let h = 0; h < 15; h++) for (let n = 0; n < 16; n++) for (let k = 0; k < 4; k++) {
  const t = truth[(n * 23 + 8 + h) * 4 + k];
  err += (pred[(h * 16 + n) * 4 + k] - t) ** 2;
  base += t * t;
}
console.log(`15-step open-loop squared error: ${(err / base * 100).toFixed(1)}% of the data's energy`);
device.destroy();
