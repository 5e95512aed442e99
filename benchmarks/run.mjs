#!/usr/bin/env node
// The benchmark runner (plain ESM over the BUILT packages; `pnpm bench*` builds changed packages first).
//
//   node benchmarks/run.mjs [suite...] [filter...]   suites: kernels, autograd, rssm (default: all); any other
//                                                    word keeps the cases whose name contains it
//   node benchmarks/run.mjs --gate                   short suite, ratios and dispatch counts vs this machine
//                                                    key's baseline in baseline.json; exit 1 on regression. A key
//                                                    with no baseline: a provisional one is recorded (see
//                                                    src/gate-logic.mjs)
//   node benchmarks/run.mjs --update-baseline --reason "..." [--runs 3] [--margin 0.45]   re-record this
//                                                    machine key's baseline: per-ratio median of --runs gate runs
//   node benchmarks/run.mjs --write-readme           regenerate README.md from results/*.json, run nothing
//   node benchmarks/run.mjs --import <file> --as <name>   merge results made elsewhere (run-on-gpu.sh) into
//                                                    results/<name>.json, then regenerate README.md
// Options: --paper (rssm paper presets too), --budget <s per implementation>, --out <results file>, --no-readme,
// --baseline <file> (the gate's baselines file instead of benchmarks/baseline.json), --reps <n> (exactly n timed
// samples per implementation: a quick check, not a measurement), --no-parts (rssm: no per-part breakdown),
// --no-torch (rssm: no PyTorch peer). A run with world-model or agent cases ends with their markdown table.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = ['kernels', 'autograd', 'rssm'];

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    gate: { type: 'boolean', default: false },
    'update-baseline': { type: 'boolean', default: false },
    reason: { type: 'string' },
    margin: { type: 'string' },
    'write-readme': { type: 'boolean', default: false },
    'no-readme': { type: 'boolean', default: false },
    paper: { type: 'boolean', default: false },
    budget: { type: 'string' },
    out: { type: 'string' },
    import: { type: 'string' },
    as: { type: 'string', default: 'gpu' },
    runs: { type: 'string' },
    baseline: { type: 'string' },
    reps: { type: 'string' },
    'no-parts': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
  },
});
const paths = {
  results: join(here, 'results'),
  latest: opt.out ? resolve(opt.out) : join(here, 'results', 'latest.json'),
  gate: join(here, 'results', 'gate.json'),
  baseline: opt.baseline ? resolve(opt.baseline) : join(here, 'baseline.json'),
  readme: join(here, 'README.md'),
};
const log = (/** @type {string} */ s) => console.log(s);

if (opt['update-baseline'] && !opt.reason) {
  console.error('run.mjs: --update-baseline needs --reason "why the baseline changes" (it is stored in baseline.json)');
  process.exit(2);
}

const { writeReadme, formatCase, mergeResults, modelTable, readResults, writeResults } = await import('./src/report.mjs');
const { readBaselines, writeBaselines, runGate, floorsOf, makeEntry, withEntry, gateCases, gateCounts, gateRatios, GATE_MEASURE } = await import('./src/gate.mjs');

const readme = () => {
  writeReadme({ dir: paths.results, readme: paths.readme, baselines: readBaselines(paths.baseline) });
  log(`wrote ${paths.readme}`);
};
if (opt.import) {
  if (!/^[\w.-]+$/.test(opt.as ?? '') || opt.as === 'latest' || opt.as === 'gate') {
    console.error(`run.mjs: --as must be a plain name other than latest/gate, got '${opt.as}'`);
    process.exit(2);
  }
  const incoming = readResults(resolve(opt.import));
  const dest = join(paths.results, `${opt.as}.json`);
  for (const run of incoming.runs) mergeResults(dest, run, incoming.cases.filter((c) => c.run === run.id));
  log(`merged ${incoming.cases.length} cases from ${opt.import} into ${dest}`);
}
if (opt['write-readme'] || opt.import) {
  readme();
  process.exit(0);
}

// navigator.gpu must exist before tfjs-backend-webgpu (and our device) are imported/created.
const { installWebGPU, adapterInfo, machineInfo } = await import('./src/env.mjs');
const { gpu, reason: noGpu } = await installWebGPU();
const { label: adapter, device: adapterDevice } = await adapterInfo();
const machine = machineInfo(adapter, adapterDevice);
const K = await import('@twist/kernels');
const { ourDevice } = await import('./src/ours.mjs');
const { runCase } = await import('./src/case.mjs');
const { peakCases } = await import('./src/suites/peaks.mjs');

