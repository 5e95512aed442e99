// asym-sac through the shared training loop on the CPU backend: the update ratio, what the replay holds, resume
// bit for bit, evaluation from images, and the config's checks.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensors } from '@twist/autograd/node';
import { makeRunConfig, METHODS, SAC_PRESETS } from '../src/index.js';
import { evaluate, loadRunActor, loadRunAgent, parseExperiment, readMetricsLog, Replay, runPaths, train, type TrainOptions } from '../src/node.js';
import { cpu } from './harness.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'twist-sac-'));
  dirs.push(d);
  return join(d, 'run');
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A tiny asym-sac run: 40-control-step episodes (20 policy steps at action repeat 2), two envs, a seed phase of
 * 40 policy steps, then one update per policy step on batches of 4 transitions; 32 px images, frame stacks of 2.
 */
const tiny = (dir: string, steps: number, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  dir,
  device: cpu,
  method: 'asym-sac',
  task: 'cartpole-balance',
  preset: 'debug',
  seed: 5,
  steps,
  episodeLength: 40,
  overrides: {
    agent: {
      sac: { encoder: { filters: 4, strides: [2, 2], feature: 8 }, actorLayers: [16], criticLayers: [16] },
      loop: { envs: 2, batch: 4, prefill: 40, evalEvery: 80, evalEpisodes: 1, checkpointEvery: 80, logEvery: 1 },
    },
  },
  ...extra,
});

