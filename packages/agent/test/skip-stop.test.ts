/**
 * A transient non-finite batch costs one skipped step; a persistent one stops training after MAX_CONSECUTIVE_SKIPS
 * consecutive skips with a message naming the optimiser, the update and the non-finite losses (issue 13).
 */
import { NonFiniteStepsError } from '@twist/autograd';
import { tensor } from '@twist/kernels';
import { describe, expect, it } from 'vitest';
import { MAX_CONSECUTIVE_SKIPS } from '../src/index.js';
import { cpu } from './harness.js';
import { tinyAgent } from './tiny-agent.js';

describe('non-finite updates', () => {
  it('skip a bad batch, and stop naming the losses after MAX_CONSECUTIVE_SKIPS bad ones in a row', async () => {
    const device = cpu;
    const { agent, replay } = tinyAgent();
    const update = async (poison: boolean) => {
      const b = replay.sample(device, 2, 4);
      const obs = poison ? tensor(device, new Float32Array(2 * 4 * 5).fill(NaN), [2, 4, 5]) : b.obs;
      try {
        const m = await agent.update({ ...b, obs });
        for (const x of Object.values(m)) x?.dispose();
      } finally {
        for (const x of Object.values(b)) x.dispose();
        if (poison) obs.dispose();
      }
    };
    for (let i = 0; i < 3; i++) await update(false);
    expect(await agent.skipWatch.streaking()).toEqual([]);
    await update(true); // one bad batch: skipped, training goes on
    // the loops defer a checkpoint while this is not empty (the world model's step was skipped)
    expect(await agent.skipWatch.streaking()).toContain('world-model');
    for (let i = 0; i < MAX_CONSECUTIVE_SKIPS; i++) await update(false);
    expect(await agent.skipWatch.streaking()).toEqual([]);
    expect((await agent.wmTrainer.opt.skipped().toArray())[0]).toBe(1);
    let err: unknown = null;
    for (let i = 0; i < 2 * MAX_CONSECUTIVE_SKIPS && !err; i++) await update(true).catch((e) => (err = e));
    expect(err).toBeInstanceOf(NonFiniteStepsError);
    expect((err as Error).message).toMatch(
      new RegExp(`training stopped at update \\d+: the world-model optimiser skipped its last (\\d+) steps.*non-finite now: loss = NaN`),
    );
    // checked once every MAX_CONSECUTIVE_SKIPS updates: it stops between K and 2K - 1 consecutive skips
    const streak = Number(/skipped its last (\d+) steps/.exec((err as Error).message)![1]);
    expect(streak).toBeGreaterThanOrEqual(MAX_CONSECUTIVE_SKIPS);
    expect(streak).toBeLessThan(2 * MAX_CONSECUTIVE_SKIPS);
  });
});
