import * as A from '@twist/autograd';

/**
 * How a run meets non-finite numbers. A step whose gradients hold a NaN or an infinity is skipped by Adam on the
 * device (one bad batch costs one step and nothing else); a run stops - naming the loss, the update and the
 * env step, with its last checkpoint untouched - only when it has gone non-finite for good:
 *  - an optimiser skipped MAX_CONSECUTIVE_SKIPS steps in a row (A.SkipWatch, inside the agent's update), or
 *  - the logged metrics were non-finite at `limit` log rows in a row (LossWatch: a metric that is NaN while the
 *    gradients stay finite would otherwise be logged as null and never stop anything).
 * A checkpoint is not written while an optimiser's latest step was skipped (see deferCheckpoint in the loops).
 */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** Metric names that are diagnostics rather than losses (a gradient norm is Inf exactly when a step is skipped). */
const NOT_LOSSES = new Set(['gradNorm', 'actorGradNorm', 'criticGradNorm']);

/** Counts consecutive log rows with a non-finite loss; throws a NonFiniteLossError at the limit. */
export class LossWatch {
  #streak = 0;
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`LossWatch: limit must be an integer >= 1, got ${limit}`);
  }

  /**
   * One log row's metrics. Returns the non-finite losses ('name = value'), empty when all are finite; throws
   * when this is the limit-th row in a row with some. `where` names the step ("update 12, env step 340"),
   * `checkpoint` the folder of the last good checkpoint.
   */
  observe(vals: Readonly<Record<string, number>>, where: string, checkpoint: string): string[] {
    const bad = Object.entries(vals)
      .filter(([k, v]) => !NOT_LOSSES.has(k) && !Number.isFinite(v))
      .map(([k, v]) => `${k} = ${v}`);
    this.#streak = bad.length ? this.#streak + 1 : 0;
    if (bad.length && this.#streak >= this.limit) {
      throw new NonFiniteLossError(`non-finite ${bad.join(', ')} at ${where} (${this.#streak} logged updates in a row); the last good checkpoint is in ${checkpoint}`);
    }
    return bad;
  }
}

/** A SkipWatch stop (A.NonFiniteStepsError) as a run's NonFiniteLossError with where it happened; other errors as they are. */
export function asRunError(e: unknown, where: string, checkpoint: string): unknown {
  if (e instanceof A.NonFiniteStepsError) return new NonFiniteLossError(`non-finite training at ${where}: ${e.message}; the last good checkpoint is in ${checkpoint}`);
  return e;
}
