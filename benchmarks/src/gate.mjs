// The regression gate: a short suite whose RATIOS (ours / tfjs-webgpu on the same adapter, ours / an in-run
// reference kernel) are compared with benchmarks/baseline.json. Absolute times are never gated: they follow the
// machine and its load, while a ratio of two things timed interleaved in one process mostly does not.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mlpStepCase } from './suites/autograd.mjs';
import { convCase, gruCase, klCase, matmulCase, softmaxCase, unaryCase } from './suites/kernels.mjs';
import { median } from './measure.mjs';
import { num } from './report.mjs';

/**
 * Allowed drop below the baseline before the gate fails. Chosen from repeated gate runs on the 2-core lavapipe
 * machine while other test suites ran beside it (load average 0-15): a single run's ratio landed within about
 * -25%..+30% of the median of its neighbours, with rare single outliers down to -35%..-70% (a load spike over one
 * case). So: a 35% floor, the baseline is the median of 3 runs, and a ratio below the floor is measured once more
 * before the gate fails (a regression persists, a spike does not). A kernel that loses its fast path typically
 * drops 2x or more and still fails.
 */
export const DEFAULT_MARGIN = 0.35;

/** Short budgets: the whole gate must stay well under 3 minutes on 2 loaded cores. */
export const GATE_MEASURE = { targetSampleMs: 80, minSamples: 8, maxSamples: 14, window: 5, tolerance: 0.1, budgetMs: 3000 };

/** @param {{ device: import('@twist/kernels').Device }} ctx */
export function gateCases(ctx) {
  const c = { device: ctx.device, peers: ['tfjs-webgpu'], reference: true };
  // Smaller than the full suite where a peer needs seconds per op on software Vulkan; the ratios are what counts.
  const cases = [
    matmulCase(c, 256),
    unaryCase(c, 1 << 20),
    softmaxCase(c, 6400, 32),
    klCase(c, 200, 32, 32),
    gruCase(c, 100, 200, 200),
    convCase(c, 4),
    mlpStepCase(c, 64, 256, [128, 128]),
  ];
  for (const x of cases) x.suite = 'gate';
  return cases;
}

/**
 * The gated ratios of a run: "<case>: ours/<impl>" -> ratio of the fast ends (p10 times) of the two, which
 * moved far less run to run on the loaded machine than the median of per-round ratios (see DEFAULT_MARGIN).
 */
export function gateRatios(/** @type {import('./case.mjs').CaseResult[]} */ results) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const r of results) {
    if (r.status !== 'ok') continue;
    for (const [impl, s] of Object.entries(r.fastSpeedups)) if (Number.isFinite(s)) out[`${r.name}: ours/${impl}`] = s;
  }
  return out;
}

/**
 * Compares with the baseline. A baseline ratio that is missing now (case failed or skipped, peer gone) fails
 * too: the gate cannot vouch for it.
 * @param {Record<string, number>} ratios
 * @param {{ ratios: Record<string, number>, margin?: number }} baseline
 * @returns {{ ok: boolean, lines: string[], failed: string[] }}
 */
export function compare(ratios, baseline) {
  const margin = baseline.margin ?? DEFAULT_MARGIN;
  const lines = [];
  /** @type {string[]} */
  const failed = [];
  let ok = true;
  for (const [key, base] of Object.entries(baseline.ratios)) {
    const now = ratios[key];
    const floor = base * (1 - margin);
    if (now == null) {
      ok = false;
      failed.push(key);
      lines.push(`FAIL  ${key}: not measured in this run (baseline ${num(base)})`);
    } else if (now < floor) {
      ok = false;
      failed.push(key);
      lines.push(`FAIL  ${key}: ${num(now)} < floor ${num(floor)} (baseline ${num(base)}, ${num(100 * (now / base - 1))}% vs the allowed -${num(100 * margin)}%)`);
    } else {
      lines.push(`ok    ${key}: ${num(now)} (baseline ${num(base)}, ${now >= base ? '+' : ''}${num(100 * (now / base - 1))}%, floor ${num(floor)})`);
    }
  }
  for (const key of Object.keys(ratios)) if (!(key in baseline.ratios)) lines.push(`new   ${key}: ${num(ratios[key])} (not in the baseline: not gated)`);
  return { ok, lines, failed };
}

/** Per-key median over several runs' ratios (keys missing from a run are ignored for it). */
export function medianRatios(/** @type {Record<string, number>[]} */ runs) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]).filter((v) => v != null))]));
}

export function readBaseline(/** @type {string} */ file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

const r3 = (/** @type {number} */ v) => Math.round(v * 1000) / 1000;

/**
 * @param {string} file
 * @param {Record<string, number>} ratios
 * @param {{ reason: string, machine: unknown, margin?: number, runs?: Record<string, number>[] }} why
 *   runs: every run's ratios, kept as the observed spread behind each baseline value
 */
export function writeBaseline(file, ratios, why) {
  const old = readBaseline(file);
  const b = {
    reason: why.reason,
    date: new Date().toISOString(),
    machine: why.machine,
    margin: why.margin ?? old?.margin ?? DEFAULT_MARGIN,
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, r3(v)])),
    runs: Object.fromEntries(Object.keys(ratios).map((k) => [k, (why.runs ?? []).map((r) => (r[k] == null ? null : r3(r[k])))])),
    history: [...(old?.history ?? []), ...(old ? [{ date: old.date, reason: old.reason, ratios: old.ratios }] : [])].slice(-10),
  };
  writeFileSync(file, JSON.stringify(b, null, 1) + '\n');
  return b;
}
