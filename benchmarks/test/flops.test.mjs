// The analytic model counts of benchmarks/src/flops.mjs against the models themselves: parameter counts equal
// those of a WorldModel and of the agent's actor and critic built on the CPU backend, and the FLOPs agree with
// hand counts (and the issue's table). No GPU.
import * as K from '@twist/kernels';
import * as R from '@twist/rssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PRESETS } from '../../packages/agent/src/config.ts';
import { Actor, Critic } from '../../packages/agent/src/networks.ts';
import { behaviourFlops, mlpMacs, trainStepFlops, worldModelParts } from '../src/flops.mjs';

/** @type {K.Device} */
let device;
beforeAll(async () => {
  device = await K.createDevice({ backend: 'cpu' });
});
afterAll(() => device?.destroy());

const count = (/** @type {any} */ m) => m.parameters().reduce((/** @type {number} */ n, /** @type {any} */ p) => n + p.size, 0);

describe('world-model FLOPs and parameters', () => {
  it.each([
    ['quick', 'state'],
    ['quick', 'image'],
    ['paper', 'state'],
    ['paper', 'image'],
  ])('%s %s: the parameter count is that of the WorldModel', (preset, modality) => {
    const cfg = R.makeConfig(/** @type {any} */ (preset), { modality: /** @type {any} */ (modality) });
    const wm = new R.WorldModel(device, cfg);
    try {
      expect(trainStepFlops(cfg, 16, 50).params).toBe(count(wm));
      expect(worldModelParts(cfg).embed).toBe(wm.encoder.outSize);
      expect(worldModelParts(cfg).feature).toBe(wm.rssm.featureSize);
    } finally {
      wm.dispose();
    }
  });

  it('an action embedding, a continue head and a state decoder are counted too', () => {
    const cfg = R.makeConfig('debug', { modality: 'image', continueHead: true, stateRecon: true, rssm: { actionEmbed: 8 } });
    const wm = new R.WorldModel(device, cfg);
    try {
      expect(trainStepFlops(cfg, 2, 3).params).toBe(count(wm));
    } finally {
      wm.dispose();
    }
  });

  it('quick state by hand: 559872 multiply-adds per row, x 2 x 3 x 800 rows = 2.69 GFLOP (the issue: 2.7)', () => {
    const cfg = R.makeConfig('quick', { modality: 'state' });
    const { macs } = worldModelParts(cfg);
    // encoder 5-256-256; RSSM: img_in 257x128, GRU (128+128)x384, img_out 128x128, prior 128x256, obs_out 384x128,
    // post 128x256; decoder 384-256-256-5; reward 384-128-128-1
    expect(macs.encoder).toBe(5 * 256 + 256 * 256);
    expect(macs.rssm).toBe(257 * 128 + 256 * 384 + 128 * 128 + 128 * 256 + 384 * 128 + 128 * 256);
    expect(macs.decoder).toBe(384 * 256 + 256 * 256 + 256 * 5);
    expect(macs.reward).toBe(mlpMacs(384, [128, 128], 1));
    const f = trainStepFlops(cfg, 16, 50);
    expect(f.total).toBe(6 * 559872 * 800);
    expect(f.total).toBe(3 * f.forward);
  });

  it("the four cases match the issue's model GFLOP/step within 4% (2.7, 53, 17.7, 417)", () => {
    const issue = { 'quick state': 2.7, 'quick image': 53, 'paper state': 17.7, 'paper image': 417 };
    for (const [k, want] of Object.entries(issue)) {
      const [preset, modality] = /** @type {any[]} */ (k.split(' '));
      const got = trainStepFlops(R.makeConfig(preset, { modality }), 16, 50).total / 1e9;
      expect(Math.abs(got / want - 1), `${k}: ${got} GFLOP`).toBeLessThan(0.04);
    }
  });
});

describe('actor-critic update in imagination', () => {
  it.each(['quick', 'paper'])('%s: actor, critic and slow critic have the counted parameters; N and H from the presets', (preset) => {
    const cfg = R.makeConfig(/** @type {any} */ (preset), { modality: 'state', stateSize: 5, actionSize: 1 });
    const beh = AGENT_PRESETS[/** @type {'quick' | 'paper'} */ (preset)].behaviour;
    const { batch, length } = AGENT_PRESETS[/** @type {'quick' | 'paper'} */ (preset)].loop;
    const F = cfg.rssm.deter + cfg.rssm.stoch * cfg.rssm.classes;
    const ctx = { device, seed: 0 };
    const nets = [new Actor(ctx, F, 1, beh.actorLayers, beh.act, beh.minStd), new Critic(ctx, F, beh.criticLayers, beh.act), new Critic(ctx, F, beh.criticLayers, beh.act, 'slow')];
    try {
      const f = behaviourFlops(cfg, beh, batch * length);
      expect(f.params).toBe(nets.reduce((n, m) => n + count(m), 0));
      expect(f.H).toBe(15);
      expect(f.N).toBe(preset === 'quick' ? 256 : 800);
    } finally {
      nets.forEach((m) => m.dispose());
    }
  });

  it('quick by hand: the imagined steps and heads, with the backward factors of the docs', () => {
    const cfg = R.makeConfig('quick', { modality: 'state', stateSize: 5, actionSize: 1 });
    const f = behaviourFlops(cfg, AGENT_PRESETS.quick.behaviour, 16 * 32);
    const N = 256;
    const H = 15;
    const actor = 384 * 256 + 256 * 256 + 256 * 2;
    const critic = 384 * 256 + 256 * 256 + 256;
    const prior = 257 * 128 + 256 * 384 + 128 * 128 + 128 * 256;
    const reward = 384 * 128 + 128 * 128 + 128;
    expect(f.forward).toBe(2 * (H * N * (actor + prior + critic) + (H + 1) * N * (reward + critic)));
    expect(f.total).toBe(2 * (3 * H * N * actor + 2 * H * N * prior + 2 * (H + 1) * N * (reward + critic) + 3 * H * N * critic));
  });
});
