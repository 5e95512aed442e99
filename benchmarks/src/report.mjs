// Reporting: one console block per case, the results file (cases merged by name across runs, each run with
// its machine and load), and benchmarks/README.md generated from the results files.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { num } from './num.mjs';
import { COUNT_TOLERANCE, DEFAULT_MARGIN, HALF_GUARD, SANITY_FACTOR, floorsOf, isMachineRatio } from './gate-logic.mjs';

/** @typedef {import('./case.mjs').CaseResult} CaseResult */
/** @typedef {import('./case.mjs').Figure} Figure */
/** @typedef {{ id: string, machine: ReturnType<typeof import('./env.mjs').machineInfo>, args: string[], peaks?: { flops?: number, bytes?: number }, seconds?: number }} Run */
/** @typedef {{ runs: Run[], cases: (CaseResult & { run: string })[] }} Results */

export { num } from './num.mjs';
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
  if (r.model) lines.push(...modelLines(r));
  return lines;
}

/** Seconds per step of a figure (median). */
const secs = (/** @type {Figure | undefined} */ f) => (f?.status === 'ok' && f.ms != null ? f.ms / 1000 : undefined);

/**
 * The figures of a case with an analytic model (world-model and agent steps), per step: seconds, dispatches,
 * model GFLOP/s and fraction of the in-run FMA peak, JS recording time, and against the PyTorch peer: the ratio
 * ours / torch of seconds per step (> 1: ours is slower), with the two models' sizes.
 */
export function modelFigures(/** @type {CaseResult} */ r) {
  const o = r.figures.ours;
  const t = r.figures.torch;
  const ti = /** @type {any} */ (t?.info);
  const rec = /** @type {any} */ (o?.info)?.recordMs;
  return {
    params: r.model?.params,
    gflopPerStep: r.model ? r.model.flops / 1e9 : undefined,
    s: secs(o),
    sP10: o?.msP10 != null ? o.msP10 / 1000 : undefined,
    sP90: o?.msP90 != null ? o.msP90 / 1000 : undefined,
    dispatches: o?.dispatchesPerOp ?? undefined,
    gflops: o?.modelGflops ?? (r.unit === 'GFLOP/s' ? o?.value : undefined),
    ofPeak: o?.fractionOfPeak ?? undefined,
    recordS: rec != null ? rec / 1000 : undefined,
    recordShare: rec != null && o?.ms ? rec / o.ms : undefined,
    torchS: secs(t),
    torchGflops: t?.modelGflops ?? undefined,
    torchWhy: t && t.status !== 'ok' ? t.reason : undefined,
    torchBlas: ti ? `${ti.blas}, ${ti.threads} threads, torch ${ti.torch}` : undefined,
    torchSame: ti ? ti.params === r.model?.params && ti.flops === r.model?.flops : undefined,
    torchParams: ti?.params,
    torchFlops: ti?.flops,
    oursOverTorch: r.speedups.torch ? 1 / r.speedups.torch : undefined,
  };
}

function modelLines(/** @type {CaseResult} */ r) {
  const m = modelFigures(r);
  const lines = [
    `  model          ${num((m.params ?? 0) / 1e6)} M params, ${num(m.gflopPerStep)} GFLOP/step (3x forward matmuls/convs, benchmarks/src/flops.mjs)`,
    `  per step       ours ${num(m.s)} s, ${num(m.dispatches)} dispatches, ${num(m.gflops)} GFLOP/s, ${pct(m.ofPeak)} of the FMA peak, JS recording ${num(m.recordS)} s (${pct(m.recordShare)} of the step)`,
  ];
  if (m.torchS != null)
    lines.push(
      `  torch          ${num(m.torchS)} s/step, ${num(m.torchGflops)} GFLOP/s on ${m.torchBlas}; ours/torch ${times(m.oursOverTorch)} the seconds per step`,
      `  same model     params ours ${m.params} ${m.torchSame ? '=' : '!='} torch ${m.torchParams}; FLOP/step ours (analytic) ${r.model?.flops} ${m.torchSame ? '=' : '!='} torch (counted) ${m.torchFlops}`,
    );
  else if (m.torchWhy) lines.push(`  torch          skipped: ${m.torchWhy}`);
  return lines;
}

