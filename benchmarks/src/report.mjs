// Reporting: one console block per case, the results file (cases merged by name across runs, each run with
// its machine and load), and benchmarks/README.md generated from the results files.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** @typedef {import('./case.mjs').CaseResult} CaseResult */
/** @typedef {import('./case.mjs').Figure} Figure */
/** @typedef {{ id: string, machine: ReturnType<typeof import('./env.mjs').machineInfo>, args: string[], peaks?: { flops?: number, bytes?: number }, seconds?: number }} Run */
/** @typedef {{ runs: Run[], cases: (CaseResult & { run: string })[] }} Results */

/** 3 significant digits, no exponent for the sizes we print. */
export function num(/** @type {number | null | undefined} */ x) {
  if (x == null || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toPrecision(2);
}
const pct = (/** @type {number | null | undefined} */ f) => (f == null ? '' : `${num(100 * f)}%`);
const times = (/** @type {number | undefined} */ r) => (r == null || !Number.isFinite(r) ? '-' : `${num(r)}x`);

/** Console lines for one case. */
export function formatCase(/** @type {CaseResult} */ r) {
  const lines = [`${r.name}  [${r.unit}: median (p10-p90)]${r.note ? `  (${r.note})` : ''}`];
  if (r.status !== 'ok') return [...lines, `  ${r.status}: ${r.reason}`];
  const t = targetCheck(r);
  if (t) lines[0] += `  target ${t.what}: ${t.met ? 'met' : 'NOT met'} (${t.got})`;
  for (const [name, f] of Object.entries(r.figures)) {
    if (f.status !== 'ok') {
      lines.push(`  ${name.padEnd(14)} unavailable: ${f.reason}`);
      continue;
    }
    const parts = [
      `${num(f.value)} (${num(f.valueP10)}-${num(f.valueP90)})`.padEnd(24),
      `${num(f.ms)} ms`.padEnd(11),
      f.device === 'cpu' ? '[cpu]' : '[gpu]',
    ];
    if (f.fractionOfPeak != null) parts.push(`${pct(f.fractionOfPeak)} of peak`);
    if (f.dispatchesPerOp != null) parts.push(`${num(f.dispatchesPerOp)} disp/op`);
    if (f.part) parts.push(`${pct(/** @type {number} */ (f.ms) / /** @type {number} */ (r.figures.ours.ms))} of a step`);
    else if (name !== 'ours') parts.push(f.reference ? `ours / ref = ${times(r.speedups[name])}` : `ours ${times(r.speedups[name])}`);
    const info = /** @type {any} */ (f.info);
    if (info?.poolHitRate != null) parts.push(`pool hits ${pct(info.poolHitRate)}`);
    parts.push(`n=${f.n} k=${f.k}${f.stable ? '' : ' (unstable)'}`);
    lines.push(`  ${name.padEnd(14)} ${parts.join('  ')}`);
  }
  return lines;
}

/** Whether a case meets its target (ours >= k x a peer, or at most n dispatches per op); null without one. */
export function targetCheck(/** @type {CaseResult} */ r) {
  const t = r.target;
  if (!t || r.status !== 'ok') return null;
  if (t.maxDispatches != null) {
    const d = r.figures.ours?.dispatchesPerOp;
    return { what: `<= ${t.maxDispatches} dispatches/op`, met: d != null && d <= t.maxDispatches, got: `${num(d)}` };
  }
  const s = t.peer ? r.speedups[t.peer] : undefined;
  return { what: `ours >= ${t.speedup}x ${t.peer}`, met: s != null && s >= /** @type {number} */ (t.speedup), got: times(s) };
}

/** @returns {Results} */
export function readResults(/** @type {string} */ file) {
  if (!existsSync(file)) return { runs: [], cases: [] };
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** @param {string} file @param {Results} res */
export function writeResults(file, res) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(res, null, 1) + '\n');
}

/**
 * Merges this run's cases into the results file: a case measured now replaces the same-named case; runs no
 * case refers to any more are dropped.
 * @param {string} file @param {Run} run @param {CaseResult[]} cases
 */
