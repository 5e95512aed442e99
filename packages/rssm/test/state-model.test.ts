import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { scope, tensor, type Device } from '@twist/kernels';
import { makeConfig, readMetrics, disposeMetrics, WorldModel, WorldModelTrainer } from '../src/index.js';
import { batchOf, oscillator } from './data.js';
import { cpu, gpuOrNull } from './harness.js';

const dev: Device = (await gpuOrNull()) ?? cpu;

describe(`state world model learns a known stochastic system (${dev.backend})`, () => {
  // Learning tests run hundreds of training steps on software Vulkan: minutes when the machine is busy.
  it('15-step open-loop prediction error falls below 35% of the error of predicting the mean', { timeout: 900_000 }, async () => {
    const T = 24;
    const data = oscillator(64, T, 7);
    const cfg = makeConfig('debug', { stateSize: 4, actionSize: 2, rssm: { deter: 64, hidden: 64, stoch: 8, classes: 8 }, mlpLayers: [64, 64], rewardLayers: [64], opt: { lr: 2e-3 }, kl: { free: 0.1 }, seed: 1 });
    const wm = new WorldModel(dev, cfg);
    const trainer = new WorldModelTrainer(wm);
    let rng = 3;
    const pick = () => (rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0) % 48; // episodes 0..47 train, 48..63 test
    // Train on 12-step windows at random offsets (isFirst only where a window starts an episode).
    const W = 12;
    for (let step = 0; step < 250; step++) {
      const t0 = step % 3 === 0 ? 0 : pick() % (T - W + 1);
      const b = batchOf(dev, data, Array.from({ length: 8 }, pick), t0, W);
      const { metrics } = await trainer.trainStep(b);
      for (const t of Object.values(b)) t?.dispose();
      disposeMetrics(metrics);
    }
    // Evaluate on held-out episodes: observe 8 steps, then imagine 15 with the recorded actions.
    const test = Array.from({ length: 16 }, (_, i) => 48 + i);
    const ctxT = 6;
    const H = 15;
    const pred = await scope(() =>
      A.noGrad(() => {
        const b = batchOf(dev, data, test, 0, ctxT);
        const lat = wm.observe(b);
        const last = {
          deter: A.reshape(A.slice(lat.deter, [0, ctxT - 1, 0], [16, 1, -1]), [16, cfg.rssm.deter]),
          stoch: A.reshape(A.slice(lat.stoch, [0, ctxT - 1, 0, 0], [16, 1, -1, -1]), [16, cfg.rssm.stoch, cfg.rssm.classes]),
        };
        const acts = new Float32Array(H * 16 * 2);
        for (let i = 0; i < H; i++) test.forEach((n, j) => acts.set(data.actions.subarray((n * T + ctxT + i) * 2, (n * T + ctxT + i + 1) * 2), (i * 16 + j) * 2));
        const im = wm.rssm.imagine(last, A.constant(tensor(dev, acts, [H, 16, 2])), H);
        return wm.decoder.forward(wm.rssm.feature(im)).value;
      }),
    ).toArray();
    let err = 0;
    let base = 0;
    const mean = [0, 0, 0, 0];
    for (let i = 0; i < data.states.length; i++) mean[i % 4] += data.states[i] / (data.N * T);
    for (let i = 0; i < H; i++) {
      test.forEach((n, j) => {
        for (let k = 0; k < 4; k++) {
          const truth = data.states[(n * T + ctxT + i) * 4 + k];
          err += (pred[(i * 16 + j) * 4 + k] - truth) ** 2;
          base += (mean[k] - truth) ** 2;
        }
      });
    }
    expect(err / base).toBeLessThan(0.35);
    wm.dispose();
  });
});

