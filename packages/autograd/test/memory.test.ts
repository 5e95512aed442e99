import { describe, expect, it } from 'vitest';
import { scope, tensor, type Device } from '@twist/kernels';
import * as A from '../src/index.js';
import { cpu, gpuOrNull } from './harness.js';

const dev: Device = (await gpuOrNull()) ?? cpu;

/**
 * 500 training steps, each inside scope(): after warm-up the live-buffer count and bytes must not move, i.e.
 * every intermediate of forward, backward and the optimiser is released and the pool is reused.
 */
async function flatOver(steps: number, step: () => void): Promise<void> {
  for (let i = 0; i < 5; i++) scope(step);
  await dev.sync();
  const before = dev.stats();
  for (let i = 0; i < steps; i++) scope(step);
  await dev.sync();
  const after = dev.stats();
  expect(after.liveBuffers).toBe(before.liveBuffers);
  expect(after.liveBytes).toBe(before.liveBytes);
  if (dev.backend === 'webgpu') {
    // Steady state: allocations are served by the pool.
    const hits = (after.poolHits - before.poolHits) / Math.max(1, after.allocations - before.allocations);
    expect(hits).toBeGreaterThan(0.99);
  }
}

describe(`memory stays flat over 500 training steps (${dev.backend})`, () => {
  it('MLP', { timeout: 900_000 }, async () => {
    const ctx = { device: dev, seed: 3 };
    const mlp = new A.MLP(ctx, 8, { hidden: [32, 32], out: 4 });
    const opt = new A.Adam(mlp.parameters(), { lr: 1e-3, clip: 100 });
    const x = A.constant(tensor(dev, new Float32Array(16 * 8).map((_, i) => Math.sin(i)), [16, 8]));
    const y = A.constant(tensor(dev, new Float32Array(16 * 4).map((_, i) => Math.cos(i)), [16, 4]));
    await flatOver(500, () => {
      const loss = A.mse(mlp.forward(x), y);
      opt.apply(A.grad(loss, mlp.parameters()));
    });
  });

  it('small conv net', { timeout: 900_000 }, async () => {
    const ctx = { device: dev, seed: 4 };
    const c1 = new A.Conv2d(ctx, 3, 4, 3, { stride: 2 });
    const c2 = new A.ConvTranspose2d(ctx, 4, 3, 3, { stride: 2 });
    const params = [...c1.parameters(), ...c2.parameters()];
    const opt = new A.Adam(params, { lr: 1e-3 });
    const x = A.constant(tensor(dev, new Float32Array(2 * 9 * 9 * 3).map((_, i) => Math.sin(i) * 0.5), [2, 9, 9, 3]));
    await flatOver(500, () => {
      const out = c2.forward(A.elu(c1.forward(x)));
      opt.apply(A.grad(A.mse(out, x), params));
    });
  });
});
