import { describe, expect, it } from 'vitest';
import { scope, tensor, type Device } from '@twist/kernels';
import * as A from '../src/index.js';
import { cpu, gpuOrNull } from './harness.js';

// Learning tests run on WebGPU when there is an adapter (always in CI), else on the CPU backend.
const dev: Device = (await gpuOrNull()) ?? cpu;

function regressionData(n: number): { x: Float32Array; y: Float32Array } {
  // y = sin(3 x0) * x1 + 0.5 x0^2 on [-1, 1]^2: smooth and clearly nonlinear.
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < n; i++) {
    const a = rnd();
    const b = rnd();
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = Math.sin(3 * a) * b + 0.5 * a * a;
  }
  return { x, y };
}

describe(`learning on ${dev.backend}`, () => {
  it('an MLP fits a nonlinear regression to MSE < 0.01 (the target variance is ~0.25)', { timeout: 900_000 }, async () => {
    const { x, y } = regressionData(256);
    const X = A.constant(tensor(dev, x, [256, 2]));
    const Y = A.constant(tensor(dev, y, [256, 1]));
    const mlp = new A.MLP({ device: dev, seed: 1 }, 2, { hidden: [64, 64], out: 1, act: 'elu' });
    const opt = new A.Adam(mlp.parameters(), { lr: 1e-2 });
    let last = Infinity;
    for (let step = 0; step < 300; step++) {
      const loss = scope(() => {
        const l = A.mse(mlp.forward(X), Y);
        opt.apply(A.grad(l, mlp.parameters()));
        return l.value;
      });
      if (step === 299) last = await loss.item();
      loss.dispose();
    }
    expect(last).toBeLessThan(0.01);
  });

  it('a small conv autoencoder reduces reconstruction error on synthetic 32x32 images by 4x', { timeout: 900_000 }, async () => {
    // Images: a bright square at a random position on a dark background, 3 channels, pixels/255 - 0.5.
    const N = 8;
    const img = new Float32Array(N * 32 * 32 * 3).fill(-0.4);
    let s = 99;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let n = 0; n < N; n++) {
      const r0 = Math.floor(rnd() * 20);
      const c0 = Math.floor(rnd() * 20);
      const col = [rnd(), rnd(), rnd()];
      for (let r = r0; r < r0 + 12; r++) for (let c = c0; c < c0 + 12; c++) for (let k = 0; k < 3; k++) img[((n * 32 + r) * 32 + c) * 3 + k] = col[k] - 0.5;
    }
    const X = A.constant(tensor(dev, img, [N, 32, 32, 3]));
    const ctx = { device: dev, seed: 2 };
    const enc1 = new A.Conv2d(ctx, 3, 16, 4, { stride: 2, name: 'e1' }); // 32 -> 15
    const enc2 = new A.Conv2d(ctx, 16, 32, 4, { stride: 2, name: 'e2' }); // 15 -> 6
    const dec1 = new A.ConvTranspose2d(ctx, 32, 16, 5, { stride: 2, name: 'd1' }); // 6 -> 15
    const dec2 = new A.ConvTranspose2d(ctx, 16, 3, 4, { stride: 2, name: 'd2' }); // 15 -> 32
    const params = [enc1, enc2, dec1, dec2].flatMap((m) => m.parameters());
    const opt = new A.Adam(params, { lr: 2e-3 });
    // The loss graph must live in the same scope as grad(): a scope frees the intermediates backward needs.
    const lossAt = () => {
      const h = A.elu(enc2.forward(A.elu(enc1.forward(X))));
      const out = dec2.forward(A.elu(dec1.forward(h)));
      return A.mse(out, X);
    };
    const firstT = scope(() => lossAt().value);
    const first = await firstT.item();
    firstT.dispose();
    let last = first;
    for (let step = 0; step < 250; step++) {
      const l = scope(() => {
        const loss = lossAt();
        opt.apply(A.grad(loss, params));
        return loss.value;
      });
      if (step === 249) last = await l.item();
      l.dispose();
    }
    expect(last).toBeLessThan(first / 4);
  });
});