log(`machine: ${machine.cpu} x ${machine.cores} cores, Node ${machine.node}, load ${machine.loadavg.join(' ')}`);
log(`adapter: ${machine.adapter}${machine.software ? ' (software Vulkan: GPU figures are CPU-bound)' : ''}`);
log(`machine key: ${machine.key}`);
const { device, reason } = gpu && adapter ? await ourDevice() : { device: null, reason: noGpu ?? 'no WebGPU adapter' };
if (!device) {
  console.error(`run.mjs: no WebGPU device for our kernels (${reason}); nothing to benchmark`);
  process.exit(opt.gate ? 1 : 0);
}
const gating = opt.gate || opt['update-baseline'];
const t0 = performance.now();

/** @type {Partial<import('./src/measure.mjs').MeasureOptions>} */
const measure = gating ? GATE_MEASURE : opt.budget ? { budgetMs: Number(opt.budget) * 1000 } : {};
const words = positionals.map((p) => p.toLowerCase());
const suites = gating ? ['gate'] : words.filter((w) => SUITES.includes(w));
const filters = words.filter((w) => !SUITES.includes(w));

/** @type {import('./src/case.mjs').Case[]} */
let cases = [];
if (gating) cases = await gateCases({ device });
else {
  const want = suites.length ? suites : SUITES;
  if (want.includes('kernels')) cases.push(...(await import('./src/suites/kernels.mjs')).kernelCases({ device }));
  if (want.includes('autograd')) cases.push(...(await import('./src/suites/autograd.mjs')).autogradCases({ device }));
  if (want.includes('rssm')) cases.push(...(await (await import('./src/suites/rssm.mjs')).rssmCases({ device, paper: opt.paper, parts: !opt['no-parts'], torch: !opt['no-torch'] })));
}
if (filters.length) cases = cases.filter((c) => filters.some((f) => c.name.toLowerCase().includes(f)));
if (opt.reps) {
  // A correctness run: exactly n timed samples of each implementation, whatever the case asks for.
  const n = Math.max(1, Number(opt.reps));
  for (const c of cases) c.measure = { ...c.measure, minSamples: n, maxSamples: n, window: Math.min(n, c.measure?.window ?? 5) };
  log(`--reps ${n}: ${n} timed sample(s) per implementation (a check that everything runs, not a measurement)`);
}
if (!cases.length) {
  console.error(`run.mjs: no case matches ${JSON.stringify(positionals)}`);
  process.exit(2);
}

// Peaks first: every GPU figure is also a fraction of them.
const results = [];
const peaks = /** @type {{ flops?: number, bytes?: number }} */ ({});
const ctx = { peaks, kernels: /** @type {Record<string, unknown>} */ (K), measure, log };
for (const c of peakCases({ device }, gating ? { fmaIters: 128, copyN: 1 << 20 } : {})) {
  const r = await runCase(c, { ...ctx, measure: gating ? GATE_MEASURE : { budgetMs: 5000 } });
  formatCase(r).forEach((l) => log(l));
  // The peak is the fast end (p90 throughput) of the probe: interference only ever slows a sample down.
  if (r.status === 'ok') peaks[c.unit === 'GFLOP/s' ? 'flops' : 'bytes'] = /** @type {number} */ (r.figures.ours.valueP90) * 1e9;
  results.push(r);
}
/** Runs cases in order, printing each. */
async function runAll(/** @type {import('./src/case.mjs').Case[]} */ list) {
  const out = [];
  for (const c of list) {
    const r = await runCase(c, ctx);
    formatCase(r).forEach((l) => log(l));
    out.push(r);
  }
  return out;
}