export function mergeResults(file, run, cases) {
  const old = readResults(file);
  const names = new Set(cases.map((c) => c.name));
  const kept = old.cases.filter((c) => !names.has(c.name));
  const all = [...kept, ...cases.map((c) => ({ ...c, run: run.id }))];
  const used = new Set(all.map((c) => c.run));
  /** @type {Results} */
  const res = { runs: [...old.runs.filter((r) => used.has(r.id) && r.id !== run.id), run], cases: all };
  writeResults(file, res);
  return res;
}

const SUITE_ORDER = ['peaks', 'kernels', 'autograd', 'rssm'];
const PEERS = ['tfjs-webgpu', 'ort-webgpu', 'gpu.js', 'tfjs-wasm', 'ort-cpu'];

/** Markdown cell of a figure: value [p10-p90] (and for a peer, ours/peer). */
function cell(/** @type {CaseResult} */ r, /** @type {string} */ name) {
  const f = r.figures[name];
  if (!f) return '';
  if (f.status !== 'ok') return `n/a${f.reason ? ` (${f.reason.slice(0, 60).replace(/\|/g, '/')})` : ''}`;
  const v = `${num(f.value)} [${num(f.valueP10)}-${num(f.valueP90)}]`;
  return name === 'ours' ? v : `${num(f.value)} (**${times(r.speedups[name])}**)`;
}

/** The tables of one results file (one device). */
export function resultTables(/** @type {Results} */ res) {
  const out = [];
  for (const suite of SUITE_ORDER) {
    const cases = res.cases.filter((c) => c.suite === suite);
    if (!cases.length) continue;
    out.push(`### ${suite}`, '');
    if (suite === 'peaks') {
      out.push('| probe | figure | median [p10-p90] | ms/op |', '|---|---|---|---|');
      for (const c of cases) {
        const f = c.figures.ours;
        out.push(`| ${c.name} | ${c.unit} | ${f?.status === 'ok' ? `${num(f.value)} [${num(f.valueP10)}-${num(f.valueP90)}]` : c.reason ?? ''} | ${num(f?.ms)} |`);
      }
      out.push('');
      continue;
    }
    if (suite === 'rssm') {
      out.push(...rssmTable(cases), '');
      continue;
    }
    const peers = PEERS.filter((p) => cases.some((c) => c.figures[p]));
    out.push(
      `| case | unit | ours, median [p10-p90] | % of peak | dispatches/op | ${peers.map((p) => `${p} (ours/peer)`).join(' | ')} |`,
      `|---|---|---|---|---|${peers.map(() => '---|').join('')}`,
    );
    for (const c of cases) {
      if (c.status !== 'ok') {
        out.push(`| ${c.name} | ${c.unit} | ${c.status}: ${c.reason} | | |${peers.map(() => ' |').join('')}`);
        continue;
      }
      const o = c.figures.ours;
      const info = /** @type {any} */ (o?.info);
      const disp = `${num(o?.dispatchesPerOp)}${c.figures['tfjs-webgpu']?.dispatchesPerOp != null ? ` (tfjs ${num(c.figures['tfjs-webgpu'].dispatchesPerOp)})` : ''}`;
      const pool = suite === 'autograd' && info?.poolHitRate != null ? `, pool hits ${pct(info.poolHitRate)}` : '';
      out.push(`| ${c.name} | ${c.unit} | ${cell(c, 'ours')} | ${pct(o?.fractionOfPeak)} | ${disp}${pool} | ${peers.map((p) => cell(c, p)).join(' | ')} |`);
    }
    out.push('');
  }
  return out;
}

/** World-model steps: steps/s, dispatches, and where the time goes (parts timed in isolation). */
function rssmTable(/** @type {CaseResult[]} */ cases) {
  const out = ['| model | trainStep/s, median [p10-p90] | ms/step | dispatches/step | breakdown: ms (share of a step), each part timed alone |', '|---|---|---|---|---|'];
  for (const c of cases) {
    if (c.status !== 'ok') {
      out.push(`| ${c.name} | ${c.status}: ${c.reason} | | | |`);
      continue;
    }
    const o = c.figures.ours;
    const parts = Object.entries(c.figures)
      .filter(([n]) => n !== 'ours')
      .map(([n, f]) => (f.status === 'ok' ? `${n} ${num(f.ms)} (${pct(/** @type {number} */ (f.ms) / /** @type {number} */ (o.ms))})` : `${n} n/a`))
      .join('; ');
    out.push(`| ${c.name} | ${num(o.value)} [${num(o.valueP10)}-${num(o.valueP90)}] | ${num(o.ms)} | ${num(o.dispatchesPerOp)} | ${parts} |`);
  }
  return out;
}

