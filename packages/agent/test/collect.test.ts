import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSafetensors } from '@twist/autograd/node';
import { VecEnv } from '@twist/envs/node';
import { collectTeacherData, exportWeightsOnly, loadRunAgent, readMetricsLog, Replay, runPaths, train, VisualDR, type CollectDriver, type TrainOptions } from '../src/node.js';
import { cpu } from './harness.js';
import { checkpointJson, tempRuns, tinyOracle } from './run-fixture.js';

const tmp = tempRuns('twist-collect-');

/** A tiny oracle teacher with matched collection (CPU backend): run-fixture's tiny run, 32 x 32 images, no evaluations. */
const tiny = (dir: string, steps: number, extra: Partial<TrainOptions> = {}): TrainOptions =>
  tinyOracle(dir, steps, { collectImages: true, collectImageSize: 32, ...extra }, { evalEvery: 1000, evalEpisodes: 1, checkpointEvery: 1000 });

const P = 32 * 32 * 3;
const replayOf = (dir: string) => Replay.open(runPaths(dir).replay, { stateSize: 5, actionSize: 1, capacity: 1e6, numEnvs: 2, imageShape: [32, 32, 3] });

/**
 * The matched-collection convention, checked by re-simulating a round of two episodes (ids a, b: episodes k0
 * and k0 + 1 of seed `seed`, on envs 0 and 1) independently of the loop: step 0 has a zero action and isFirst;
 * stepping a fresh env (seed * 100003 + k) with the stored actions reproduces every stored state and reward; the
 * image of step t is the render of that state under the train DR drawn for (seed, episode k, env, step t).
 */
async function expectMatchedConvention(replay: Replay, ids: [number, number], seed: number, k0: number): Promise<void> {
  const eps = ids.map((id) => replay.episode(id)!);
  const dr = new VisualDR(cpu, 'train', 2, true, seed, 32);
  const vec = await VecEnv.create('cartpole-balance', { num: 2, workers: 0, episodeLength: 40, renderBatch: dr.render });
  try {
    dr.startEpisode(0, k0);
    dr.startEpisode(1, k0 + 1);
    let obs = await vec.reset([seed * 100_003 + k0, seed * 100_003 + k0 + 1]);
    for (let t = 0; t < eps[0].length; t++) {
      if (t > 0) {
        dr.advance(0);
        dr.advance(1);
        obs = await vec.step(Float32Array.from(eps.map((e) => e.action[t])));
      }
      for (let i = 0; i < 2; i++) {
        const e = eps[i];
        expect(Array.from(e.state.subarray(t * 5, (t + 1) * 5)), `episode ${ids[i]} step ${t}`).toEqual(Array.from(obs.state.subarray(i * 5, (i + 1) * 5)));
        expect(Buffer.from(e.image!.subarray(t * P, (t + 1) * P)).equals(Buffer.from(obs.image![i])), `image of episode ${ids[i]} step ${t}`).toBe(true);
        expect(!!(e.flags[t] & 1), `isFirst at ${t}`).toBe(t === 0);
        if (t === 0) expect(e.action[0]).toBe(0);
        else expect(e.reward[t]).toBeCloseTo(obs.reward[i], 5);
      }
    }
  } finally {
    await vec.close();
  }
}

