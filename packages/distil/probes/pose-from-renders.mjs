// Probe: how well can a fresh student encoder read the cartpole pose from one 64 x 64 frame, and what makes it
// hard - the domain randomisation, the camera's framing, the encoder's width, the step size?
// Unlike state-from-images.mjs (frames of a teacher's replay), this renders its own labelled frames: random
// poses x ~ U(-1.8, 1.8), theta = 0 + N(0, 0.35) for 3/4 of the frames (the balance task's states) or
// U(-pi, pi), one visual domain per frame (train DR, as collected) or none (DR=off), the camera pulled
// toward its target by ZOOM (1 = the task's camera). Encoder (student config, quick, CNN_DEPTH) + linear head
// regress the standardised [x, cos, sin], Adam; every LOG updates the error on a fixed evaluation set of 512
// frames of the same distribution (not trained on): R^2 per target and the pole angle's RMS error in degrees
// over the near-upright frames (atan2 of the predicted sin, cos), which is what balancing needs.
// INIT=DIR starts the encoder from a deployed student's (a distil run's deployed/ or a deployed agent's
// directory); with FREEZE=1 only the linear head trains: a linear probe of what the student's embedding holds.
// Usage (in packages/distil): DR=train ZOOM=1 CNN_DEPTH=16 LR=3e-4 node probes/pose-from-renders.mjs UPDATES
import * as A from '@twist/autograd';
import { createDevice, scope, tensor } from '@twist/kernels';
import { makeConfig, WorldModel } from '@twist/rssm';
import { DeployedAgent, resolveDeployedDir } from '@twist/distil/node';
import { drawPose } from './pose-draw.mjs';
import { makeEnv, createRng, sampleVisualDomain, applyVisualDomain, createRenderer, solidTexture } from '@twist/envs';

const updates = Number(process.argv[2] ?? 600);
const LOG = Number(process.env.LOG ?? 100);
const lr = Number(process.env.LR ?? 3e-4);
const zoom = Number(process.env.ZOOM ?? 1);
const dr = process.env.DR ?? 'train';
const N = Number(process.env.BATCH ?? 128);
// FLOOR: the floor under DR - 'texture' (the domain's floor: since 5dc38f5 the task's checker in a random
// colour; before, a random texture), 'solid' (a random plain colour), 'plain' (the scene's own floor).
// JITTER=0: the task's own light and camera even where the distribution draws them (since 5dc38f5 it does not).
// SAMPLES=1: one ray per pixel (the renderer's default is 4, anti-aliased, since 5dc38f5).
const floorMode = process.env.FLOOR ?? 'texture';
const jitter = process.env.JITTER !== '0';
if (!['texture', 'solid', 'plain'].includes(floorMode)) throw new Error(`FLOOR must be texture, solid or plain, got ${floorMode}`);
if (!['train', 'heldout', 'off'].includes(dr)) throw new Error(`DR must be train, heldout or off, got ${dr}`);
if (!(zoom >= 1)) throw new Error(`ZOOM must be >= 1, got ${zoom}`);

const device = await createDevice({ backend: 'webgpu' });
const env = await makeEnv('cartpole-balance');
const samples = Number(process.env.SAMPLES ?? 4);
const render = createRenderer(device, { width: 64, height: 64, samples });
const cfg = makeConfig('quick', { modality: 'image', stateSize: 5, actionSize: 1, imageSize: 64, ...(process.env.CNN_DEPTH ? { cnnDepth: Number(process.env.CNN_DEPTH) } : {}) });
const init = process.env.INIT ? DeployedAgent.load(device, resolveDeployedDir(process.env.INIT, 'probe: INIT')) : null;
const freeze = process.env.FREEZE === '1';
if (freeze && !init) throw new Error('FREEZE=1 needs INIT=DIR (a linear probe of a trained encoder)');
// the deployed student's world model (its config, hence its cnnDepth) or a fresh one
const wm = init ? init.student : new WorldModel(device, cfg);
const K = 3; // x, cos, sin
const head = new A.Linear({ device, seed: 11 }, wm.encoder.outSize, K, { name: 'probe.head' });
const opt = new A.Adam([...(freeze ? [] : wm.encoder.parameters()), ...head.parameters()], { lr, eps: 1e-5, clip: 100, weightDecay: 0 });
// standardisation of the targets under the pose distribution (analytic enough; a fixed sample)
const mu = [0, 0, 0], sd = [1.8 / Math.sqrt(3), 1, 1];

