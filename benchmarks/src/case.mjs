// A benchmark case: one operation, the implementations that compute it (ours first, then peers), the work one
// op does (for GFLOP/s, GB/s, steps/s) and which device peak it is a fraction of. runCase sets every
// implementation up (an implementation that fails to set up is reported unavailable, with the reason), times
// them interleaved, and turns the times into figures and ratios.
import { measureInterleaved, pairedSpeedup } from './measure.mjs';

/**
 * @typedef {'GFLOP/s' | 'GB/s' | 'steps/s' | 'frames/s'} Unit
 * @typedef {object} Impl
 * @property {string} device           where it runs, e.g. 'gpu' (the Dawn adapter) or 'cpu'
 * @property {() => Promise<import('./measure.mjs').Runner>} setup
 * @property {number} [work]           overrides the case's work (reference kernels in gate cases)
 * @property {Unit} [unit]
 * @property {string} [note]
 * @property {boolean} [reference]     an in-run reference kernel (peak), not a peer
 * @property {boolean} [part]          a part of ours timed alone (world-model breakdown), not a peer
 * @property {number | null} [flops]   model FLOPs per op of this implementation when they differ from the case's
 *                                     (a part of a step); null: none (no fraction of peak)
 *
 * @typedef {object} Case
 * @property {string} name
 * @property {string} suite
 * @property {Unit} unit
 * @property {number} work             per op: FLOP (GFLOP/s), bytes (GB/s), 1 (steps/s) or frames (frames/s)
 * @property {number} [flops]          model FLOPs per op when the unit is not GFLOP/s (for the fraction of peak)
 * @property {{ params: number, flops: number, parts: Record<string, number> }} [model]  the analytic model
 *   behind `flops` (flops.mjs): parameters, FLOPs per op and per part
 * @property {'flops' | 'bytes'} [peak]
 * @property {string[]} [needs]        @twist/kernels exports the case needs (missing: 'not available yet')
 * @property {Record<string, Impl>} impls   'ours' first
 * @property {string} [note]
 * @property {{ peer?: string, speedup?: number, maxDispatches?: number }} [target]  what the issue asks of ours
 * @property {Partial<import('./measure.mjs').MeasureOptions>} [measure]
 *
 * @typedef {object} Figure
 * @property {'ok' | 'unavailable'} status
 * @property {string} device
 * @property {string} [reason]
 * @property {number} [value]  in the case's unit, at the median time
 * @property {number} [valueP10]  at the p90 time (slow end)
 * @property {number} [valueP90]  at the p10 time (fast end)
 * @property {number} [ms]  median ms per op
 * @property {number} [msP10]
 * @property {number} [msP90]
 * @property {number} [msMin]
 * @property {number} [n]
 * @property {number} [k]
 * @property {boolean} [stable]
 * @property {number} [firstMs]
 * @property {number | null} [dispatchesPerOp]
 * @property {number | null} [fractionOfPeak]
 * @property {number | null} [modelGflops]  model FLOPs per op over the median time (GFLOP/s), for cases whose unit is
 *   not GFLOP/s (training steps); CPU peers too
 * @property {string} [note]
 * @property {boolean} [reference]
 * @property {boolean} [part]
 * @property {Record<string, unknown>} [info]  buffer-pool hit rate and allocations/op (timed samples), submits/op
 *
 * @typedef {object} CaseResult
 * @property {string} name
 * @property {string} suite
 * @property {Unit} unit
 * @property {'ok' | 'skipped' | 'failed'} status
 * @property {string} [reason]
 * @property {string} [note]
 * @property {{ peer?: string, speedup?: number, maxDispatches?: number }} [target]
 * @property {Case['model']} [model]
 * @property {Record<string, Figure>} figures
 * @property {Record<string, number>} speedups   ours / impl (> 1: ours is faster): median of per-round ratios
 * @property {Record<string, number>} fastSpeedups  ours / impl from each side's fast end (p10 time): on a loaded
 *   machine interference only adds time, so the fast end is the steadier estimate of the undisturbed cost
 */

/** Converts ms per op to the unit. */
export function toUnit(/** @type {Unit} */ unit, /** @type {number} */ work, /** @type {number} */ ms) {
  const perSecond = (work * 1000) / ms;
  return unit === 'GFLOP/s' || unit === 'GB/s' ? perSecond / 1e9 : perSecond;
}

