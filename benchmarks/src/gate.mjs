// The regression gate: a short suite whose RATIOS (ours / tfjs-webgpu on the same adapter, ours / an in-run
// reference kernel) are compared with benchmarks/baseline.json. Absolute times are never gated: they follow the
// machine and its load, while a ratio of two things timed interleaved in one process mostly does not.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mlpStepCase } from './suites/autograd.mjs';
import { convCase, gruCase, klCase, matmulCase, softmaxCase, unaryCase } from './suites/kernels.mjs';
import { num } from './report.mjs';

/**
 * Allowed drop below the baseline before the gate fails. Chosen from repeated gate runs on the 2-core lavapipe
 * machine under parallel test load (see README "Gate"): ratios moved by up to ~±20% run to run, so a 35% drop
 * is well outside noise while a kernel that lost its fast path (typically 2x or more) still fails.
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
    convCase(c, 4, 32, 3, 16),
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
 * @returns {{ ok: boolean, lines: string[] }}
 */
export function compare(ratios, baseline) {
  const margin = baseline.margin ?? DEFAULT_MARGIN;
  const lines = [];
  let ok = true;
  for (const [key, base] of Object.entries(baseline.ratios)) {
    const now = ratios[key];
    const floor = base * (1 - margin);
    if (now == null) {
      ok = false;
      lines.push(`FAIL  ${key}: not measured in this run (baseline ${num(base)})`);
    } else if (now < floor) {
      ok = false;
      lines.push(`FAIL  ${key}: ${num(now)} < floor ${num(floor)} (baseline ${num(base)}, ${num(100 * (now / base - 1))}% vs the allowed -${num(100 * margin)}%)`);
    } else {
      lines.push(`ok    ${key}: ${num(now)} (baseline ${num(base)}, ${now >= base ? '+' : ''}${num(100 * (now / base - 1))}%, floor ${num(floor)})`);
    }
  }
  for (const key of Object.keys(ratios)) if (!(key in baseline.ratios)) lines.push(`new   ${key}: ${num(ratios[key])} (not in the baseline: not gated)`);
  return { ok, lines };
}

export function readBaseline(/** @type {string} */ file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/**
 * @param {string} file
 * @param {Record<string, number>} ratios
 * @param {{ reason: string, machine: unknown, margin?: number }} why
 */
export function writeBaseline(file, ratios, why) {
  const old = readBaseline(file);
  const b = {
    reason: why.reason,
    date: new Date().toISOString(),
    machine: why.machine,
    margin: why.margin ?? old?.margin ?? DEFAULT_MARGIN,
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
    history: [...(old?.history ?? []), ...(old ? [{ date: old.date, reason: old.reason, ratios: old.ratios }] : [])].slice(-10),
  };
  writeFileSync(file, JSON.stringify(b, null, 1) + '\n');
  return b;
}
