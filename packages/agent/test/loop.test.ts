import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeEnv } from '@twist/envs';
import { loadRunAgent, readMetricsLog, Replay, runPaths, train } from '../src/node.js';
import { cpu } from './harness.js';
import { expectSameRun, tempRuns, tinyOracle } from './run-fixture.js';

const tmp = tempRuns('twist-run-');

const tiny = tinyOracle;

describe('training loop', () => {
  it('meets its train ratio exactly and pairs each stored action with the observation it led to', async () => {
    const dir = tmp();
    const res = await train(tiny(dir, 240));
    // 240 frames = 120 policy steps (two envs of 20 steps per round). Training starts at the first policy
    // step >= prefill (40) with a sampleable replay: after round 1 both episodes (21 records) are stored.
    expect(res.policySteps).toBe(120);
    expect(res.envFrames).toBe(240);
    expect(res.updates).toBe(3 + Math.floor((120 - 40) / 5));
    const trainRows = readMetricsLog(runPaths(dir).metrics).filter((r) => r.kind === 'train');
    expect(trainRows.at(-1)!.updates).toBe(res.updates);
    expect(readMetricsLog(runPaths(dir).metrics).filter((r) => r.kind === 'eval').length).toBe(3);

    // Replaying the stored actions in a fresh env reproduces the stored states exactly: action[t] led to obs t.
    const replay = Replay.open(runPaths(dir).replay, { stateSize: 5, actionSize: 1, capacity: 1e6, numEnvs: 2 });
    const ids = replay.episodeIds();
    expect(ids.length).toBe(6); // 3 rounds x 2 envs
    // the loop's isFirstHost hint (1 only at t = 0 of each sequence) matches what the replay samples
    const sb = replay.sample(cpu, 16, 8);
    const firsts = (await sb.isFirst.toArray()) as Float32Array;
    expect(Array.from(firsts)).toEqual(Array.from({ length: 16 * 8 }, (_, i) => (i % 8 === 0 ? 1 : 0)));
    const ep = replay.episode(ids[3])!;
    expect(ep.length).toBe(21);
    const env = await makeEnv('cartpole-balance', { episodeLength: 40 });
    // episode k of the run used env seed seed * 100003 + k (round r: k = 2r + env)
    const obs0 = env.reset(5 * 100_003 + 3);
    expect(Array.from(ep.state.subarray(0, 5))).toEqual(Array.from(obs0.state));
    expect(Array.from(ep.action.subarray(0, 1))).toEqual([0]);
    expect(ep.flags[0] & 1).toBe(1); // bit 0: isFirst
    for (let t = 1; t < ep.length; t++) {
      const o = env.step(ep.action.subarray(t, t + 1));
      expect(Array.from(ep.state.subarray(t * 5, (t + 1) * 5))).toEqual(Array.from(o.state));
      expect(ep.reward[t]).toBeCloseTo(o.reward, 5);
      expect(!!(ep.flags[t] & 2)).toBe(o.done); // bit 1: isLast
    }
    env.close();
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
    // the same weights, and the metrics file of the resumed run equals the uninterrupted one's (wall-clock aside)
    expectSameRun(a, b);
  });

  it('image methods train from rendered frames: dreamer-dr re-draws the domain every step, state-recon decodes the state', async () => {
    for (const method of ['dreamer-dr', 'dreamer-state-recon'] as const) {
      const dir = tmp();
      const res = await train(tiny(dir, 160, { method, overrides: { world: { cnnDepth: 2 }, agent: { behaviour: { horizon: 3 }, loop: { envs: 2, batch: 2, length: 6, prefill: 40, pretrain: 1, trainEvery: 10, evalEvery: 1000, evalEpisodes: 1, checkpointEvery: 1000, logEvery: 1 } } } }));
      expect(res.updates).toBe(1 + Math.floor((80 - 40) / 10));
      const rows = readMetricsLog(runPaths(dir).metrics).filter((r) => r.kind === 'train');
      expect(Number.isFinite(rows.at(-1)!.reconLoss)).toBe(true);
      if (method === 'dreamer-state-recon') expect(Number.isFinite(rows.at(-1)!.stateReconLoss)).toBe(true);
      else expect(rows.at(-1)!.stateReconLoss).toBeUndefined();
      const replay = Replay.open(runPaths(dir).replay, { stateSize: 5, actionSize: 1, capacity: 1e6, numEnvs: 2, imageShape: [32, 32, 3] });
      const ep = replay.episode(replay.episodeIds()[0])!;
      const P = 32 * 32 * 3;
      // with DR re-drawn every step, consecutive frames differ far more than the pole's motion would make them
      const changed = (a: number, b: number) => {
        let n = 0;
        for (let i = 0; i < P; i++) if (Math.abs(ep.image![a * P + i] - ep.image![b * P + i]) > 20) n++;
        return n / P;
      };
      expect(changed(3, 4)).toBeGreaterThan(0.3);
    }
  });

  it('collects matched DR images during a state (Oracle) run: the replay holds state and image of the same steps', async () => {
    const dir = tmp();
    await train(tiny(dir, 80, { collectImages: true, collectImageSize: 32 }));
    const cfg = JSON.parse(readFileSync(runPaths(dir).config, 'utf8'));
    expect(cfg.collect).toEqual({ images: true, imageSize: 32, domain: 'train', perStep: true });
    const replay = Replay.open(runPaths(dir).replay, { stateSize: 5, actionSize: 1, capacity: 1e6, numEnvs: 2, imageShape: [32, 32, 3] });
    const ep = replay.episode(replay.episodeIds()[0])!;
    expect(ep.image!.length).toBe(ep.length * 32 * 32 * 3);
    const rows = readMetricsLog(runPaths(dir).metrics).filter((r) => r.kind === 'episode');
    expect(rows.at(-1)!.renderSeconds).toBeGreaterThan(0);
    await expect(train(tiny(tmp(), 80, { method: 'dreamer', collectImages: true }))).rejects.toThrow(/--collect-images is for state-input methods/);
  });

  it('a run going non-finite stops naming what is non-finite, the update and the env step; the last good checkpoint still loads', async () => {
    const dir = tmp();
    // lr 1e30: after the first update the parameters overflow and the next losses are Inf/NaN
    const opts = tiny(dir, 400, { overrides: { world: { opt: { lr: 1e30 } }, agent: { loop: { envs: 1, prefill: 40, pretrain: 2, trainEvery: 5, checkpointEvery: 40, evalEvery: 10_000, logEvery: 1 } } } });
    // every step after the first is skipped (non-finite gradients) and the policy's actions turn NaN: the run stops
    // naming what is non-finite, the update and the env step, and writes no checkpoint meanwhile (deferred)
    await expect(train(opts)).rejects.toThrow(/non-finite .*(NaN|Infinity).* at update \d+, env step \d+.*; the last good checkpoint is in .*ckpt/);
    const { agent, info } = loadRunAgent(cpu, dir);
    expect((info.loop as { updates: number }).updates).toBe(0);
    agent.dispose();
  });

  it('refuses an existing run directory without --resume, and a run of another method', async () => {
    const dir = tmp();
    await train(tiny(dir, 80));
    await expect(train(tiny(dir, 80))).rejects.toThrow(/already exists and is not empty; resume it with --resume/);
    await expect(train({ dir, device: cpu, resume: true, method: 'dreamer' })).rejects.toThrow(/is a 'oracle' run, not 'dreamer'/);
    const cfg = JSON.parse(readFileSync(runPaths(dir).config, 'utf8'));
    expect(cfg.method).toBe('oracle');
  });
});
