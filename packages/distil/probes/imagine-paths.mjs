// RSSM.imagine with given actions, the per-step loop against the fused scan (imaginePath): forward + backward of
// a loss on h and the prior logits, quick sizes (deter 200, 32 x 32 latents), H = 15, at 16 / 64 / 256 starts;
// median of 3 after a warm-up, on the device (device.sync around each). The figures in RSSM.imaginePath's
// comment come from this. Usage (in packages/distil): node probes/imagine-paths.mjs
import * as A from '@twist/autograd';
import { createDevice, scope, tensor } from '@twist/kernels';
import { makeConfig, RSSM } from '@twist/rssm';
const dev = await createDevice({ backend: 'webgpu' });
const cfg = makeConfig('quick', { modality: 'image', stateSize: 5, actionSize: 1, imageSize: 64 }).rssm;
const rssm = new RSSM({ device: dev, seed: 1 }, cfg, 1, 512);
const H = 15;
for (const n of [16, 64, 256]) {
  for (const path of ['unfused', 'fused']) {
    const ts = [];
    for (let r = 0; r < 4; r++) {
      await dev.sync();
      const t0 = performance.now();
      scope(() => {
        const deter = A.variable(tensor(dev, new Float32Array(n * cfg.deter).map(() => Math.random() - 0.5), [n, cfg.deter]));
        const st = new Float32Array(n * cfg.stoch * cfg.classes); for (let i = 0; i < n * cfg.stoch; i++) st[i * cfg.classes] = 1;
        const stoch = A.constant(tensor(dev, st, [n, cfg.stoch, cfg.classes]));
        const acts = A.constant(tensor(dev, new Float32Array(H * n).map(() => Math.random() * 2 - 1), [H, n, 1]));
        const im = rssm.imagine({ deter, stoch }, acts, H, { path });
        const loss = A.add(A.sum(A.square(im.deter)), A.sum(im.priorLogits));
        const g = A.grad(loss, rssm.parameters());
        g.forEach((x) => x);
      });
      await dev.sync();
      if (r > 0) ts.push(performance.now() - t0);
    }
    ts.sort((a, b) => a - b);
    console.log(`n ${n} ${path}: ${ts[1].toFixed(0)} ms`);
  }
}
dev.destroy(); process.exit(0);