/**
 * World-model and agent steps as one markdown table (run.mjs prints it after a run with such cases, ready to
 * paste; the README's rssm section is the same table).
 * @param {CaseResult[]} cases
 */
export function modelTable(cases) {
  const out = [
    '| case | run | params | model GFLOP/step | ours s/step, median [p10-p90] | dispatches/step | JS recording s/step (share) | ours GFLOP/s | % of FMA peak | PyTorch CPU s/step | ours / PyTorch (s/step) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  // rows of one run together, newest run first (a merged results file holds runs of different machines; the run
  // names its machine in the list of runs above the tables)
  const ordered = [...cases].sort((a, b) => String(b.run ?? '').localeCompare(String(a.run ?? '')));
  for (const c of ordered) {
    const run = c.run ?? '';
    if (c.status !== 'ok') {
      out.push(`| ${c.name} | ${run} | ${c.status}: ${(c.reason ?? '').replace(/\|/g, '/')} | | | | | | | | |`);
      continue;
    }
    const m = modelFigures(c);
    const rec = m.recordS != null ? `${num(m.recordS)} (${pct(m.recordShare)})` : '';
    const torch = m.torchS != null ? num(m.torchS) : m.torchWhy ? 'skipped' : '';
    out.push(
      `| ${c.name} | ${run} | ${m.params != null ? `${num(m.params / 1e6)} M` : ''} | ${num(m.gflopPerStep)} | ${num(m.s)} [${num(m.sP10)}-${num(m.sP90)}] | ${num(m.dispatches)} | ${rec} | ${num(m.gflops)} | ${pct(m.ofPeak)} | ${torch} | ${m.oursOverTorch != null ? `**${times(m.oursOverTorch)}**` : ''} |`,
    );
  }
  return out;
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

/**
 * World-model and agent steps: the figures per step (modelTable), then where a world-model step's time goes (its
 * parts timed alone, interleaved with the whole step), with each part's share of the step and of the FMA peak.
 */
function rssmTable(/** @type {CaseResult[]} */ cases) {
  const out = [...modelTable(cases), ''];
  const withParts = cases
    .filter((c) => c.status === 'ok' && Object.values(c.figures).some((f) => f.part))
    .sort((a, b) => String(b.run ?? '').localeCompare(String(a.run ?? '')));
  if (!withParts.length) return out;
  out.push('| model | run | breakdown: ms (share of a step, % of FMA peak), each part timed alone |', '|---|---|---|');
  for (const c of withParts) {
    const o = c.figures.ours;
    const parts = Object.entries(c.figures)
      .filter(([, f]) => f.part)
      .map(([n, f]) => (f.status === 'ok' ? `${n} ${num(f.ms)} (${pct(/** @type {number} */ (f.ms) / /** @type {number} */ (o.ms))}${f.fractionOfPeak != null ? `, ${pct(f.fractionOfPeak)}` : ''})` : `${n} n/a`))
      .join('; ');
    out.push(`| ${c.name} | ${c.run ?? ''} | ${parts} |`);
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
 * run-on-gpu.sh), plus the gate's baselines.
 * @param {{ dir: string, readme: string, baselines?: import('./gate-logic.mjs').BaselinesFile }} o
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
    'pnpm bench:gate            # the short regression gate (CI): ratios and dispatch counts vs this machine key\'s baseline in benchmarks/baseline.json',
    'node benchmarks/run.mjs --update-baseline --reason "why"   # re-record this machine key\'s gate baseline',
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
    ...modelColumnsDoc(),
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
  if (o.baselines) md.push(...gateSection(o.baselines));
  writeFileSync(o.readme, md.join('\n'));
  return basename(o.readme);
}

/** What the columns of the world-model and agent table mean (README). */
function modelColumnsDoc() {
  return [
    '### World-model and agent steps (`pnpm bench:rssm`)',
    '',
    'Cases: `WorldModel.trainStep <preset> <modality> B16 T50` is one `WorldModelTrainer` step (forward, backward,',
    'Adam over every parameter and the metrics; recorded, then waited for); `Behaviour.update <preset> N<starts> H15`',
    'is one actor-critic update in imagination (`Behaviour.update` of @twist/agent: 15 imagined steps from N',
    "posterior states, the agent preset's actor and critic, their Adam steps) on the world model of the same preset.",
    'quick runs by default, paper too with `--paper`. The run ends by printing this table in markdown. Columns:',
    '',
    '- **params**: parameters the step trains (world model; actor + critic + slow critic for the agent case),',
    '  counted from the layer sizes by `src/flops.mjs` and checked against the modules when the case is set up.',
    '- **model GFLOP/step**: analytic, from the layer sizes (`src/flops.mjs`): 2 FLOP per multiply-add of every',
    '  dense layer, GRU matmul and (transposed) convolution of the forward over the B x T rows, times 3 for',
    '  forward + backward (dX and dW, each a matmul of the forward\'s size). In the agent case layers that only pass',
    '  a gradient on (the RSSM prior steps, the reward head and the slow critic, not trained there) count 2x.',
    '  Elementwise ops, LayerNorm, softmax and Adam are not counted; neither is work an implementation does twice.',
    '- **ours s/step**: median [p10-p90] wall time of a step on our WebGPU backend, waiting for the device included.',
    '- **dispatches/step**: compute dispatches a step records (`device.stats().dispatches`).',
    '- **JS recording s/step (share)**: median wall time of the JavaScript call that records a step (no waiting for',
    '  the device), and its share of the step. It overlaps execution: batches are submitted every few hundred',
    '  dispatches, and software Vulkan runs them on the same cores while recording goes on.',
    '- **ours GFLOP/s**: model GFLOP per step over ours s/step.',
    '- **% of FMA peak**: ours GFLOP/s over `peakFma`, the FMA probe measured at the start of the same run (its fast',
    '  end, p90 throughput); the parts of a step in the breakdown table use their own model FLOPs.',
    '- **PyTorch CPU s/step**: the same world model (`peers/torch_world_model.py`: the same layer sizes, LayerNorm',
    '  GRU, straight-through categorical latents, KL balancing and losses, AdamW with global-norm clipping) in',
    "  Debian's PyTorch 1.13 (`python3-torch`) in a child process, 2 threads, `OMP_WAIT_POLICY=PASSIVE`, OpenBLAS",
    '  through `LD_LIBRARY_PATH` (the BLAS it mapped is printed, and the reference BLAS is refused), its steps',
    '  interleaved with ours. Set up only when both models have the same parameter count and the same FLOPs',
    "  (torch's counted by hooks on what runs); `node benchmarks/peers/check-torch.mjs` checks that it is the same",
    "  model, not only the same size: with ours' weights and batch, one step gives the same losses, gradient norm",
    '  and posterior logits (all presets, both modalities, ~30 s, no GPU). `skipped` when no Python with torch is found (`node',
    '  scripts/bootstrap.mjs --bench-peers` installs it, as `pnpm bench:rssm` does); no peer for the agent case.',
    '- **ours / PyTorch (s/step)**: the median over interleaved rounds of ours s/step over torch s/step (> 1: ours',
    '  is slower).',
    '',
    'Final numbers, on an idle machine (an estimated 20-30 minutes on the 2-core lavapipe machine): `pnpm bench:rssm --paper`',
    '(prints the table; commit `benchmarks/results/latest.json` and this README, which it regenerates). A quick',
    'check that everything runs, not a measurement: `node benchmarks/run.mjs rssm --reps 1 --no-parts --no-readme',
    '--out /tmp/check.json`.',
    '',
    'Where a step\'s GPU time goes, kernel by kernel: `node benchmarks/profile.mjs [--preset quick|paper] [--modality',
    'state|image] [--steps 3] [--by-grid] [--md FILE]` profiles WorldModelTrainer steps with GPU timestamps around',
    'every dispatch (`GpuDevice.startProfile` / `stopProfile`, the adapter\'s `timestamp-query`), after warm-up steps,',
    'and prints each kernel\'s dispatches, GPU ms per step and share; `--by-grid` splits a kernel by dispatch grid and',
    'shape (a matmul as rows x K x columns and its plan). A profile, not a measurement: each dispatch then has its own',
    'compute pass. Profiles of the quick cases, with the commit and machine they were taken on: `profiles/`.',
    '`node benchmarks/eval-profile.mjs [--agent DIR] [--episodes 30] [--steps 40] [--domain heldout]` does the same for',
    'steps of an evaluation (a deployed student acting from rendered frames: the renderer and the student\'s encoder).',
    '',
  ];
}

/**
 * The README's gate section: how the gate works, then each machine key's baseline with its floors.
 * @param {import('./gate-logic.mjs').BaselinesFile} file
 */
function gateSection(file) {
  const md = [
    '## Gate (`pnpm bench:gate`)',
    '',
    'A short suite (25-35 s on the idle 2-core machine, 55-75 s with other test suites running beside it, before the',
    'trainStep ratio below was added, which takes 8-10 more steps of ~1 s; CI runs it after `npm test`) measures',
    "two kinds of ratio within one run, each from the two sides' fast ends (p10",
    'times: on a loaded machine interference only adds time, and this moved least from run to run):',
    '',
    '- **peer ratios**, ours / tfjs-webgpu on the same adapter: both sides do the same work on the same (software)',
    '  GPU, so another CPU moves both, and they carry over, roughly, across machines with the same adapter;',
    '- **machine ratios**, ours / an in-run reference kernel (peakFma, peakCopy): how close a kernel gets to the',
    "  probe's peak follows the CPU's vector units under lavapipe (a 2-vCPU AMD EPYC measured matmul 256 at 0.176",
    '  of peakFma where the 2-vCPU Intel Xeon baseline has 0.382), so they are compared only with a baseline',
    '  recorded on the same machine key. One of them is a whole training step\'s: `WorldModel.trainStep quick state',
    '  B16 T50: ours/peak-fma`, the quick-state `WorldModelTrainer` step\'s model FLOP rate (src/flops.mjs) over a',
    '  peakFma probe timed interleaved with it, i.e. its fraction of the in-run FMA peak (a few steps, ~10 s);',
    '',
    'and one kind of count, before the timed cases:',
    '',
    '- **dispatch counts**, `<case>: dispatches/step`: the dispatches that one quick-state `WorldModelTrainer` step',
    '  (B16 x T50: forward, backward, Adam and metrics) records, plain and with `Batch.isFirstHost` (the host copy',
    '  of isFirst that the agent passes), and `<case>: dispatches/update`, those of one whole `DreamerAgent.update`',
    '  (quick preset, state, B16 x T32: the world-model step and the actor-critic update in imagination); one',
    '  untimed step each, a few seconds in all. A count is deterministic for',
    `  the code and the adapter kind, so it fails as soon as it exceeds its baseline by more than ${100 * COUNT_TOLERANCE}% (no margin, no`,
    '  re-measurement), and a key with no baseline is gated by the counts of a baseline of the same adapter kind',
    '  (the `gpu=` part of the key). A count below its baseline passes, with a reminder to re-record and keep the gain.',
    '',
    'Absolute times are never gated.',
    '',
    '**Machine keys.** `benchmarks/baseline.json` holds one baseline per machine key, made of what changes the',
    'ratios (`machineKey` in src/gate-logic.mjs):',
    '',
    '```',
    'cpu=<vendor>-<model> simd=<avx512|avx2|avx|sse4|sve2|sve|neon|unknown> cores=<n> gpu=<adapter>/<adapter vendor>/<software|hardware>',
    '```',
    '',
    'The CPU vendor and SIMD class come from /proc/cpuinfo (`vendor_id`, `flags`), the model from its model name',
    'without (R), "CPU", "Processor" and the clock; the adapter is named by its driver for a software rasteriser',
    '(`llvmpipe`: no version numbers, which change with every Mesa update) and by its device for a hardware GPU.',
    'Every run prints its key (`machine key: ...`) and keeps it in the results (`machine.key`). Machines of one key',
    'can still differ underneath (two 2-vCPU "Intel(R) Xeon(R) Processor" machines ran the 256^3 matmul at 0.40 and',
    '0.25 of the FMA probe), so the machine record also holds cpuinfo\'s family / model / stepping and clock',
    '(`cpuId`, `mhz`; not keyed), and when a machine ratio fails the gate prints the baseline\'s and this machine\'s.',
    '',
    `**Floors.** A ratio fails below max(baseline x (1 - margin), ${HALF_GUARD} x the best run recorded behind the`,
    `baseline); "(guard)" in the tables marks the second. The margin (${DEFAULT_MARGIN} unless a baseline says otherwise)`,
    'lets an idle or loaded run of the machine kind pass; the second term makes halving ours in any one case fail',
    'even from the best run seen. A ratio below its floor is measured once more and its better value counts (a',
    'regression persists, a load spike does not). `test/gate.test.mjs` checks both properties against the',
    'recorded runs of every committed baseline, without a GPU.',
    '',
    '**A machine key with no baseline** (CI on a new kind of CPU): the gate prints a loud multi-line notice',
    '(`GATE: NO BASELINE FOR THIS MACHINE KIND - A PROVISIONAL BASELINE WAS RECORDED FROM THIS RUN`, with the key and',
    'the known keys), writes a provisional baseline from this run (the median of its measurements, `"provisional":',
    'true`) into benchmarks/baseline.json under the new key, prints that entry on one line so it can be committed',
    'from the CI log, and passes, unless a peer ratio is more than 2x below the lowest baseline of the same adapter',
    `kind on another key (sanity floor: ${SANITY_FACTOR} x that baseline): that fails (after the one re-measurement) and`,
    'records nothing. Machine ratios are not gated on such a run. A committed provisional baseline gates like any',
    'other, with a reminder to re-record it.',
    '',
    '**Re-recording**, on a quiet machine of the kind, with the reason (the median of 3 gate runs and the counts of',
    "the code as it is; the other keys are kept, this key's previous values move to its `history`):",
    '',
    '```sh',
    `node benchmarks/run.mjs --update-baseline --reason "why"   # [--runs 3] [--margin ${DEFAULT_MARGIN}]`,
    'git add benchmarks/baseline.json benchmarks/README.md && git commit -m "benchmarks: gate baseline for ..."',
    '```',
    '',
    'Re-record when a change moves a ratio on purpose or lowers a count, and for a new machine kind (in place of its',
    'provisional one).',
    '',
  ];
  for (const [key, b] of Object.entries(file.baselines)) {
    const floors = floorsOf(b);
    const spread = (/** @type {string} */ k) => (b.runs?.[k]?.length ? b.runs[k].map((v) => num(v)).join(', ') : '');
    const nRuns = Object.values(b.runs ?? {})[0]?.length ?? 1;
    md.push(
      `### \`${key}\`${b.provisional ? ' (provisional)' : ''}`,
      '',
      `Recorded ${String(b.date).slice(0, 16).replace('T', ' ')} UTC on ${b.machine?.adapter} (${b.machine?.cpu} x ${b.machine?.cores}, load ${/** @type {number[] | undefined} */ (b.machine?.loadavg)?.join(' / ')}),`,
      `the median of ${nRuns} gate run${nRuns === 1 ? '' : 's'}, margin ${b.margin ?? DEFAULT_MARGIN}; reason: "${b.reason}".`,
      '',
      '| ratio | kind | baseline | floor | the runs behind it |',
      '|---|---|---|---|---|',
      ...Object.entries(floors).map(([k, f]) => `| ${k} | ${isMachineRatio(k) ? 'machine' : 'peer'} | ${num(f.base)} | ${num(f.floor)}${f.by === 'guard' ? ' (guard)' : ''} | ${spread(k)} |`),
      '',
    );
    if (b.counts && Object.keys(b.counts).length) {
      md.push(
        '| count | baseline | limit (fails above) |',
        '|---|---|---|',
        ...Object.entries(b.counts).map(([k, v]) => `| ${k} | ${v} | ${Math.floor(v * (1 + COUNT_TOLERANCE))} |`),
        '',
      );
    }
  }
  return md;
}
