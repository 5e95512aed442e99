// Timing: warm up, then interleaved samples of k reps each until the timing is stable or the budget is spent.
// GPU runners record k ops and wait once (sync), never once per op. Implementations of one case are sampled
// round-robin (A B C A B C ...), so a change in machine load hits all of them alike and the per-round ratios
// stay meaningful on a busy machine.

/**
 * One implementation of a benchmark case, set up and ready to time.
 * @typedef {object} Runner
 * @property {() => unknown} run        performs (CPU) or records (GPU) one op; may return a promise
 * @property {() => Promise<void>} sync waits until every op recorded so far has finished on the device
 * @property {() => (void | Promise<void>)} [activate]  called before each sample (e.g. tf.setBackend)
 * @property {() => Record<string, number>} [counters] cumulative counters of the runner's device (dispatches,
 *   poolHits, allocations); their growth during this runner's own samples is reported per op
 * @property {() => Record<string, unknown>} [info]  figures of its own, read after timing
 * @property {() => (void | Promise<void>)} [dispose]
 */

/**
 * @typedef {object} MeasureOptions
 * @property {number} targetSampleMs  k is chosen so one sample takes about this long
 * @property {number} minSamples
 * @property {number} maxSamples
 * @property {number} window          stability is judged on the last `window` samples
 * @property {number} tolerance       stable when (max - min) / median of that window <= tolerance
 * @property {number} budgetMs        per runner, warm-up excluded: stop sampling when spent (but only once
 *                                    minSamples are taken, or 4x the budget is spent: a stall on a loaded machine
 *                                    must not leave a runner with one sample)
 * @property {number} maxReps
 */

/** @type {MeasureOptions} */
export const DEFAULTS = { targetSampleMs: 100, minSamples: 5, maxSamples: 40, window: 5, tolerance: 0.08, budgetMs: 12_000, maxReps: 2000 };

/**
 * @typedef {object} Stats
 * @property {number} median  ms per op
 * @property {number} p10
 * @property {number} p90
 * @property {number} min
 * @property {number} max
 * @property {number} n       samples
 * @property {number} k       reps per sample
 * @property {boolean} stable
 * @property {number} firstMs first op incl. pipeline compilation (ms)
 * @property {number | null} dispatchesPerOp
 * @property {Record<string, number>} counted  counter growth over the timed samples (warm-up excluded)
 * @property {number} ops                      ops in the timed samples
 * @property {(number | null)[]} rounds  per round: ms per op, or null when not sampled that round
 */

/** @param {number[]} xs sorted ascending @param {number} q in [0, 1] */
export function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const i = (xs.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return xs[lo] + (xs[hi] - xs[lo]) * (i - lo);
}

/** @param {number[]} xs */
export const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);

/** @param {unknown} r */
const settle = async (r) => {
  if (r && typeof (/** @type {any} */ (r).then) === 'function') await r;
};

/**
 * k ops, one wait. Counters are read around this runner's own ops only (runners may share a device).
 * @param {Runner} r @param {number} k @returns {Promise<{ ms: number, counted: Record<string, number> }>} ms per op
 */
async function sample(r, k) {
  await r.activate?.();
  const c0 = r.counters?.() ?? {};
  const t0 = performance.now();
  for (let i = 0; i < k; i++) await settle(r.run());
  const c1 = r.counters?.() ?? {};
  await r.sync();
  /** @type {Record<string, number>} */
  const counted = {};
  for (const key of Object.keys(c1)) counted[key] = c1[key] - (c0[key] ?? 0);
  return { ms: (performance.now() - t0) / k, counted };
}

/**
 * Times every runner of one case, interleaved. Runners must already be set up (inputs on their device).
 * @param {Record<string, Runner>} runners
 * @param {Partial<MeasureOptions>} [options]
 * @returns {Promise<Record<string, Stats>>}
 */
export async function measureInterleaved(runners, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const names = Object.keys(runners);
  /** @type {Record<string, { k: number, firstMs: number, samples: number[], rounds: (number | null)[], spent: number, done: boolean, counted: Record<string, number>, ops: number }>} */
  const st = {};
  for (const name of names) {
    const r = runners[name];
    const first = await sample(r, 1); // compiles pipelines, allocates pools
    const one = await sample(r, 1);
    const k = Math.max(1, Math.min(o.maxReps, Math.round(o.targetSampleMs / Math.max(one.ms, 1e-3))));
    st[name] = { k, firstMs: first.ms, samples: [], rounds: [], spent: 0, done: false, counted: {}, ops: 0 };
  }
  for (let round = 0; names.some((n) => !st[n].done); round++) {
    for (const name of names) {
      const s = st[name];
      if (s.done) {
        s.rounds.push(null);
        continue;
      }
      const t0 = performance.now();
      const { ms, counted } = await sample(runners[name], s.k);
      s.spent += performance.now() - t0;
      s.samples.push(ms);
      s.rounds.push(ms);
      for (const [key, v] of Object.entries(counted)) s.counted[key] = (s.counted[key] ?? 0) + v;
      s.ops += s.k;
      const enough = s.samples.length >= o.minSamples;
      s.done =
        s.samples.length >= o.maxSamples ||
        s.spent >= 4 * o.budgetMs ||
        (enough && (s.spent >= o.budgetMs || spread(s.samples.slice(-o.window)) <= o.tolerance));
    }
  }
  /** @type {Record<string, Stats>} */
  const out = {};
  for (const name of names) {
    const s = st[name];
    const sorted = [...s.samples].sort((a, b) => a - b);
    out[name] = {
      median: quantile(sorted, 0.5),
      p10: quantile(sorted, 0.1),
      p90: quantile(sorted, 0.9),
      min: sorted[0],
      max: sorted[sorted.length - 1],
      n: sorted.length,
      k: s.k,
      stable: spread(s.samples.slice(-o.window)) <= o.tolerance,
      firstMs: s.firstMs,
      dispatchesPerOp: s.counted.dispatches != null ? Math.round((s.counted.dispatches / s.ops) * 100) / 100 : null,
      counted: s.counted,
      ops: s.ops,
      rounds: s.rounds,
    };
  }
  return out;
}

/** (max - min) / median */
function spread(/** @type {number[]} */ xs) {
  const m = median(xs);
  return (Math.max(...xs) - Math.min(...xs)) / m;
}

/**
 * Speed of `a` relative to `b` (> 1: a is faster): the median over rounds in which both were sampled of
 * b's ms / a's ms; the ratio of medians when fewer than 3 rounds are shared.
 * @param {Stats} a @param {Stats} b
 */
export function pairedSpeedup(a, b) {
  const rs = [];
  for (let i = 0; i < Math.min(a.rounds.length, b.rounds.length); i++) {
    const x = a.rounds[i];
    const y = b.rounds[i];
    if (x != null && y != null) rs.push(y / x);
  }
  return rs.length >= 3 ? median(rs) : b.median / a.median;
}