/** The runs a results file holds, as a list: device, machine, date and load. */
function runLines(/** @type {Results} */ res) {
  return res.runs.map((r) => {
    const m = r.machine;
    return `- run \`${r.id}\` (\`${['node benchmarks/run.mjs', ...r.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a))].join(' ')}\`): ${m.date.slice(0, 16).replace('T', ' ')} UTC, ${m.cpu} x ${m.cores} cores, ${m.memoryGiB} GiB, GPU adapter **${m.adapter}**${m.software ? ' (software Vulkan: GPU figures are CPU-bound)' : ''}, Node ${m.node}; load average at start ${m.loadavg.join(' / ')}${r.seconds ? `; took ${Math.round(r.seconds)} s` : ''}`;
  });
}

/**
 * Writes benchmarks/README.md from every results file in `dir` (latest.json for this machine, others e.g. from
 * run-on-gpu.sh), plus the gate's baseline.
 * @param {{ dir: string, readme: string, baseline: any, margin: number }} o
 */
export function writeReadme(o) {
  const files = existsSync(o.dir) ? readdirSync(o.dir).filter((f) => f.endsWith('.json') && f !== 'gate.json').sort((a, b) => (a === 'latest.json' ? -1 : b === 'latest.json' ? 1 : a.localeCompare(b))) : [];
  const md = [
    '# Benchmarks',
    '',
    '<!-- Generated by `node benchmarks/run.mjs --write-readme` (and by every run) from benchmarks/results/*.json. Do not edit by hand. -->',
    '',
    'Kernel, autograd and world-model benchmarks of TWIST-TS against peers **measured in the same process on the same',
    'device**: tfjs-core on tfjs-backend-webgpu and gpu.js in webgpu mode share our Dawn adapter (one `navigator.gpu`);',
    "onnxruntime-node's webgpu execution provider runs its own Dawn on the same Vulkan device; tfjs-backend-wasm and",
    "onnxruntime-node's CPU provider are CPU figures for context. Absolute numbers depend on the machine and its load;",
    'the **ratios** (ours / peer, in bold) are what carries over, and what the gate checks.',
    '',
    '## How to run',
    '',
    '```sh',
    'pnpm bench                 # everything (peaks, kernels, autograd, rssm); builds changed packages first',
    'pnpm bench matmul          # cases whose name contains "matmul"',
    'pnpm bench:kernels         # one suite (also bench:autograd, bench:rssm)',
    'pnpm bench:gate            # the short regression gate (CI): ratios vs benchmarks/baseline.json',
    'node benchmarks/run.mjs --update-baseline --reason "why"   # re-record the gate baseline',
    'node benchmarks/run.mjs --write-readme                     # regenerate this file from results/*.json',
    'benchmarks/run-on-gpu.sh   # on a machine with a real GPU (see gpu.md)',
    '```',
    '',
    'Method: each implementation is warmed up (first op: pipeline compilation), then timed in samples of k ops (k',
    'chosen so a sample takes ~100 ms), the implementations of a case interleaved round-robin so load changes hit',
    'them alike, until the last 5 samples agree within 8% or a time budget is spent. GPU samples record k ops and',
    'wait once (`device.sync()`; tfjs: submit + `onSubmittedWorkDone`), never a readback per op. Figures are the',
    'median with p10-p90 across samples; ratios are the median over rounds of the per-round ratio. "% of peak" is',
    'the figure over the measured `peakFma` (FLOP/s) or `peakCopy` (bytes/s) of the same device (their fast end,',
    'p90 throughput: load only slows a probe down; training steps use model FLOPs). Dispatches/op come',
    'from `device.stats().dispatches` (ours) and from counting tfjs-webgpu program submissions (tfjs).',
    '',
  ];
  for (const f of files) {
    const res = readResults(join(o.dir, f));
    if (!res.cases.length) continue;
    const adapters = [...new Set(res.runs.map((r) => r.machine.adapter))];
    md.push(`## Results: \`results/${f}\` (GPU figures from ${adapters.join(', ')})`, '', ...runLines(res), '');
    md.push(
      '`[gpu]` columns (ours, tfjs-webgpu, ort-webgpu, gpu.js) ran on the GPU adapter named above; tfjs-wasm and ort-cpu ran on the CPU named above.',
      '',
    );
    md.push(...resultTables(res));
    /** @type {Map<string, Set<string>>} note -> "impl (case)" */
    const notes = new Map();
    for (const c of res.cases)
      for (const [n, x] of Object.entries(c.figures))
        if (x.note && n !== 'ours') notes.set(`${n}: ${x.note}`, (notes.get(`${n}: ${x.note}`) ?? new Set()).add(c.name));
    if (notes.size) {
      md.push('Notes on peers:', '');
      for (const [note, cases] of notes) md.push(`- ${note} (${[...cases].join('; ')})`);
      md.push('');
    }
    const targets = res.cases.map((c) => [c, targetCheck(c)]).filter(([, t]) => t);
    if (targets.length) {
      md.push('Targets (from the issue):', '');
      for (const [c, t] of /** @type {[CaseResult, NonNullable<ReturnType<typeof targetCheck>>][]} */ (targets))
        md.push(`- ${c.name}: ${t.what}: **${t.met ? 'met' : 'not met'}** (${t.got})`);
      md.push('');
    }
    const unavailable = new Map();
    for (const c of res.cases) for (const [n, x] of Object.entries(c.figures)) if (x.status === 'unavailable') unavailable.set(n, x.reason);
    if (unavailable.size) {
      md.push('Unavailable peers (reason from the run):', '');
      for (const [n, why] of unavailable) md.push(`- ${n}: ${why}`);
      md.push('');
    }
  }
  if (o.baseline) {
    const b = o.baseline;
    const spread = (/** @type {string} */ k) => (b.runs?.[k]?.length ? b.runs[k].map((/** @type {number | null} */ v) => num(v)).join(', ') : '');
    md.push(
      '## Gate (`pnpm bench:gate`)',
      '',
      'A short suite (25-35 s on the idle 2-core machine, 55-75 s with other test suites running beside it; CI runs',
      'it after `npm test`) measures ratios within one run: ours / tfjs-webgpu on the same adapter, and ours / an in-run',
      "reference kernel (peakFma, peakCopy). Each ratio is taken from the two sides' fast ends (p10 times): on a",
      'loaded machine interference only adds time, and this moved least from run to run. The gate fails when a',
      `ratio falls below baseline x (1 - ${o.margin}) twice (a failing case is measured once more). The margin comes`,
      'from the run-to-run spread observed on this machine under load (see `DEFAULT_MARGIN` in src/gate.mjs).',
      'Absolute times are never gated. The baseline belongs to the machine kind it was recorded on: re-record it',
      '(with the reason) when CI moves to a different CPU or GPU.',
      '',
      `Baseline: recorded ${String(b.date).slice(0, 16).replace('T', ' ')} UTC on ${b.machine?.adapter} (${b.machine?.cpu}, load ${b.machine?.loadavg?.join(' / ')}),`,
      `the median of ${Object.values(b.runs ?? {})[0]?.length ?? 1} gate runs; reason: "${b.reason}".`,
      '',
      '| ratio | baseline | floor | the runs behind it |',
      '|---|---|---|---|',
      ...Object.entries(b.ratios).map(([k, v]) => `| ${k} | ${num(/** @type {number} */ (v))} | ${num(/** @type {number} */ (v) * (1 - o.margin))} | ${spread(k)} |`),
      '',
    );
  }
  writeFileSync(o.readme, md.join('\n'));
  return basename(o.readme);
}