/** n labelled frames: [n, 64, 64, 3] u8 and [n, 3] standardised targets plus the raw angles. */
async function frames(rng, n) {
  const scenes = [], y = new Float32Array(n * K), theta = new Float64Array(n), upright = [];
  for (let i = 0; i < n; i++) {
    const { x, th, near } = drawPose(rng);
    env.setPhysicsState({ qpos: [x, th], qvel: [0, 0] });
    let s = env.scene();
    const base = s;
    if (zoom !== 1) {
      const c = s.camera, t = c.target;
      s = { ...s, camera: { ...c, pos: [0, 1, 2].map((k) => t[k] + (c.pos[k] - t[k]) / zoom) } };
    }
    if (dr !== 'off') {
      const d = sampleVisualDomain(rng, dr);
      if (floorMode === 'solid') d.floor = solidTexture([rng.next(), rng.next(), rng.next()]);
      if (!jitter) (d.camera = { posJitter: [0, 0, 0], targetJitter: [0, 0, 0], fovyJitter: 0 }), (d.light = structuredClone(s.light));
      s = applyVisualDomain(s, d);
      if (floorMode === 'plain') s = { ...s, geoms: s.geoms.map((g, k) => ((g.drRole ?? (g.type === 'plane' ? 'floor' : 'object')) === 'floor' ? base.geoms[k] : g)) };
    }
    scenes.push(s);
    const v = [x, Math.cos(th), Math.sin(th)];
    for (let k = 0; k < K; k++) y[i * K + k] = (v[k] - mu[k]) / sd[k];
    theta[i] = th;
    upright.push(near);
  }
  const imgs = await render(scenes);
  const obs = new Uint8Array(n * 64 * 64 * 3);
  imgs.forEach((im, i) => obs.set(im, i * im.length));
  return { obs: tensor(device, obs, [1, n, 64, 64, 3], 'u8'), y: tensor(device, y, [1, n, K]), yHost: y, theta, upright };
}

const evalSet = await frames(createRng(424242), 512);
async function evaluate() {
  const pred = scope(() => head.forward(wm.encoder.forward(wm.preprocess(evalSet.obs))).value);
  const p = await pred.toArray();
  pred.dispose();
  const y = evalSet.yHost, n = evalSet.theta.length;
  const r2 = [];
  for (let k = 0; k < K; k++) {
    let m = 0, ss = 0, se = 0;
    for (let i = 0; i < n; i++) m += y[i * K + k] / n;
    for (let i = 0; i < n; i++) (ss += (y[i * K + k] - m) ** 2), (se += (y[i * K + k] - p[i * K + k]) ** 2);
    r2.push(1 - se / ss);
  }
  let e2 = 0, c = 0;
  for (let i = 0; i < n; i++) {
    if (!evalSet.upright[i]) continue;
    const th = Math.atan2(p[i * K + 2] * sd[2] + mu[2], p[i * K + 1] * sd[1] + mu[1]);
    const d = Math.atan2(Math.sin(th - evalSet.theta[i]), Math.cos(th - evalSet.theta[i]));
    (e2 += d * d), c++;
  }
  return { r2, angleRmsDeg: (Math.sqrt(e2 / c) * 180) / Math.PI };
}

console.log(`probe pose-from-renders: DR ${dr} (floor ${floorMode}, light/camera jitter ${jitter ? 'on' : 'off'}), zoom ${zoom}, ${samples} rays/pixel, cnnDepth ${wm.cfg.cnnDepth}${init ? `, encoder from ${process.env.INIT}${freeze ? ' (frozen: linear probe)' : ''}` : ''}, lr ${lr}, ${N} frames/update, ${updates} updates`);
const b0 = await evaluate();
console.log(`update 0: eval R^2 x ${b0.r2[0].toFixed(2)} cos ${b0.r2[1].toFixed(2)} sin ${b0.r2[2].toFixed(2)}; upright angle RMS ${b0.angleRmsDeg.toFixed(1)} deg (predicting 0: ${((0.35 * 180) / Math.PI).toFixed(1)})`);
const rng = createRng(7);
const t0 = performance.now();
let next = frames(rng, N); // render the next batch while this one trains
for (let u = 1; u <= updates; u++) {
  const b = await next;
  if (u < updates) next = frames(rng, N);
  scope(() => {
    const pred = head.forward(wm.encoder.forward(wm.preprocess(b.obs)));
    const l = A.sum(A.mean(A.square(A.sub(pred, A.constant(b.y))), [0, 1]));
    opt.apply(A.grad(l, opt.params));
  });
  b.obs.dispose();
  b.y.dispose();
  if (u % LOG === 0) {
    const e = await evaluate();
    console.log(`update ${u}: eval R^2 x ${e.r2[0].toFixed(2)} cos ${e.r2[1].toFixed(2)} sin ${e.r2[2].toFixed(2)}; upright angle RMS ${e.angleRmsDeg.toFixed(1)} deg  (${((performance.now() - t0) / u / 1000).toFixed(2)} s/update)`);
  }
}
device.destroy();
process.exit(0);
