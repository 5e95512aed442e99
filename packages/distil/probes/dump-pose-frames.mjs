// Writes N labelled cartpole frames, drawn as pose-from-renders.mjs draws them (x ~ U(-1.8, 1.8); the pole angle
// N(0, 0.35) for 3/4 of the frames, else U(-pi, pi); one visual domain per frame, or none), for the independent
// PyTorch probe pose_probe_torch.py: OUT.u8 = [N, 64, 64, 3] u8 frames, OUT.f32 = [N, 4] f32 rows
// (x, theta, near-upright flag, 0). Usage (in packages/distil): node probes/dump-pose-frames.mjs N SEED train|heldout|off OUT
import { createDevice } from '@twist/kernels';
import { drawPose } from './pose-draw.mjs';
import { makeEnv, createRng, sampleVisualDomain, applyVisualDomain, createRenderer } from '@twist/envs';
import fs from 'node:fs';
const [n, seed, dr, out] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4], process.argv[5]];
if (!(Number.isSafeInteger(n) && n > 0) || !Number.isSafeInteger(seed) || !['train', 'heldout', 'off'].includes(dr) || !out) {
  throw new Error(`usage: node probes/dump-pose-frames.mjs N SEED train|heldout|off OUT (got ${process.argv.slice(2).join(' ')})`);
}
const device = await createDevice({ backend: 'webgpu' });
const env = await makeEnv('cartpole-balance');
const render = createRenderer(device, { width: 64, height: 64, samples: 4 });
const rng = createRng(seed);
const obs = new Uint8Array(n * 64 * 64 * 3), lab = new Float32Array(n * 4);
for (let i0 = 0; i0 < n; i0 += 256) {
  const scenes = [];
  for (let i = i0; i < Math.min(n, i0 + 256); i++) {
    const { x, th, near } = drawPose(rng);
    env.setPhysicsState({ qpos: [x, th], qvel: [0, 0] });
    let s = env.scene();
    if (dr !== 'off') s = applyVisualDomain(s, sampleVisualDomain(rng, dr));
    scenes.push(s);
    lab.set([x, th, near ? 1 : 0, 0], i * 4);
  }
  const imgs = await render(scenes);
  imgs.forEach((im, k) => obs.set(im, (i0 + k) * im.length));
}
fs.writeFileSync(out + '.u8', obs); fs.writeFileSync(out + '.f32', Buffer.from(lab.buffer));
device.destroy(); process.exit(0);