describe('weights-only export and the teacher data collection', () => {
  it('export keeps the modules bit for bit and drops the optimiser moments; it loads to act, and refuses to resume training', async () => {
    const teacher = tmp();
    await train(tiny(teacher, 160));
    const out = tmp();
    const r = await exportWeightsOnly({ run: teacher, out, device: cpu });
    expect(r.envFrames).toBe(160);
    const cfg = JSON.parse(readFileSync(runPaths(out).config, 'utf8'));
    expect(cfg.weightsOnly).toBe(true);
    expect(cfg.collect).toBeUndefined(); // no collected data travels with an export
    expect(cfg.source).toEqual({ run: teacher, envFrames: 160, updates: r.updates });
    const weights = (dir: string) => loadSafetensors(join(runPaths(dir).ckpt, checkpointJson(dir).weights.file)).tensors;
    const full = weights(teacher);
    const slim = weights(out);
    const { agent } = loadRunAgent(cpu, out);
    const names = Object.entries(agent.parts().modules).flatMap(([m, mod]) => [...mod.namedParameters()].map(([n]) => `${m}/${n}`));
    agent.dispose();
    expect([...slim.keys()].sort()).toEqual(names.sort()); // every module's parameters, nothing else
    expect(full.size).toBeGreaterThan(slim.size); // the Adam moments stayed behind
    for (const [k, t] of slim) expect(Buffer.from(full.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
    expect(readMetricsLog(runPaths(out).metrics).every((row) => row.kind === 'eval' || row.kind === 'episode')).toBe(true);
    await expect(train({ dir: out, device: cpu, resume: true })).rejects.toThrow(/holds weights only .* not resumed/);
    await expect(exportWeightsOnly({ run: teacher, out, device: cpu })).rejects.toThrow(/already exists and is not an empty directory/);
  });

  it("collection stores train --collect-images' convention: the same seeds, DR draws and (s, o, a, r, isFirst) pairing as the teacher's own run", async () => {
    const teacher = tmp();
    await train(tiny(teacher, 160)); // 4 episodes in 2 rounds of 2 envs; the policy acts from policy step 40
    const slim = tmp();
    await exportWeightsOnly({ run: teacher, out: slim, device: cpu });
    const dir = tmp();
    // 3 episodes on 2 envs: the last round has 1 env (episode 2 on env 0, as in the teacher's run)
    const res = await collectTeacherData({ teacher: slim, dir, device: cpu, episodes: 3, envs: 2 });
    expect(res.episodes).toBe(3);
    expect(res.policySteps).toBe(60);
    expect(res.renderSeconds).toBeGreaterThan(0);
    const cfg = JSON.parse(readFileSync(runPaths(dir).config, 'utf8'));
    expect(cfg.collect).toEqual({ images: true, imageSize: 32, domain: 'train', perStep: true });
    expect(cfg.weightsOnly).toBe(true);
    expect(cfg.source).toEqual({ run: teacher, envFrames: 160, updates: expect.any(Number), collected: { episodes: 3, seed: 5, envs: 2, domain: 'train' } });
    const info = checkpointJson(dir).info;
    expect(info.replay.episodes.map((e: number[]) => e[1])).toEqual([21, 21, 21]);
    expect(info.loop.envFrames).toBe(160); // the teacher's counters: distil records how far it had trained

    const collected = replayOf(dir);
    const trained = replayOf(teacher);
    const cIds = collected.episodeIds();
    const tIds = trained.episodeIds();
    // the same env seed and DR draw for episode k: the first steps (before any action) are identical
    for (let k = 0; k < 3; k++) {
      const c = collected.episode(cIds[k])!;
      const t = trained.episode(tIds[k])!;
      expect(Array.from(c.state.subarray(0, 5))).toEqual(Array.from(t.state.subarray(0, 5)));
      expect(Buffer.from(c.image!.subarray(0, P)).equals(Buffer.from(t.image!.subarray(0, P))), `first image of episode ${k}`).toBe(true);
    }
    // and both replays follow one convention at every step (train's second round is where its policy acts)
    await expectMatchedConvention(trained, [tIds[2], tIds[3]], 5, 2);
    await expectMatchedConvention(collected, [cIds[0], cIds[1]], 5, 0);
    // the collected actions are the teacher's (sampled from its actor, in [-1, 1]), not the prefill's uniform noise only
    const a = collected.episode(cIds[0])!.action;
    expect(a.every((v) => v >= -1 && v <= 1)).toBe(true);
  });

  it('action noise: episode k gets level k % n, executed actions are stored (the convention holds) and a level of 0 leaves an episode as it was', async () => {
    const teacher = tmp();
    await train(tiny(teacher, 160));
    const plain = tmp();
    await collectTeacherData({ teacher, dir: plain, device: cpu, episodes: 2, envs: 2 });
    const noisy = tmp();
    await collectTeacherData({ teacher, dir: noisy, device: cpu, episodes: 2, envs: 2, actionNoise: [0, 3] });
    const cfg = JSON.parse(readFileSync(runPaths(noisy).config, 'utf8'));
    expect(cfg.source.collected.actionNoise).toEqual([0, 3]);
    const p = replayOf(plain);
    const n = replayOf(noisy);
    const [p0, p1] = p.episodeIds().map((id) => p.episode(id)!);
    const [n0, n1] = n.episodeIds().map((id) => n.episode(id)!);
    // level 0 (episode 0): the same actions, states and images as without noise (its filter never saw noise)
    expect(Array.from(n0.action)).toEqual(Array.from(p0.action));
    expect(Array.from(n0.state)).toEqual(Array.from(p0.state));
    // level 3 (episode 1): clipped, mostly saturated, and different from the teacher's own
    const sat = (a: Float32Array) => Array.from(a.subarray(1)).filter((v) => Math.abs(v) === 1).length / (a.length - 1);
    expect(Array.from(n1.action).every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(sat(n1.action)).toBeGreaterThan(0.5);
    expect(sat(n1.action)).toBeGreaterThan(sat(p1.action) + 0.3);
    // the stored (executed) actions reproduce the stored states and images
    await expectMatchedConvention(n, [n.episodeIds()[0], n.episodeIds()[1]], 5, 0);
    await expect(collectTeacherData({ teacher, dir: tmp(), device: cpu, episodes: 1, actionNoise: [0.3, -1] })).rejects.toThrow(/actionNoise must be a non-empty list of finite stds >= 0, got \[0.3,-1\]/);
  });

  it('random actions: episode k replaces each action by U(-1, 1) with probability p[k % n]; p = 0 leaves an episode as it was, p = 1 leaves nothing of the policy', async () => {
    const teacher = tmp();
    await train(tiny(teacher, 160));
    const plain = tmp();
    await collectTeacherData({ teacher, dir: plain, device: cpu, episodes: 2, envs: 2 });
    const mixed = tmp();
    await collectTeacherData({ teacher, dir: mixed, device: cpu, episodes: 2, envs: 2, randomActions: [0, 1] });
    expect(JSON.parse(readFileSync(runPaths(mixed).config, 'utf8')).source.collected.randomActions).toEqual([0, 1]);
    const p = replayOf(plain);
    const m = replayOf(mixed);
    const [p0, p1] = p.episodeIds().map((id) => p.episode(id)!);
    const [m0, m1] = m.episodeIds().map((id) => m.episode(id)!);
    expect(Array.from(m0.action)).toEqual(Array.from(p0.action));
    expect(Array.from(m0.state)).toEqual(Array.from(p0.state));
    // p = 1: every action after the first is uniform on (-1, 1): none saturated, |a| averages ~1/2, and none is the teacher's
    const a1 = Array.from(m1.action.subarray(1));
    expect(a1.every((v) => v > -1 && v < 1)).toBe(true);
    const meanAbs = a1.reduce((s, v) => s + Math.abs(v), 0) / a1.length;
    expect(meanAbs).toBeGreaterThan(0.3);
    expect(meanAbs).toBeLessThan(0.7);
    expect(a1.filter((v, t) => v === p1.action[t + 1]).length).toBe(0);
    // the executed actions reproduce the stored states and images
    await expectMatchedConvention(m, [m.episodeIds()[0], m.episodeIds()[1]], 5, 0);
    await expect(collectTeacherData({ teacher, dir: tmp(), device: cpu, episodes: 1, randomActions: [1.5] })).rejects.toThrow(/randomActions must be a non-empty list of probabilities in \[0, 1\], got \[1.5\]/);
  });

  it("a driver is told, after every step, the actions really executed (DAgger's mixture, action noise), as they are stored", async () => {
    const teacher = tmp();
    await train(tiny(teacher, 160));
    const proposed: number[][] = [];
    const executed: number[][] = [];
    const driver: CollectDriver = {
      describe: { kind: 'test' },
      task: 'cartpole-balance',
      imageSize: 32,
      reset() {},
      async act(_obs, isFirst) {
        const a = Float32Array.from(isFirst, (_, i) => 0.9 - 1.5 * i); // 0.9 on env 0, -0.6 on env 1
        proposed.push(Array.from(a));
        return a;
      },
      executed(a) {
        executed.push(Array.from(a)); // a copy: the collection goes on to step the envs with this array
      },
    };
    const dir = tmp();
    await collectTeacherData({ teacher, dir, device: cpu, episodes: 2, envs: 2, driver, driverShare: 0.5, actionNoise: [0, 0.5] });
    const r = replayOf(dir);
    const [e0, e1] = r.episodeIds().map((id) => r.episode(id)!);
    expect(executed.length).toBe(proposed.length); // once per act()
    expect(executed.length).toBe(e0.length - 1);
    executed.forEach((a, t) => expect(a, `step ${t}`).toEqual([e0.action[t + 1], e1.action[t + 1]]));
    // env 0 (no noise): the mixture kept the driver's 0.9 on some steps and gave the teacher's on others
    const kept = executed.filter((a) => a[0] === Math.fround(0.9)).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(executed.length);
    // env 1 (noise 0.5): no executed action is the driver's -0.6 exactly
    expect(executed.filter((a) => a[1] === Math.fround(-0.6)).length).toBe(0);
  });
});
