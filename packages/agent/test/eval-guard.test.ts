import { describe, expect, it } from 'vitest';
import { createRng, sampleVisualDomain, VISUAL_DISTRIBUTIONS } from '@twist/envs';
import { domainSeed, evaluate, returnsByBackground, type EvalActor } from '../src/node.js';
import { cpu } from './harness.js';

describe('evaluate', () => {
  it('stops naming the env and action index when the policy returns a non-finite action', async () => {
    let calls = 0;
    const actor: EvalActor = {
      observes: 'state',
      resetPolicy: () => {},
      act: async (_obs, isFirst) => Float32Array.from({ length: isFirst.length }, () => (++calls > 3 ? NaN : 0)),
    };
    await expect(evaluate(cpu, actor, { task: 'cartpole-balance', domain: 'none', episodes: 1, seed: 3, episodeLength: 20, references: false })).rejects.toThrow(
      /^evaluate: the policy's action 0\[0\] is NaN \(its parameters or latent state are not finite\), on cartpole-balance$/,
    );
    expect(calls).toBe(4);
  });
});

describe('evaluate: backgrounds per episode', () => {
  // An image actor that records the mean pixel of each env's first frame and pushes right (action 1).
  const imageActor = (firstFrames: number[]): EvalActor => ({
    observes: 'image',
    imageSize: 32,
    resetPolicy: () => {},
    act: async (obs, isFirst) => {
      if (isFirst[0]) {
        const px = (await obs.toArray()) as Uint8Array;
        const n = isFirst.length;
        const per = px.length / n;
        for (let i = 0; i < n; i++) firstFrames.push(px.subarray(i * per, (i + 1) * per).reduce((a, b) => a + b, 0) / per);
      }
      return new Float32Array(isFirst.length).fill(1);
    },
  });

  it('reports the background family each episode was drawn with, from the requested split, reproducibly', async () => {
    const opts = { task: 'cartpole-balance', episodes: 8, seed: 11, episodeLength: 3 } as const;
    const framesA: number[] = [];
    const a = await evaluate(cpu, imageActor(framesA), { ...opts, domain: 'heldout' });
    expect(a.backgrounds).toHaveLength(8);
    for (const b of a.backgrounds!) expect(VISUAL_DISTRIBUTIONS.heldout.families).toContain(b);
    expect(new Set(a.backgrounds).size).toBeGreaterThan(1); // drawn per episode, not once per evaluation
    // episode i's domain is the draw of domainSeed(seed, i, i, 0) (what probes use on older eval JSONs)
    expect(a.backgrounds).toEqual(a.seeds.map((_, i) => sampleVisualDomain(createRng(domainSeed(opts.seed, i, i, 0)), 'heldout').background.family));
    // the same evaluation again: the same domains, and so the same first frames
    const framesB: number[] = [];
    const b = await evaluate(cpu, imageActor(framesB), { ...opts, domain: 'heldout' });
    expect(b.backgrounds).toEqual(a.backgrounds);
    expect(framesB).toEqual(framesA);
    // the train split draws train families; the task's own look and a state actor report none
    const t = await evaluate(cpu, imageActor([]), { ...opts, domain: 'train', references: false });
    for (const x of t.backgrounds!) expect(VISUAL_DISTRIBUTIONS.train.families).toContain(x);
    expect((await evaluate(cpu, imageActor([]), { ...opts, domain: 'none', references: false })).backgrounds).toBeUndefined();
    const state: EvalActor = { observes: 'state', resetPolicy: () => {}, act: async (_o, f) => new Float32Array(f.length) };
    expect((await evaluate(cpu, state, { ...opts, domain: 'heldout', references: false })).backgrounds).toBeUndefined();
    // the breakdown covers every episode once
    const rows = returnsByBackground(a)!;
    expect(rows.reduce((s, r) => s + r.episodes, 0)).toBe(8);
    expect(rows.map((r) => r.background)).toEqual([...new Set(a.backgrounds)].sort());
  });

  it('groups returns by background: means, extremes and the zero-action reference, by hand', () => {
    const rows = returnsByBackground({
      returns: [10, 20, 30, 40, 50],
      backgrounds: ['waves', 'cells', 'waves', 'waves', 'cells'],
      references: { zero: { returns: [1, 2, 3, 4, 5], mean: 3 }, random: { returns: [0, 0, 0, 0, 0], mean: 0 } },
    });
    expect(rows).toEqual([
      { background: 'cells', episodes: 2, mean: 35, min: 20, max: 50, zeroMean: 3.5 },
      { background: 'waves', episodes: 3, mean: 80 / 3, min: 10, max: 40, zeroMean: 8 / 3 },
    ]);
    expect(returnsByBackground({ returns: [1] })).toBeNull();
    expect(() => returnsByBackground({ returns: [1, 2], backgrounds: ['a'] })).toThrow(/1 backgrounds for 2 returns/);
  });
});