describe('world model contracts', () => {
  it('gives identical losses for the first steps when run twice with one seed (CPU)', async () => {
    const run = async () => {
      const data = oscillator(8, 10, 5);
      const wm = new WorldModel(cpu, makeConfig('debug', { stateSize: 4, actionSize: 2, seed: 9 }));
      const trainer = new WorldModelTrainer(wm);
      const out: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { metrics } = await trainer.trainStep(batchOf(cpu, data, [0, 1, 2, 3], 0, 10));
        out.push((await readMetrics(metrics)).loss);
      }
      return out;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('klLoss is max(mean KL, free nats) and the scalars are finite', async () => {
    const data = oscillator(4, 6, 2);
    const wm = new WorldModel(cpu, makeConfig('debug', { stateSize: 4, actionSize: 2, kl: { free: 1.0 } }));
    const trainer = new WorldModelTrainer(wm);
    const { metrics } = await trainer.trainStep(batchOf(cpu, data, [0, 1], 0, 6));
    const m = await readMetrics(metrics);
    expect(m.klLoss).toBeCloseTo(Math.max(m.meanKL, 1.0), 5);
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    expect(m.priorEntropy).toBeLessThanOrEqual(4 * Math.log(4) + 1e-4);
  });

  it('rejects invalid configs naming the key', async () => {
    expect(() => makeConfig('debug', { rssm: { deter: 0 } })).toThrow(/'rssm.deter' must be a positive integer, got 0/);
    expect(() => makeConfig('debug', { modality: 'image', imageSize: 48 })).toThrow(/'imageSize' must be 32 or 64/);
    expect(() => makeConfig('debug', { stateRecon: true })).toThrow(/'stateRecon' must be false for a state model/);
    expect(() => makeConfig('debug', { modality: 'image', imageSize: 32, stateRecon: true, stateReconFrom: 'pixels' as any })).toThrow(/'stateReconFrom' must be 'feature' or 'embed', got .pixels./);
    expect(() => makeConfig('debug', { modality: 'image', imageSize: 32, stateReconFrom: 'embed' })).toThrow(/'stateReconFrom' must be 'feature' without a state decoder .*, got .embed./);
    expect(() => makeConfig('debug', { nope: 1 } as any)).toThrow(/unknown key 'nope'; valid keys here: modality/);
    expect(() => makeConfig('huge' as any)).toThrow(/unknown preset 'huge'; valid presets: paper, quick, debug/);
    const wm = new WorldModel(cpu, makeConfig('debug', { stateSize: 4, actionSize: 2 }));
    const trainer = new WorldModelTrainer(wm);
    expect(() => wm.rssm.imagine(wm.rssm.initial(cpu, 2), () => A.constant(tensor(cpu, new Float32Array(4), [2, 2])), 0)).toThrow(/horizon must be a positive integer, got 0/);
    const b = batchOf(cpu, oscillator(2, 4, 1), [0], 0, 4);
    await expect(trainer.trainStep({ ...b, rewards: tensor(cpu, new Float32Array(3), [1, 3]) })).rejects.toThrow(/batch.rewards must have shape \[1,4\], got \[1,3\]/);
    // a wrong actions batch is reported as the actions (B and T come from obs), empty batches and bad dtypes too
    await expect(trainer.trainStep({ ...b, actions: tensor(cpu, new Float32Array(6), [1, 3, 2]) })).rejects.toThrow(/batch.actions must have shape \[1,4,2\], got \[1,3,2\]/);
    await expect(trainer.trainStep({ ...b, obs: tensor(cpu, new Float32Array(0), [0, 4, 4]) })).rejects.toThrow(/batch.obs must have at least one sequence/);
    await expect(trainer.trainStep({ ...b, isFirst: tensor(cpu, new Int32Array(4), [1, 4]) })).rejects.toThrow(/batch.isFirst must have dtype f32, got i32/);
    await expect(trainer.trainStep({ ...b, rewards: undefined } as any)).rejects.toThrow(/batch.rewards is missing/);
    expect(() => makeConfig('debug', { kl: { scale: -1 } })).toThrow(/'kl.scale' must be a finite number >= 0, got -1/);
    // NaN and infinities are shown as themselves (JSON printed NaN as null) and refused where a finite number is meant
    expect(() => makeConfig('debug', { kl: { free: NaN } })).toThrow(/'kl.free' must be a finite number >= 0, got NaN/);
    expect(() => makeConfig('debug', { opt: { lr: Infinity } })).toThrow(/'opt.lr' must be a finite number > 0, got Infinity/);
    expect(() => makeConfig('debug', { kl: { scale: Infinity } })).toThrow(/'kl.scale' must be a finite number >= 0, got Infinity/);
    // optimiser settings are checked when the trainer is made, not at the first trainStep
    expect(() => new WorldModelTrainer(wm, { lr: -1 })).toThrow(/WorldModelTrainer: opt.lr must be a finite number > 0, got -1/);
    expect(() => new WorldModelTrainer(wm, { learningRate: 1 } as any)).toThrow(/WorldModelTrainer: unknown opt key 'learningRate'; valid keys: lr, eps, clip, weightDecay/);
    // isFirst values other than 0/1 are refused where they are on the host (the device tensor is not read back)
    const host = new Float32Array(4);
    host[0] = 0.5;
    await expect(trainer.trainStep({ ...b, isFirstHost: host })).rejects.toThrow(/WorldModel: batch.isFirstHost\[0\] must be 0 or 1 \(1 where an episode starts\), got 0.5/);
    await expect(trainer.trainStep({ ...b, isFirstHost: [1, 0, 0] })).rejects.toThrow(/batch.isFirstHost must have B \* T = 4 entries/);
    expect(() => wm.rssm.observe(A.constant(tensor(cpu, new Float32Array(4 * wm.rssm.embedSize), [1, 4, wm.rssm.embedSize])), A.constant(tensor(cpu, new Float32Array(8), [1, 4, 2])), b.isFirst, undefined, { isFirstHost: [1, 0, NaN, 0] })).toThrow(
      /RSSM.observe: isFirstHost\[2\] must be 0 or 1 \(1 where an episode starts\), got NaN/,
    );
    expect(() => makeConfig('debug', { continueHead: 'no' as any })).toThrow(/'continueHead' must be true or false, got "no"/);
    expect(() => makeConfig('debug', { rssm: { act: 'gelu' as any } })).toThrow(/'rssm.act' must be 'elu' or 'silu'/);
  });
});
