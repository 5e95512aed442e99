import type { Tensor } from '@twist/kernels';
import type { Adam } from './adam.js';

/** Training stopped: an optimiser skipped `limit` consecutive steps (non-finite gradients). */
export class NonFiniteStepsError extends Error {
  override name = 'NonFiniteStepsError';
}

/**
 * Stops a training loop that has gone non-finite for good. Adam skips a step whose gradients hold a NaN or an
 * infinity (a transient bad batch costs one step); when some optimiser has skipped `limit` steps in a row, check()
 * throws a NonFiniteStepsError naming the optimiser, the update and the metrics (losses) that are not finite.
 * It reads the optimisers' device counters (i32 [3] each, no dispatch) once every `limit` updates, so a loop pays
 * one small readback per `limit` updates, not one per step; so it stops after between limit and 2 limit - 1
 * consecutive skips.
 */
export class SkipWatch {
  #calls = 0;

  constructor(
    readonly optimisers: Readonly<Record<string, Adam>>,
    readonly limit = 10,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`SkipWatch: limit must be an integer >= 1, got ${limit}`);
  }

  /**
   * The optimisers whose latest step was skipped (their consecutive-skip counter is not 0): a loop asks before
   * writing a checkpoint, so that one never holds the parameters of a run that is going non-finite (one small
   * readback per call; call it per checkpoint, not per step).
   */
  async streaking(): Promise<string[]> {
    const names: string[] = [];
    for (const [name, opt] of Object.entries(this.optimisers)) {
      const c = await opt.counters.toArray();
      if (c[2] > 0) names.push(name);
    }
    return names;
  }

  /** Call once per update, after its steps are recorded, with that update's metrics (device scalars). */
  async check(update: number, metrics: Readonly<Record<string, Tensor | undefined>>): Promise<void> {
    if (++this.#calls % this.limit !== 0) return;
    const streaks: [string, number][] = [];
    for (const [name, opt] of Object.entries(this.optimisers)) {
      const c = await opt.counters.toArray();
      if (c[2] >= this.limit) streaks.push([name, c[2]]);
    }
    if (!streaks.length) return;
    const bad: string[] = [];
    for (const [k, t] of Object.entries(metrics)) {
      if (!t || t.size !== 1 || t.dtype !== 'f32') continue;
      const v = (await t.toArray())[0];
      if (!Number.isFinite(v)) bad.push(`${k} = ${v}`);
    }
    throw new NonFiniteStepsError(
      `training stopped at update ${update}: ${streaks.map(([n, s]) => `the ${n} optimiser skipped its last ${s} steps`).join(', ')} ` +
        `(non-finite gradients; parameters are those of the last finite step); non-finite now: ${bad.length ? bad.join(', ') : 'no metric (the gradients only)'}`,
    );
  }
}