let code = 0;
/** The gate's deterministic counts (dispatches per training step), counted once before the timed cases. */
let counts = /** @type {Record<string, number>} */ ({});
if (gating) {
  const c0 = performance.now();
  counts = await gateCounts({ device });
  for (const [k, v] of Object.entries(counts)) log(`${k}: ${v}`);
  log(`counted in ${((performance.now() - c0) / 1000).toFixed(1)} s`);
}
if (!gating) {
  results.push(...(await runAll(cases)));
  const run = { id: machine.date.replace(/[-:]/g, '').slice(0, 15), machine, args: process.argv.slice(2), peaks, seconds: (performance.now() - t0) / 1000 };
  log(`done in ${run.seconds.toFixed(0)} s`);
  const withModel = results.filter((r) => r.model);
  if (withModel.length) {
    log('');
    log(`world-model and agent steps (markdown; peak fma ${peaks.flops ? `${(peaks.flops / 1e9).toFixed(1)} GFLOP/s` : 'not measured'}, ${machine.cpu} x ${machine.cores}, ${machine.adapter}, load ${machine.loadavg.join(' ')}):`);
    log('');
    modelTable(withModel).forEach((l) => log(l));
    log('');
  }
  mergeResults(paths.latest, run, results);
  log(`wrote ${paths.latest}`);
  if (!opt['no-readme'] && !opt.out) readme();
} else if (opt['update-baseline']) {
  // This machine key's baseline is the per-ratio median of several gate runs (--runs, default 3), so one lucky
  // or unlucky run does not set the bar. Other keys' baselines are kept as they are.
  const n = Math.max(1, Number(opt.runs ?? 3));
  /** @type {Record<string, number>[]} */
  const all = [];
  for (let i = 0; i < n; i++) {
    log(`baseline run ${i + 1}/${n}`);
    const rs = await runAll(cases);
    all.push(gateRatios(rs));
    if (i === n - 1) results.push(...rs);
  }
  const file = readBaselines(paths.baseline);
  const b = makeEntry({ runs: all, counts, reason: /** @type {string} */ (opt.reason), machine, date: new Date().toISOString(), margin: opt.margin ? Number(opt.margin) : undefined, old: file.baselines[machine.key] });
  writeBaselines(paths.baseline, withEntry(file, machine.key, b));
  log(`wrote ${paths.baseline} [${machine.key}] (${Object.keys(b.ratios).length} ratios, median of ${n} runs, margin ${b.margin}; ${Object.keys(counts).length} counts) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  for (const [k, f] of Object.entries(floorsOf(b)))
    if (f.tooWide) log(`warning: ${k}: the runs spread ${f.worst}..${f.best}: too wide for the gate to pass all of them and still catch a 2x slowdown; re-record on a quieter machine`);
  if (!opt['no-readme'] && !opt.baseline) readme();
} else {
  const file = readBaselines(paths.baseline);
  const ci = /^(1|true|yes)$/i.test(process.env.CI ?? '');
  const verdict = await runGate({
    file,
    counts,
    machine,
    date: new Date().toISOString(),
    ci,
    baselinePath: opt.baseline ? paths.baseline : 'benchmarks/baseline.json',
    measure: async (names) => {
      const rs = await runAll(names ? cases.filter((c) => names.includes(c.name)) : cases);
      if (!names) results.push(...rs);
      return gateRatios(rs);
    },
    onRetry: (failed, names) => log(`gate: ${failed.length} ratio(s) below the floor; measuring ${names.join(', ')} again`),
  });
  const secs = (performance.now() - t0) / 1000;
  const known = file.baselines[verdict.key];
  log(`gate [${verdict.key}] (${verdict.mode === 'known' ? `margin ${known.margin}` : 'NO BASELINE FOR THIS KEY: sanity floors only'}, ${secs.toFixed(0)} s):`);
  verdict.lines.forEach((l) => log(`  ${l}`));
  if (verdict.file && verdict.entry) {
    writeBaselines(paths.baseline, verdict.file);
    verdict.notice.forEach((l) => log(l));
    log('provisional baseline entry (one line; goes under "baselines" in benchmarks/baseline.json):');
    log(JSON.stringify({ [verdict.key]: verdict.entry }));
  } else verdict.notice.forEach((l) => log(l));
  log(
    verdict.ok
      ? `gate: passed${verdict.mode === 'provisional' ? ' (provisionally: no baseline for this machine key, see the notice above)' : ''}`
      : verdict.mode === 'known'
        ? 'gate: FAILED (a ratio fell below its floor twice; if intended, re-record with --update-baseline --reason)'
        : 'gate: FAILED (a peer ratio fell more than 2x below every baseline of this adapter kind, twice)',
  );
  code = verdict.ok ? 0 : 1;
  const run = { id: machine.date.replace(/[-:]/g, '').slice(0, 15), machine, args: process.argv.slice(2), peaks, counts, seconds: (performance.now() - t0) / 1000 };
  writeResults(paths.gate, { runs: [run], cases: results.map((r) => ({ ...r, run: run.id })) });
}
device.destroy();
process.exit(code);
