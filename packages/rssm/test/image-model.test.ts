import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { cast, scope, tensor, type Device } from '@twist/kernels';
import { makeEnv, renderScenes, type Scene } from '@twist/envs';
import { writeContactSheet } from '@twist/envs/node';
import { disposeMetrics, makeConfig, readMetrics, WorldModel, WorldModelTrainer, type Batch } from '../src/index.js';
import { loadWorldModel, loadWorldModelTrainer, saveWorldModel, saveWorldModelTrainer } from '../src/node.js';
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

/**
 * Frames of cartpole-swingup rendered by @twist/envs (MuJoCo physics, the batched WGSL renderer) at 32x32,
 * random actions: 8 episodes x 24 steps, rendered once in one batch.
 */
async function cartpoleFrames(E: number, L: number): Promise<{ pixels: Uint8Array; actions: Float32Array; rewards: Float32Array }> {
  const env = await makeEnv('cartpole-swingup', { seed: 5 });
  const scenes: Scene[] = [];
  const actions = new Float32Array(E * L);
  const rewards = new Float32Array(E * L);
  let s = 17;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (let e = 0; e < E; e++) {
    env.reset(100 + e);
    for (let t = 0; t < L; t++) {
      if (t > 0) {
        const a = u();
        actions[e * L + t] = a;
        rewards[e * L + t] = env.step([a]).reward;
      }
      scenes.push(env.scene());
    }
  }
  env.close();
  const img = renderScenes(dev, scenes, { width: 32, height: 32 });
  const pixels = (await img.toArray()) as Uint8Array;
  img.dispose();
  return { pixels, actions, rewards };
}

function windowBatch(f: { pixels: Uint8Array; actions: Float32Array; rewards: Float32Array }, L: number, eps: number[], t0: number, T: number): Batch {
  const B = eps.length;
  const P = 32 * 32 * 3;
  const px = new Uint8Array(B * T * P);
  const act = new Float32Array(B * T);
  const rew = new Float32Array(B * T);
  const first = new Float32Array(B * T);
  eps.forEach((e, b) => {
    px.set(f.pixels.subarray((e * L + t0) * P, (e * L + t0 + T) * P), b * T * P);
    act.set(f.actions.subarray(e * L + t0, e * L + t0 + T), b * T);
    rew.set(f.rewards.subarray(e * L + t0, e * L + t0 + T), b * T);
    if (t0 === 0) first[b * T] = 1;
  });
  return {
    obs: tensor(dev, px, [B, T, 32, 32, 3]),
    actions: tensor(dev, act, [B, T, 1]),
    rewards: tensor(dev, rew, [B, T]),
    isFirst: tensor(dev, first, [B, T]),
  };
}

describe(`image world model (${dev.backend})`, () => {
  it('reduces reconstruction error on rendered cartpole frames by 3x and writes reconstructions as PNG', { timeout: 900_000 }, async () => {
    const [E, L, T] = [8, 24, 8];
    const frames = await cartpoleFrames(E, L);
    const cfg = makeConfig('debug', { modality: 'image', imageSize: 32, actionSize: 1, cnnDepth: 8, opt: { lr: 1e-3 }, seed: 4 });
    const wm = new WorldModel(dev, cfg);
    const trainer = new WorldModelTrainer(wm);
    const recon: number[] = [];
    let s = 9;
    const pick = (n: number) => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n;
    for (let step = 0; step < 100; step++) {
      const b = windowBatch(frames, L, [pick(E), pick(E), pick(E), pick(E)], pick(L - T + 1), T);
      const { metrics } = await trainer.trainStep(b);
      if (step < 3 || step >= 97) recon.push((await readMetrics({ r: metrics.reconLoss })).r);
      disposeMetrics(metrics);
      for (const t of [b.obs, b.actions, b.rewards, b.isFirst]) t.dispose();
    }
    const first = (recon[0] + recon[1] + recon[2]) / 3;
    const last = (recon[3] + recon[4] + recon[5]) / 3;
    expect(last).toBeLessThan(first / 3);

    // Originals (top row) and posterior reconstructions (bottom row) of one episode, as a PNG.
    const b = windowBatch(frames, L, [0], 0, T);
    const rec = await scope(() =>
      A.noGrad(() => {
        const lat = wm.observe(b);
        const mean = wm.decoder.forward(wm.rssm.feature(lat)); // pixels/255 - 0.5
        return cast(mean.value, 'u8', 255, 127.5);
      }),
    ).toArray();
    const P = 32 * 32 * 3;
    const tiles: Uint8Array[] = [];
    for (let t = 0; t < T; t++) tiles.push(frames.pixels.subarray(t * P, (t + 1) * P));
    for (let t = 0; t < T; t++) tiles.push((rec as Uint8Array).subarray(t * P, (t + 1) * P));
    const path = join(process.cwd(), 'out', 'rssm-image-reconstructions.png');
    writeContactSheet(path, tiles, { width: 32, height: 32, columns: T });
    expect(existsSync(path)).toBe(true);
    wm.dispose();
  });

  it('saves and loads: the loaded model gives the same loss', async () => {
    const cfg = makeConfig('debug', { modality: 'image', imageSize: 32, actionSize: 2, seed: 8 });
    const wm = new WorldModel(cpu, cfg);
    const trainer = new WorldModelTrainer(wm);
    await trainer.trainStep(movingSquares(2, 3, 1, cpu));
    const dir = mkdtempSync(join(tmpdir(), 'twist-wm-'));
    await saveWorldModelTrainer(trainer, dir, { step: 1 });
    const { model, trainer: loaded, info } = loadWorldModelTrainer(cpu, dir);
    expect(info).toEqual({ step: 1 });
    expect(loaded.opt.step).toBe(1);
    expect(model.rssm.rngOffset).toBe(wm.rssm.rngOffset);
    // A model alone (a frozen teacher) saves and loads without optimiser state.
    const dir2 = mkdtempSync(join(tmpdir(), 'twist-wm-'));
    await saveWorldModel(wm, dir2, { step: 1 });
    const { model: bare } = loadWorldModel(cpu, dir2);
    expect(Object.keys(bare)).not.toContain('opt');
    expect(() => loadWorldModelTrainer(cpu, dir2)).toThrow(/missing 'model\/m\.0'/);
    const b = movingSquares(2, 3, 2, cpu);
    const l1 = await wm.loss(b).loss.item();
    const l2 = await model.loss(b).loss.item();
    expect(l2).toBeCloseTo(l1, 5);
    expect(await bare.loss(b).loss.item()).toBeCloseTo(l1, 5);
  });
});
