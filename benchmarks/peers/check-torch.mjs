#!/usr/bin/env node
// Checks that the PyTorch peer (torch_world_model.py) is the same model as @twist/rssm's WorldModel, not only the
// same size: ours is built on the CPU backend, its weights and a small batch are handed to torch, and one training
// step on each must give the same loss parts (reconstruction, reward, KL, mean KL), the same global gradient
// norm and the same posterior logits (through which alone the encoder reaches the loss). To take the random
// latents out, the posterior head's bias puts (almost) all mass on one class of every
// variable, so both draw the same one-hot samples; that leaves the straight-through gradient untested (it is ~0
// at a saturated softmax), which the rssm package's own tests cover. Needs the built packages and a Python with
// torch (node scripts/bootstrap.mjs --bench-peers); no GPU.
//
//   node benchmarks/peers/check-torch.mjs [preset...]    presets: debug, quick, paper (default: all three)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import * as R from '@twist/rssm';
import { randomData } from '../src/ours.mjs';
import { torchChild } from '../src/peers/torch.mjs';

const B = 2;
const T = 4;
const TOLERANCE = 1e-3; // relative: f32 sums in another order over up to B x T x 64 x 64 x 3 terms
const presets = process.argv.slice(2).length ? process.argv.slice(2) : ['debug', 'quick', 'paper'];

const device = await K.createDevice({ backend: 'cpu' });
let child;
try {
  child = torchChild();
} catch (e) {
  console.log(`check-torch: skipped: ${/** @type {Error} */ (e).message}`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'twist-torch-check-'));
let failed = 0;
try {
  for (const preset of presets)
    for (const modality of /** @type {const} */ (['state', 'image'])) {
      const cfg = R.makeConfig(/** @type {any} */ (preset), { modality });
      const wm = new R.WorldModel(device, cfg);
      const trainer = new R.WorldModelTrainer(wm);
      const { stoch: S, classes: C } = cfg.rssm;
      const peaked = new Float32Array(S * C);
      for (let s = 0; s < S; s++) peaked[s * C + (s % C)] = 40;
      K.copyInto(wm.rssm.postHead.bias.value, K.tensor(device, peaked, [S * C]));

      // a batch with an episode start inside one sequence, so the reset masks are checked too
      const isFirst = new Float32Array(B * T);
      isFirst[0] = isFirst[T] = isFirst[T + 2] = 1;
      const obsShape = modality === 'state' ? [B, T, cfg.stateSize] : [B, T, cfg.imageSize, cfg.imageSize, cfg.imageChannels];
      const obsN = obsShape.reduce((a, b) => a * b, 1);
      const obs = modality === 'state' ? randomData(obsN, 21) : Float32Array.from(randomData(obsN, 21), (v) => Math.floor((v + 1) * 127.5));
      const host = { obs, actions: randomData(B * T * cfg.actionSize, 22), rewards: randomData(B * T, 23), isFirst };
      const shapes = { obs: obsShape, actions: [B, T, cfg.actionSize], rewards: [B, T], isFirst: [B, T] };

      // ours' weights, then the batch, into one raw f32 file
      const chunks = [];
      let offset = 0;
      const entry = (/** @type {string} */ name, /** @type {Float32Array} */ data, /** @type {number[]} */ shape) => {
        chunks.push(data);
        const e = { name, offset, shape };
        offset += data.length;
        return e;
      };
      const params = [];
      for (const [name, v] of wm.namedParameters()) params.push(entry(name, /** @type {Float32Array} */ (await v.value.toArray()), [...v.shape]));
      /** @type {Record<string, any>} */
      const batchLayout = {};
      for (const [k, data] of Object.entries(host)) batchLayout[k] = entry(k, data, shapes[/** @type {keyof typeof shapes} */ (k)]);
      const file = join(dir, `${preset}-${modality}.f32`);
      writeFileSync(file, Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));

      const batch = {
        obs: modality === 'state' ? K.tensor(device, obs, obsShape) : K.tensor(device, Uint8Array.from(obs), obsShape, 'u8'),
        actions: K.tensor(device, host.actions, shapes.actions),
        rewards: K.tensor(device, host.rewards, shapes.rewards),
        isFirst: K.tensor(device, isFirst, shapes.isFirst),
      };
      // the posterior logits (the embedding's only way into the loss here) less the peaked bias
      const post = K.scope(() => A.noGrad(() => wm.loss(batch).latents.postLogits.value));
      const postOurs = Float32Array.from(/** @type {Float32Array} */ (await post.toArray()), (v, i) => v - peaked[i % (S * C)]);
      post.dispose();
      const m = trainer.record(batch).metrics;
      const ours = await R.readMetrics({ loss: m.loss, reconLoss: m.reconLoss, rewardLoss: m.rewardLoss, klLoss: m.klLoss, meanKL: m.meanKL, gradNorm: m.gradNorm });
      R.disposeMetrics(m);
      const torch = await child.send({ cmd: 'check', cfg, B, T, file, params, batch: batchLayout });
      const rows = Object.entries(ours).map(([k, v]) => {
        const t = torch[k];
        const rel = Math.abs(t - v) / Math.max(Math.abs(v), 1e-6);
        return { k, v, t, rel, ok: rel <= TOLERANCE };
      });
      const postTorch = /** @type {number[]} */ (torch.postLogits).map((v, i) => v - peaked[i % (S * C)]);
      const scale = Math.max(...postOurs.map(Math.abs));
      const postRel = Math.max(...postTorch.map((v, i) => Math.abs(v - postOurs[i]))) / scale;
      rows.push({ k: 'posterior logits (max abs. difference / max abs.)', v: scale, t: postRel, rel: postRel, ok: postRel <= TOLERANCE });
      const ok = rows.every((r) => r.ok);
      if (!ok) failed++;
      const show = (/** @type {typeof rows[0]} */ r) =>
        r.k.startsWith('posterior') ? `${r.k} ${r.rel.toExponential(1)}` : `${r.k} ours ${r.v.toPrecision(6)} torch ${r.t.toPrecision(6)}${r.ok ? '' : ` (rel. error ${r.rel.toExponential(1)})`}`;
      console.log(`${ok ? 'same' : 'DIFFERENT'}  ${preset} ${modality} (B${B} T${T}): ${rows.map(show).join('; ')}`);
      Object.values(batch).forEach((t) => t.dispose());
      trainer.dispose();
      wm.dispose();
    }
} finally {
  await child.close();
  rmSync(dir, { recursive: true, force: true });
  device.destroy();
}
console.log(failed ? `check-torch: ${failed} case(s) differ (relative tolerance ${TOLERANCE})` : `check-torch: the torch peer computes the same losses and gradient norm (relative tolerance ${TOLERANCE})`);
process.exit(failed ? 1 : 0);