describe('asym-sac in the training loop', () => {
  it('is a registered method with image acting and DR every step', () => {
    expect(METHODS['asym-sac']).toMatchObject({ learner: 'sac', modality: 'image', trainDR: 'train-every-step', evalDomain: 'train' });
    // DrQ's ratio at every preset: one update per policy step after the seed phase, single transitions
    for (const p of Object.values(SAC_PRESETS)) expect(p.loop).toMatchObject({ length: 2, trainEvery: 1, trainSteps: 1, pretrain: 1 });
  });

  it('updates once per policy step after the seed phase; the replay holds the state and the DR image of every step', async () => {
    const dir = tmp();
    const res = await train(tiny(dir, 240));
    // 240 frames = 120 policy steps; training starts at policy step 40 (both round-1 episodes committed)
    expect(res.policySteps).toBe(120);
    expect(res.updates).toBe(1 + (120 - 40));
    const rows = readMetricsLog(runPaths(dir).metrics);
    const trains = rows.filter((r) => r.kind === 'train');
    expect(trains.length).toBe(res.updates);
    for (const k of ['criticLoss', 'q', 'target']) expect(Number.isFinite(trains.at(-1)![k])).toBe(true);
    // actor, temperature on every second update (DrQ actor_update_frequency 2): update 1 is one of them
    expect(Number.isFinite(trains[0].actorLoss)).toBe(true);
    expect(trains[1].actorLoss).toBeUndefined();
    expect(trains.filter((r) => r.alpha !== undefined).length).toBe(Math.ceil(res.updates / 2));
    expect(rows.filter((r) => r.kind === 'eval').length).toBe(3);
    const cfg = JSON.parse(readFileSync(runPaths(dir).config, 'utf8'));
    expect(cfg.world).toEqual({ modality: 'image', stateSize: 5, actionSize: 1, imageSize: 32, imageChannels: 3, seed: 5 });
    expect(cfg.agent.sac.frameStack).toBe(2);
    const replay = Replay.open(runPaths(dir).replay, { stateSize: 5, actionSize: 1, capacity: 1e6, numEnvs: 2, imageShape: [32, 32, 3] });
    const ep = replay.episode(replay.episodeIds()[0])!;
    expect(ep.length).toBe(21);
    expect(ep.image!.length).toBe(21 * 32 * 32 * 3);
    const P = 32 * 32 * 3;
    let changed = 0;
    for (let i = 0; i < P; i++) if (Math.abs(ep.image![3 * P + i] - ep.image![4 * P + i]) > 20) changed++;
    expect(changed / P).toBeGreaterThan(0.3); // re-drawn every step
  });

  it('resumes to the same result as an uninterrupted run, bit for bit (CPU backend)', async () => {
    const a = tmp();
    const b = tmp();
    await train(tiny(a, 320));
    const first = await train(tiny(b, 320, { stopAfterCheckpoints: 2 }));
    expect(first.stoppedEarly).toBe(true);
    expect(first.envFrames).toBe(160);
    const second = await train({ dir: b, device: cpu, resume: true });
    expect(second.envFrames).toBe(320);
    const weightsOf = (dir: string) => {
      const ckpt = runPaths(dir).ckpt;
      return loadSafetensors(join(ckpt, JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8')).weights.file)).tensors;
    };
    const wa = weightsOf(a);
    const wb = weightsOf(b);
    // actor (encoder + trunk), critics, target critics, temperature, and the three optimisers' moments
    expect([...wa.keys()].some((k) => k.includes('criticTarget'))).toBe(true);
    expect([...wa.keys()].some((k) => k.includes('logAlpha'))).toBe(true);
    expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
    for (const [k, t] of wa) expect(Buffer.from(wb.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ wallSeconds: _w, renderSeconds: _r, ...r }) => r); // wall-clock fields aside
    expect(strip(readMetricsLog(runPaths(b).metrics))).toEqual(strip(readMetricsLog(runPaths(a).metrics)));
    const ck = (dir: string) => JSON.parse(readFileSync(join(runPaths(dir).ckpt, 'checkpoint.json'), 'utf8')).info.agent;
    expect(ck(b)).toEqual(ck(a));
    expect(Object.keys(ck(a)).sort()).toEqual(['augRng', 'rngOffset', 'updates']);

    // evaluation acts from images in the requested domain; the Dreamer loader refuses the run
    const { actor, dispose } = loadRunActor(cpu, a);
    expect(actor.observes).toBe('image');
    expect(actor.imageSize).toBe(32);
    const report = await evaluate(cpu, actor, { task: 'cartpole-balance', domain: 'heldout', episodes: 1, seed: 7, episodeLength: 20, references: false });
    dispose();
    expect(report.domain).toBe('heldout');
    expect(Number.isFinite(report.mean)).toBe(true);
    expect(() => loadRunAgent(cpu, a)).toThrow(/is an 'asym-sac' run: it has no world model/);
  });

  it('checks its config: SAC keys under agent.sac, no Dreamer behaviour, single transitions, no --collect-images', async () => {
    const task = { name: 'cartpole-balance', stateSize: 5, actionSize: 1 };
    const c = makeRunConfig('asym-sac', task, 'quick', 0, 1000, { agent: { sac: { tau: 0.05, actorOpt: { lr: 3e-4 } } as never } });
    expect(c.agent.sac.tau).toBe(0.05);
    expect(c.agent.sac.actorOpt).toEqual({ ...SAC_PRESETS.quick.sac.actorOpt, lr: 3e-4 }); // merged key by key
    expect(c.world.imageSize).toBe(64);
    expect(() => makeRunConfig('asym-sac', task, 'quick', 0, 1, { agent: { behaviour: { horizon: 3 } } })).toThrow(/'agent.behaviour' is the Dreamer actor-critic's/);
    expect(() => makeRunConfig('asym-sac', task, 'quick', 0, 1, { agent: { sac: { taus: 1 } as never } })).toThrow(/unknown key 'sac.taus'; valid keys here: actorInput, frameStack/);
    expect(() => makeRunConfig('asym-sac', task, 'quick', 0, 1, { agent: { loop: { length: 3 } } })).toThrow(/'loop.length' must be 2/);
    expect(() => makeRunConfig('asym-sac', task, 'quick', 0, 1, { world: { kl: { free: 1 } } })).toThrow(/unknown key 'world.kl'/);
    expect(() => makeRunConfig('oracle', task, 'quick', 0, 1, { agent: { sac: { tau: 1 } as never } })).toThrow(/'agent.sac' is asym-sac's/);
    await expect(train(tiny(tmp(), 80, { collectImages: true }))).rejects.toThrow(/--collect-images is for state-input methods/);
    // an experiment may name it, with config overrides checked the same way
    const exp = parseExperiment({ methods: [{ name: 'sac-tau', method: 'asym-sac', config: { agent: { sac: { tau: 0.05 } } } }], tasks: ['cartpole-balance'], seeds: [0], preset: 'debug', steps: 100, eval: { domain: 'heldout', episodes: 2 } }, 'e.json');
    expect(exp.methods[0]).toMatchObject({ name: 'sac-tau', method: 'asym-sac' });
    expect(() => parseExperiment({ methods: [{ method: 'asym-sac', config: { agent: { sac: { tua: 1 } } } }], tasks: ['cartpole-balance'], seeds: [0], preset: 'debug', steps: 100, eval: { domain: 'heldout', episodes: 2 } }, 'e.json')).toThrow(/unknown key 'sac.tua'/);
  });
});