/**
 * @param {Case} c
 * @param {{ peaks: { flops?: number, bytes?: number }, kernels: Record<string, unknown>, measure?: Partial<import('./measure.mjs').MeasureOptions>, log: (s: string) => void }} ctx
 *   peaks in FLOP/s and bytes/s
 * @returns {Promise<CaseResult>}
 */
export async function runCase(c, ctx) {
  /** @type {CaseResult} */
  const res = { name: c.name, suite: c.suite, unit: c.unit, status: 'ok', note: c.note, target: c.target, ...(c.model ? { model: c.model } : {}), figures: {}, speedups: {}, fastSpeedups: {} };
  const missing = (c.needs ?? []).filter((n) => typeof ctx.kernels[n] !== 'function');
  if (missing.length) {
    res.status = 'skipped';
    res.reason = `not available yet: @twist/kernels does not export ${missing.join(', ')}`;
    return res;
  }
  /** @type {Record<string, import('./measure.mjs').Runner>} */
  const runners = {};
  for (const [name, impl] of Object.entries(c.impls)) {
    try {
      runners[name] = await impl.setup();
    } catch (e) {
      res.figures[name] = { status: 'unavailable', device: impl.device, reason: errText(e), note: impl.note };
      ctx.log(`  ${name}: unavailable (${errText(e)})`);
    }
  }
  if (!runners.ours) {
    res.status = 'failed';
    res.reason = `ours: ${res.figures.ours?.reason ?? 'no implementation'}`;
    await disposeRunners(runners);
    return res;
  }
  let stats;
  try {
    stats = await measureInterleaved(runners, { ...ctx.measure, ...c.measure });
  } catch (e) {
    res.status = 'failed';
    res.reason = `measurement failed: ${errText(e)}`;
    await disposeRunners(runners);
    return res;
  }
  /** @type {Record<string, Record<string, unknown> | undefined>} */
  const infos = {};
  for (const [name, r] of Object.entries(runners)) {
    const { counted, ops } = stats[name];
    const pool = counted.allocations ? { poolHitRate: counted.poolHits / counted.allocations, allocationsPerOp: counted.allocations / ops } : {};
    const submits = counted.submits != null ? { submitsPerOp: counted.submits / ops } : {};
    const info = { ...pool, ...submits, ...r.info?.() };
    infos[name] = Object.keys(info).length ? info : undefined;
  }
  await disposeRunners(runners);
  const peakOf = c.peak === 'flops' ? ctx.peaks.flops : c.peak === 'bytes' ? ctx.peaks.bytes : undefined;
  for (const [name, s] of Object.entries(stats)) {
    const impl = c.impls[name];
    const unit = impl.unit ?? c.unit;
    const work = impl.work ?? c.work;
    const v = (/** @type {number} */ ms) => toUnit(unit, work, ms);
    // Fraction of the device peak: model FLOPs (or bytes) per second over the measured peak; GPU figures only.
    const perOp = c.peak === 'flops' ? (c.unit === 'GFLOP/s' ? work : impl.flops !== undefined ? impl.flops : c.flops) : c.peak === 'bytes' ? work : undefined;
    const frac = impl.device === 'gpu' && peakOf && perOp && !impl.reference ? (perOp * 1000) / s.median / peakOf : null;
    res.figures[name] = {
      status: 'ok',
      device: impl.device,
      value: v(s.median),
      valueP10: v(s.p90),
      valueP90: v(s.p10),
      ms: s.median,
      msP10: s.p10,
      msP90: s.p90,
      msMin: s.min,
      n: s.n,
      k: s.k,
      stable: s.stable,
      firstMs: s.firstMs,
      dispatchesPerOp: s.dispatchesPerOp,
      fractionOfPeak: frac,
      modelGflops: c.unit !== 'GFLOP/s' && c.peak === 'flops' && perOp ? perOp / s.median / 1e6 : null,
      note: impl.note,
      reference: impl.reference,
      part: impl.part,
      info: infos[name],
    };
    if (name !== 'ours' && !impl.part) {
      const workOurs = c.impls.ours.work ?? c.work;
      res.speedups[name] = pairedSpeedup(stats.ours, s) * (workOurs / work);
      res.fastSpeedups[name] = (s.p10 / stats.ours.p10) * (workOurs / work);
    }
  }
  return res;
}

async function disposeRunners(/** @type {Record<string, import('./measure.mjs').Runner>} */ runners) {
  for (const r of Object.values(runners)) {
    try {
      await r.dispose?.();
    } catch {
      /* a peer's teardown failing does not change its figures */
    }
  }
}

export const errText = (/** @type {unknown} */ e) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
