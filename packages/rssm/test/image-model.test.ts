import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensor, type Device } from '@twist/kernels';
import { disposeMetrics, makeConfig, readMetrics, WorldModel, type Batch } from '../src/index.js';
import { cpu, gpuOrNull } from './harness.js';

const dev: Device = (await gpuOrNull()) ?? cpu;

/**
 * Synthetic moving shapes, 32x32 RGB u8: a coloured square drifts with a velocity given by the action,
 * bouncing off the borders; the reward is its horizontal position.
 */
function movingSquares(B: number, T: number, seed: number, on: Device = dev): Batch & { pixels: Uint8Array } {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const S = 32;
  const px = new Uint8Array(B * T * S * S * 3);
  const act = new Float32Array(B * T * 2);
  const rew = new Float32Array(B * T);
  const first = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let x = 4 + u() * 18;
    let y = 4 + u() * 18;
    const col = [80 + u() * 175, 80 + u() * 175, 80 + u() * 175];
    for (let t = 0; t < T; t++) {
      if (t > 0) {
        const ax = u() * 2 - 1;
        const ay = u() * 2 - 1;
        act[(b * T + t) * 2] = ax;
        act[(b * T + t) * 2 + 1] = ay;
        x = Math.min(22, Math.max(0, x + 3 * ax));
        y = Math.min(22, Math.max(0, y + 3 * ay));
      } else first[b * T] = 1;
      rew[b * T + t] = x / 22;
      for (let r = 0; r < S; r++) {
        for (let c = 0; c < S; c++) {
          const inside = r >= y && r < y + 10 && c >= x && c < x + 10;
          const o = (((b * T + t) * S + r) * S + c) * 3;
          for (let k = 0; k < 3; k++) px[o + k] = inside ? col[k] : 20 + ((r + c) % 2) * 10;
        }
      }
    }
  }
  return {
    pixels: px,
    obs: tensor(on, px, [B, T, S, S, 3]),
    actions: tensor(on, act, [B, T, 2]),
    rewards: tensor(on, rew, [B, T]),
    isFirst: tensor(on, first, [B, T]),
  };
}

describe(`image world model (${dev.backend})`, () => {
  it('reduces reconstruction error on moving shapes by 3x', { timeout: 900_000 }, async () => {
    const cfg = makeConfig('debug', { modality: 'image', imageSize: 32, actionSize: 2, cnnDepth: 8, opt: { lr: 1e-3 }, seed: 4 });
    const wm = new WorldModel(dev, cfg);
    const recon: number[] = [];
    for (let step = 0; step < 100; step++) {
      const b = movingSquares(4, 8, 100 + step);
      const { metrics } = await wm.trainStep(b);
      if (step < 3 || step >= 97) recon.push((await readMetrics({ r: metrics.reconLoss })).r);
      disposeMetrics(metrics);
      for (const t of [b.obs, b.actions, b.rewards, b.isFirst]) t.dispose();
    }
    const first = (recon[0] + recon[1] + recon[2]) / 3;
    const last = (recon[3] + recon[4] + recon[5]) / 3;
    expect(last).toBeLessThan(first / 3);
    wm.dispose();
  });

  it('saves and loads: the loaded model gives the same loss', async () => {
    const cfg = makeConfig('debug', { modality: 'image', imageSize: 32, actionSize: 2, seed: 8 });
    const wm = new WorldModel(cpu, cfg);
    await wm.trainStep(movingSquares(2, 3, 1, cpu));
    const dir = mkdtempSync(join(tmpdir(), 'twist-wm-'));
    await wm.save(dir, { step: 1 });
    const { model, info } = WorldModel.load(cpu, dir);
    expect(info).toEqual({ step: 1 });
    expect(model.opt.step).toBe(1);
    const b = movingSquares(2, 3, 2, cpu);
    const l1 = await wm.loss(b).loss.item();
    const l2 = await model.loss(b).loss.item();
    expect(l2).toBeCloseTo(l1, 5);
  });
});
