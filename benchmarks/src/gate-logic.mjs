// The regression gate's logic, pure: no GPU, no files, no clock except where a caller passes one. run.mjs
// measures and does the I/O; test/gate.test.mjs drives these functions with made-up results.
//
// What is gated: same-run ratios of two kinds.
//  - peer ratios, "<case>: ours/<peer>" (tfjs-webgpu): both sides do the same work on the same adapter, timed
//    interleaved, so a CPU change moves both and the ratio mostly carries over to other machines.
//  - machine ratios, "<case>: ours/peak-*": ours over an in-run peak kernel (peakFma, peakCopy). How close a
//    matmul gets to peak FMA depends on the CPU's vector units under the software rasteriser (a 2-vCPU AMD EPYC
//    measured 0.176 of peak where the 2-vCPU Intel Xeon baseline says 0.382), so these are only ever compared
//    with a baseline recorded on the same machine key.
//  - counts, "<case>: dispatches/step": deterministic (no timing), so they are gated tightly: a count more than
//    COUNT_TOLERANCE above its baseline fails at once. They follow the adapter (matmul's split-K plan), not the
//    CPU, so a key with no baseline is gated by the counts of another key of the same adapter kind.
// Baselines are keyed by the machine (machineKey). On a key with no baseline the gate records a provisional one
// from the run and passes, but a peer ratio more than 2x below every baseline of the same adapter kind still
// fails (sanityFloors).
import { median } from './measure.mjs';
import { num } from './num.mjs';

/**
 * Allowed drop below a baseline ratio. Repeated gate runs on the 2-core lavapipe machine: quiet runs landed
 * within about -10%..+17% of the median of three; with other test suites running beside it, within about
 * -25%..+30%, with rare single-case outliers down to -35%..-70% (a load spike over one case, which the
 * re-measurement of a failing case absorbs). So 0.45: an idle or loaded run of a known machine kind passes.
 */
export const DEFAULT_MARGIN = 0.45;

/**
 * The floor is never below this fraction of the best run recorded behind the baseline, so that halving ours in
 * any case fails even from the best run seen (a plain margin of 0.45 alone would let a 2x slowdown pass from a
 * run 10% above the median). When this guard lifts a floor above the worst recorded run, the recorded spread is
 * too wide to both pass every run and catch 2x: floorsOf flags it and the gate prints it.
 */
export const HALF_GUARD = 0.52;

/**
 * On a machine key with no baseline: a peer ratio below this fraction of the lowest baseline of the same adapter
 * kind (other CPUs) fails. Only a gross (more than 2x) slowdown is caught: peer ratios carry over across CPUs
 * roughly, not to within a margin.
 */
export const SANITY_FACTOR = 0.5;

/**
 * Counts (dispatches per training step) are deterministic: the same code records the same dispatches on the same
 * adapter kind, so a count more than 2% above its baseline fails (no margin for load, no re-measurement). A count
 * that falls is reported; re-record the baseline to lock the gain in.
 */
export const COUNT_TOLERANCE = 0.02;

/** The baselines file's format (benchmarks/baseline.json). */
export const FORMAT = 2;

// ---------------------------------------------------------------------------------------------------------
// Machine keys

const slug = (/** @type {string} */ s) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** The SIMD class that decides how lavapipe's JIT vectorises: from /proc/cpuinfo flags (x86) or Features (arm). */
export function simdClass(/** @type {Iterable<string>} */ flags) {
  const f = new Set(flags);
  if (f.has('avx512f')) return 'avx512';
  if (f.has('avx2')) return 'avx2';
  if (f.has('avx')) return 'avx';
  if (f.has('sse4_2')) return 'sse4';
  if (f.has('sve2')) return 'sve2';
  if (f.has('sve')) return 'sve';
  if (f.has('asimd')) return 'neon';
  return 'unknown';
}

const VENDOR_IDS = /** @type {Record<string, string>} */ ({ GenuineIntel: 'intel', AuthenticAMD: 'amd', HygonGenuine: 'hygon', CentaurHauls: 'centaur' });
const ARM_IMPLEMENTERS = /** @type {Record<string, string>} */ ({ '0x41': 'arm', '0x61': 'apple', '0xc0': 'ampere', '0x48': 'hisilicon', '0x51': 'qualcomm', '0x4e': 'nvidia' });

/** The CPU vendor from a cpuinfo vendor_id / "CPU implementer" or, failing that, the model name. */
export function cpuVendor(/** @type {{ vendorId?: string, implementer?: string, model?: string }} */ o) {
  if (o.vendorId) return VENDOR_IDS[o.vendorId] ?? slug(o.vendorId);
  if (o.implementer) return ARM_IMPLEMENTERS[o.implementer.toLowerCase()] ?? `implementer-${slug(o.implementer)}`;
  const m = (o.model ?? '').toLowerCase();
  for (const v of ['intel', 'amd', 'apple', 'ampere']) if (m.includes(v)) return v;
  return 'unknown';
}

/**
 * Vendor, model name and SIMD class from the text of /proc/cpuinfo (first processor; all are alike on the
 * machines we run on).
 * @returns {{ vendor: string, model: string, simd: string }}
 */
export function parseCpuinfo(/** @type {string} */ text) {
  /** @type {Record<string, string>} */
  const f = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i).trim();
    if (!(k in f)) f[k] = line.slice(i + 1).trim();
  }
  const model = f['model name'] ?? f['Model'] ?? f['Hardware'] ?? '';
  const flags = (f.flags ?? f.Features ?? '').split(/\s+/).filter(Boolean);
  // family / model / stepping: machines of one model name can differ underneath (two 2-vCPU "Intel(R) Xeon(R)
  // Processor" kinds ran the matmul at 0.40 and 0.25 of the FMA probe); recorded with a baseline, not keyed
  const id = ['cpu family', 'model', 'stepping'].filter((k) => k in f).map((k) => `${k.replace('cpu ', '')} ${f[k]}`).join(' ');
  return { vendor: cpuVendor({ vendorId: f.vendor_id, implementer: f['CPU implementer'], model }), model, simd: simdClass(flags), id, mhz: Math.round(Number(f['cpu MHz'])) || 0 };
}

/** "Intel(R) Xeon(R) Processor" -> "intel-xeon", "AMD EPYC 7B13 64-Core Processor" -> "amd-epyc-7b13". */
export function cpuSlug(/** @type {string} */ model, /** @type {string | undefined} */ vendor) {
  let s = slug(
    (model || '')
      .replace(/\((R|TM|C)\)/gi, ' ')
      .replace(/@.*$/, ' ')
      .replace(/\b\d+-core\b/gi, ' ')
      .replace(/\b(CPU|Processor)\b/gi, ' '),
  );
  const v = vendor && vendor !== 'unknown' ? vendor : '';
  if (v && !s.startsWith(v)) s = s ? `${v}-${s}` : v;
  return s || 'unknown';
}

/**
 * The adapter part of a key: name/vendor/software|hardware. The name is the driver's (llvmpipe) for software
 * rasterisers, whose description carries version numbers that change with every Mesa update, and the device's
 * (e.g. nvidia-h200) for a hardware GPU.
 * @param {{ adapter?: string, software?: boolean, adapterDevice?: string }} m  adapter: "description / vendor / architecture"
 */
export function adapterSlug(m) {
  if (!m.adapter || m.adapter === 'none') return 'none';
  const [desc = '', vendor = ''] = m.adapter.split(' / ');
  const driver = slug(desc.split(/[:(]/)[0]);
  const name = !m.software && m.adapterDevice ? slug(m.adapterDevice) : driver;
  return `${name || 'unknown'}/${slug(vendor) || 'unknown'}/${m.software ? 'software' : 'hardware'}`;
}

/**
 * @typedef {object} MachineLike  what a key is made of (a subset of env.mjs machineInfo)
 * @property {string} cpu         model name, e.g. "Intel(R) Xeon(R) Processor"
 * @property {string} [cpuVendor] intel, amd, arm, ...
 * @property {string} [simd]      avx512, avx2, avx, sse4, sve2, sve, neon, unknown
 * @property {number} cores
 * @property {string} [adapter]   "description / vendor / architecture"
 * @property {boolean} [software]
 * @property {string} [adapterDevice]
 */

/**
 * What the gate's ratios depend on, as one string:
 * `cpu=<vendor-model> simd=<class> cores=<n> gpu=<adapter name>/<adapter vendor>/<software|hardware>`,
 * e.g. `cpu=intel-xeon simd=avx512 cores=2 gpu=llvmpipe/mesa/software`.
 */
export function machineKey(/** @type {MachineLike} */ m) {
  return `cpu=${cpuSlug(m.cpu, m.cpuVendor)} simd=${m.simd || 'unknown'} cores=${m.cores} gpu=${adapterSlug(m)}`;
}

/** @returns {Record<string, string>} e.g. { cpu: 'intel-xeon', simd: 'avx512', cores: '2', gpu: 'llvmpipe/mesa/software' } */
export function keyParts(/** @type {string} */ key) {
  return Object.fromEntries([...key.matchAll(/(\w+)=(\S+)/g)].map((x) => [x[1], x[2]]));
}

// ---------------------------------------------------------------------------------------------------------
// Ratios

/** A machine ratio (ours over an in-run peak kernel), compared only within one machine key. */
export const isMachineRatio = (/** @type {string} */ key) => /: ours\/peak-[\w-]+$/.test(key);

/**
 * The gated ratios of a run: "<case>: ours/<impl>" -> ratio of the fast ends (p10 times) of the two, which
 * moved far less run to run on the loaded machine than the median of per-round ratios.
 * @param {Pick<import('./case.mjs').CaseResult, 'name' | 'status' | 'fastSpeedups'>[]} results
 */
export function gateRatios(results) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const r of results) {
    if (r.status !== 'ok') continue;
    for (const [impl, s] of Object.entries(r.fastSpeedups)) if (Number.isFinite(s)) out[`${r.name}: ours/${impl}`] = s;
  }
  return out;
}

/** Per-key median over several runs' ratios (keys missing from a run are ignored for it). */
export function medianRatios(/** @type {Record<string, number>[]} */ runs) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]).filter((v) => v != null))]));
}

/**
 * Per-key best over a run and its re-measurements: interference only ever slows a side down, and a real
 * regression persists in every measurement while a load spike rarely hits the same case twice.
 */
export function bestRatios(/** @type {Record<string, number>[]} */ runs) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const r of runs) for (const [k, v] of Object.entries(r)) out[k] = Math.max(v, out[k] ?? -Infinity);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The baselines file

/**
 * @typedef {object} Baseline  one machine key's baseline
 * @property {string} reason
 * @property {string} date
 * @property {Record<string, unknown> & Partial<MachineLike>} machine
 * @property {number} [margin]
 * @property {boolean} [provisional]  recorded by the gate on a key it had no baseline for (one run)
 * @property {Record<string, number>} ratios  the median of the runs
 * @property {Record<string, (number | null)[]>} [runs]  every run behind it, per ratio
 * @property {Record<string, number>} [counts]  deterministic counts (dispatches per step), lower is better
 * @property {{ date: string, reason: string, ratios: Record<string, number> }[]} [history]
 *
 * @typedef {{ format: number, about?: string, baselines: Record<string, Baseline> }} BaselinesFile
 */

const ABOUT =
  'Gate baselines keyed by machine (see benchmarks/README.md, section Gate): machine ratios (ours/peak-*) are compared only with the baseline of the same key; peer ratios (ours/tfjs-webgpu) also serve as a sanity floor for keys with no baseline.';

export const emptyBaselines = () => /** @type {BaselinesFile} */ ({ format: FORMAT, about: ABOUT, baselines: {} });

/**
 * Reads a parsed baselines file. A pre-keyed file (one baseline at the top level) is placed under the key its
 * machine record gives, which lacks the SIMD class ("simd=unknown"): it then matches no machine, but still
 * serves as a sanity reference.
 * @param {any} json
 * @returns {BaselinesFile}
 */
export function parseBaselines(json) {
  if (json == null) return emptyBaselines();
  if (json.baselines && typeof json.baselines === 'object') return { format: json.format ?? FORMAT, about: json.about ?? ABOUT, baselines: json.baselines };
  if (json.ratios) return { ...emptyBaselines(), baselines: { [machineKey(json.machine ?? { cpu: 'unknown', cores: 0 })]: json } };
  throw new Error('baselines file: neither {"baselines": {...}} nor a single baseline');
}

const r3 = (/** @type {number} */ v) => Math.round(v * 1000) / 1000;

/**
 * A baseline entry from runs' ratios: per-ratio median, every run kept, the old entry's values moved to history;
 * the counts as given (deterministic), else the old entry's.
 * @param {{ runs: Record<string, number>[], reason: string, machine: Baseline['machine'], date: string, margin?: number, provisional?: boolean, old?: Baseline | null, counts?: Record<string, number> }} o
 * @returns {Baseline}
 */
export function makeEntry(o) {
  const ratios = medianRatios(o.runs);
  /** @type {Baseline} */
  const b = {
    reason: o.reason,
    date: o.date,
    machine: o.machine,
    margin: o.margin ?? (o.old?.provisional ? undefined : o.old?.margin) ?? DEFAULT_MARGIN,
    ...(o.provisional ? { provisional: true } : {}),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, r3(v)])),
    runs: Object.fromEntries(Object.keys(ratios).map((k) => [k, o.runs.map((r) => (r[k] == null ? null : r3(r[k])))])),
    history: [...(o.old?.history ?? []), ...(o.old ? [{ date: o.old.date, reason: o.old.reason, ratios: o.old.ratios, ...(o.old.counts ? { counts: o.old.counts } : {}) }] : [])].slice(-10),
  };
  const counts = o.counts && Object.keys(o.counts).length ? o.counts : o.old?.counts;
  if (counts) b.counts = { ...counts };
  return b;
}

/** The file with `entry` under `key` (a new object; keys kept sorted so diffs stay small). */
export function withEntry(/** @type {BaselinesFile} */ file, /** @type {string} */ key, /** @type {Baseline} */ entry) {
  const all = { ...file.baselines, [key]: entry };
  return { format: FORMAT, about: file.about ?? ABOUT, baselines: Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]])) };
}

// ---------------------------------------------------------------------------------------------------------
// Floors and the verdict

/**
 * Per ratio of a baseline: its floor = max(baseline x (1 - margin), HALF_GUARD x the best recorded run), and
 * whether the recorded spread is too wide for that floor (the worst recorded run falls below it).
 * @param {Baseline} entry
 * @returns {Record<string, { base: number, floor: number, by: 'margin' | 'guard', best: number, worst: number, tooWide: boolean }>}
 */
export function floorsOf(entry) {
  const m = entry.margin ?? DEFAULT_MARGIN;
  return Object.fromEntries(
    Object.entries(entry.ratios).map(([k, base]) => {
      const runs = /** @type {number[]} */ ((entry.runs?.[k] ?? []).filter((v) => v != null && Number.isFinite(v)));
      const best = Math.max(base, ...runs);
      const worst = Math.min(base, ...runs);
      const byMargin = base * (1 - m);
      const byGuard = HALF_GUARD * best;
      const floor = Math.max(byMargin, byGuard);
      return [k, { base, floor, by: byGuard > byMargin ? 'guard' : 'margin', best, worst, tooWide: floor > worst }];
    }),
  );
}

/**
 * Compares a run with the baseline of its own machine key. A baseline ratio missing now (case failed or
 * skipped, peer gone) fails too: the gate cannot vouch for it.
 * @param {Record<string, number>} ratios
 * @param {Baseline} entry
 * @returns {{ ok: boolean, lines: string[], failed: string[] }}
 */
export function compareKnown(ratios, entry) {
  const margin = entry.margin ?? DEFAULT_MARGIN;
  const lines = [];
  /** @type {string[]} */
  const failed = [];
  for (const [key, f] of Object.entries(floorsOf(entry))) {
    const now = ratios[key];
    const rel = (/** @type {number} */ v) => `${v >= f.base ? '+' : ''}${num(100 * (v / f.base - 1))}%`;
    const why = f.by === 'guard' ? `${HALF_GUARD} x best recorded run ${num(f.best)}` : `baseline x (1 - ${margin})`;
    if (now == null) {
      failed.push(key);
      lines.push(`FAIL  ${key}: not measured in this run (baseline ${num(f.base)})`);
    } else if (now < f.floor) {
      failed.push(key);
      lines.push(`FAIL  ${key}: ${num(now)} < floor ${num(f.floor)} (baseline ${num(f.base)}, ${rel(now)}; floor = ${why})`);
    } else {
      lines.push(`ok    ${key}: ${num(now)} (baseline ${num(f.base)}, ${rel(now)}, floor ${num(f.floor)})`);
    }
    if (f.tooWide) lines.push(`warn  ${key}: the recorded runs spread ${num(f.worst)}..${num(f.best)}, wider than 2x can be told from: re-record on a quieter machine`);
  }
  for (const key of Object.keys(ratios)) if (!(key in entry.ratios)) lines.push(`new   ${key}: ${num(ratios[key])} (not in the baseline: not gated)`);
  return { ok: failed.length === 0, lines, failed };
}

/**
 * For a key with no baseline: per peer ratio, SANITY_FACTOR x the lowest value among the (non-provisional)
 * baselines of other machine keys with the same adapter kind. Machine ratios get none: they do not carry over.
 * @param {BaselinesFile} file
 * @param {string} key
 * @returns {Record<string, { floor: number, ref: number, from: string }>}
 */
export function sanityFloors(file, key) {
  const gpu = keyParts(key).gpu;
  /** @type {Record<string, { floor: number, ref: number, from: string }>} */
  const out = {};
  for (const [k, e] of Object.entries(file.baselines)) {
    if (k === key || e.provisional || keyParts(k).gpu !== gpu) continue;
    for (const [r, v] of Object.entries(e.ratios)) {
      if (isMachineRatio(r) || !Number.isFinite(v)) continue;
      if (!out[r] || v < out[r].ref) out[r] = { floor: SANITY_FACTOR * v, ref: v, from: k };
    }
  }
  return out;
}

/**
 * @param {Record<string, number>} ratios
 * @param {ReturnType<typeof sanityFloors>} floors
 */
export function compareSanity(ratios, floors) {
  const lines = [];
  /** @type {string[]} */
  const failed = [];
  for (const [key, f] of Object.entries(floors)) {
    const now = ratios[key];
    if (now == null) {
      failed.push(key);
      lines.push(`FAIL  ${key}: not measured in this run (sanity reference ${num(f.ref)} from ${f.from})`);
    } else if (now < f.floor) {
      failed.push(key);
      lines.push(`FAIL  ${key}: ${num(now)} < sanity floor ${num(f.floor)} (${SANITY_FACTOR} x ${num(f.ref)}, the lowest baseline of this adapter kind, from ${f.from}): more than ${num(1 / SANITY_FACTOR)}x slower`);
    } else {
      lines.push(`ok    ${key}: ${num(now)} (sanity floor ${num(f.floor)} = ${SANITY_FACTOR} x ${num(f.ref)} from another machine key)`);
    }
  }
  for (const key of Object.keys(ratios))
    if (!(key in floors)) lines.push(`new   ${key}: ${num(ratios[key])} (${isMachineRatio(key) ? 'machine ratio: no baseline for this key, not gated' : 'no reference: not gated'})`);
  return { ok: failed.length === 0, lines, failed };
}

/**
 * Counts against reference counts: each fails when it is more than COUNT_TOLERANCE above its reference, or
 * missing from the run. Counts of the run with no reference are listed, not gated.
 * @param {Record<string, number>} counts  this run's
 * @param {Record<string, { ref: number, from: string }>} refs
 * @returns {{ ok: boolean, lines: string[], failed: string[] }}
 */
export function compareCounts(counts, refs) {
  const lines = [];
  /** @type {string[]} */
  const failed = [];
  for (const [key, { ref, from }] of Object.entries(refs)) {
    const now = counts[key];
    const limit = Math.floor(ref * (1 + COUNT_TOLERANCE));
    const rel = (/** @type {number} */ v) => `${v >= ref ? '+' : ''}${num(100 * (v / ref - 1))}%`;
    if (now == null) {
      failed.push(key);
      lines.push(`FAIL  ${key}: not counted in this run (baseline ${ref} from ${from})`);
    } else if (now > limit) {
      failed.push(key);
      lines.push(`FAIL  ${key}: ${now} > limit ${limit} (baseline ${ref} from ${from}, ${rel(now)}; limit = baseline + ${100 * COUNT_TOLERANCE}%)`);
    } else {
      lines.push(`ok    ${key}: ${now} (baseline ${ref}, ${rel(now)}, limit ${limit})${now < ref ? ' - fewer than the baseline: re-record it to keep the gain' : ''}`);
    }
  }
  for (const key of Object.keys(counts)) if (!(key in refs)) lines.push(`new   ${key}: ${counts[key]} (no baseline count: not gated)`);
  return { ok: failed.length === 0, lines, failed };
}

/**
 * Reference counts for a key: its own baseline's, or, for a key with no baseline, the lowest count of the
 * (non-provisional) baselines of the same adapter kind (counts follow the adapter, not the CPU).
 * @param {BaselinesFile} file
 * @param {string} key
 * @returns {Record<string, { ref: number, from: string }>}
 */
export function countRefs(file, key) {
  const own = file.baselines[key];
  if (own) return Object.fromEntries(Object.entries(own.counts ?? {}).map(([k, v]) => [k, { ref: v, from: 'this key' }]));
  const gpu = keyParts(key).gpu;
  /** @type {Record<string, { ref: number, from: string }>} */
  const out = {};
  for (const [k, e] of Object.entries(file.baselines)) {
    if (e.provisional || keyParts(k).gpu !== gpu) continue;
    for (const [c, v] of Object.entries(e.counts ?? {})) if (Number.isFinite(v) && (!out[c] || v < out[c].ref)) out[c] = { ref: v, from: k };
  }
  return out;
}

/**
 * The gate's verdict over a run (and re-measurements of its failing cases).
 *
 * Known key: each ratio's best measurement against that key's baseline floors. Unknown key: peer ratios against
 * the sanity floors; when they pass, a provisional baseline for the key (per-ratio median of the measurements)
 * is returned in `file`, with a notice for the log.
 *
 * Counts (deterministic) are judged by compareCounts against countRefs, in both modes.
 *
 * @param {{ runs: Record<string, number>[], counts?: Record<string, number>, file: BaselinesFile, machine: MachineLike & Record<string, unknown>, date: string, ci?: boolean, baselinePath?: string }} o
 *   runs: the first run's ratios, then those of each re-measurement (a subset of the keys); counts: this run's
 * @returns {{ key: string, mode: 'known' | 'provisional', ok: boolean, lines: string[], failed: string[], notice: string[], entry?: Baseline, file?: BaselinesFile }}
 */
export function evaluateGate(o) {
  const key = machineKey(o.machine);
  const ratios = bestRatios(o.runs);
  const known = o.file.baselines[key];
  const cv = compareCounts(o.counts ?? {}, countRefs(o.file, key));
  /** @param {{ ok: boolean, lines: string[], failed: string[] }} v */
  const withCounts = (v) => ({ ok: v.ok && cv.ok, lines: [...v.lines, ...cv.lines], failed: [...v.failed, ...cv.failed] });
  if (known) {
    const v = withCounts(compareKnown(ratios, known));
    const notice = known.provisional
      ? [`gate: the baseline of ${key} is provisional (recorded by the gate on ${known.date.slice(0, 10)} from one run); re-record it: node benchmarks/run.mjs --update-baseline --reason "..."`]
      : [];
    notice.push(...hardwareNotice(known.machine, o.machine, v.failed));
    return { key, mode: 'known', ...v, notice };
  }
  const floors = sanityFloors(o.file, key);
  const v = withCounts(compareSanity(ratios, floors));
  if (!v.ok) return { key, mode: 'provisional', ...v, notice: unknownNotice({ key, file: o.file, floors, recorded: false, ci: o.ci, path: o.baselinePath }) };
  const entry = makeEntry({
    runs: o.runs,
    reason: `provisional: recorded by the gate${o.ci ? ' in CI' : ''} on a machine key with no baseline (${o.runs.length === 1 ? 'one run' : `one run and ${o.runs.length - 1} re-measurement(s)`}); re-record with --update-baseline --reason`,
    machine: o.machine,
    date: o.date,
    provisional: true,
    counts: o.counts,
  });
  const file = withEntry(o.file, key, entry);
  return { key, mode: 'provisional', ...v, notice: unknownNotice({ key, file: o.file, floors, recorded: true, ci: o.ci, path: o.baselinePath }), entry, file };
}

/**
 * When a machine ratio fails: which CPU (cpuinfo family / model / stepping, clock) the baseline was recorded on
 * and which this run has. Machines of one key can differ underneath; where they do, the failure may be the
 * hardware's, not the code's, and the notice says so (and how to check: the same commit against the baseline).
 * @param {any} recorded  the baseline's machine record  @param {any} now  this run's  @param {string[]} failed
 * @returns {string[]}
 */
export function hardwareNotice(recorded, now, failed) {
  if (!failed.some((k) => isMachineRatio(k))) return [];
  const desc = (/** @type {any} */ m) => (m?.cpuId ? `${m.cpuId}${m.mhz ? `, ${m.mhz} MHz` : ''}` : 'family / model / stepping not recorded');
  const [a, b] = [desc(recorded), desc(now)];
  if (recorded?.cpuId && a === b) return [];
  return [
    `gate: a machine ratio failed; the baseline's CPU: ${a}; this machine's: ${b}.`,
    recorded?.cpuId
      ? '      They differ: machines of one key can run the kernels at different fractions of the FMA probe. Run the gate at the'
      : '      The baseline does not say which CPU it had, so it cannot be told whether this is the same hardware. Run the gate at the',
    "      baseline's commit on this machine: if it fails there too, the hardware differs (re-record with --update-baseline --reason).",
  ];
}

/**
 * The loud notice for a machine key with no baseline.
 * @param {{ key: string, file: BaselinesFile, floors: ReturnType<typeof sanityFloors>, recorded: boolean, ci?: boolean, path?: string }} o
 */
export function unknownNotice(o) {
  const path = o.path ?? 'benchmarks/baseline.json';
  const bar = '!'.repeat(110);
  const known = Object.keys(o.file.baselines);
  const refs = [...new Set(Object.values(o.floors).map((f) => f.from))];
  const body = [
    o.recorded ? 'GATE: NO BASELINE FOR THIS MACHINE KIND - A PROVISIONAL BASELINE WAS RECORDED FROM THIS RUN' : 'GATE: NO BASELINE FOR THIS MACHINE KIND, AND THE SANITY CHECK FAILED (NOTHING RECORDED)',
    '',
    `machine key: ${o.key}`,
    ...(known.length ? known.map((k, i) => `${i ? '            ' : 'known keys: '} ${k}${o.file.baselines[k].provisional ? ' (provisional)' : ''}`) : ['known keys:  none']),
    '',
    ...(refs.length
      ? [
          `Gated this time: only a sanity floor on the peer ratios (ours/tfjs-webgpu), ${SANITY_FACTOR} x the lowest baseline`,
          `of the same adapter kind, from ${refs.join('; ')},`,
          'which catches a gross (more than 2x) slowdown only.',
        ]
      : ['Gated this time: NOTHING. No baseline of the same adapter kind exists to take a sanity floor for the peer', 'ratios (ours/tfjs-webgpu) from.']),
    "The machine ratios (ours/peak-*) were NOT gated: they follow the CPU, and another machine's baseline says",
    'nothing about them.',
    '',
    ...(o.recorded
      ? [
          `Written: ${path}, under the key above, "provisional": true (the median of this run's measurements).`,
          ...(o.ci ? ['This CI checkout now holds it; it is printed below, so it can be committed from this log.'] : []),
          'Until a baseline for this key is committed, every run here records it again and is gated as loosely.',
          '',
          'To make it permanent, on a quiet machine of this kind (median of 3 gate runs):',
          `    node benchmarks/run.mjs --update-baseline --reason "first baseline for ${o.key.replace(/ gpu=.*/, '')}"${o.path && o.path !== 'benchmarks/baseline.json' ? ` --baseline ${o.path}` : ''}`,
          `    git add ${path} benchmarks/README.md && git commit -m "benchmarks: gate baseline for a new machine kind"`,
          `or commit the provisional entry as it is (git add ${path}, or paste the entry below under "baselines").`,
        ]
      : ['Fix the slowdown (or, if it is intended and this kind of machine is new, record a baseline on it with', '    node benchmarks/run.mjs --update-baseline --reason "...").']),
  ];
  return [bar, ...body.map((l) => `!!! ${l}`.trimEnd()), bar];
}

/** A count key ("<case>: dispatches/step"), as opposed to a ratio key ("<case>: ours/<impl>"). */
export const isCountKey = (/** @type {string} */ key) => !key.includes(': ours/');

/** The case a ratio key belongs to: "matmul 256x256x256: ours/peak-fma" -> "matmul 256x256x256". */
export const caseOf = (/** @type {string} */ ratioKey) => ratioKey.slice(0, ratioKey.lastIndexOf(': ours/'));

/**
 * The gate's flow: measure every case, judge; when something fails, measure the failing cases once more and
 * judge again with each ratio's better value (a real regression persists, a load spike rarely hits the same
 * case twice). run.mjs passes a measure() that runs the cases on the GPU; the tests pass made-up ones.
 * @param {Omit<Parameters<typeof evaluateGate>[0], 'runs'> & {
 *   measure: (cases?: string[]) => Promise<Record<string, number>> | Record<string, number>,
 *   onRetry?: (failed: string[], cases: string[]) => void }} o
 *   measure: the ratios of the named cases (all cases when none are named)
 * @returns {Promise<ReturnType<typeof evaluateGate> & { runs: Record<string, number>[], remeasured: string[] }>}
 */
export async function runGate(o) {
  const { measure, onRetry, ...rest } = o;
  const runs = [await measure()];
  let v = evaluateGate({ ...rest, runs });
  /** @type {string[]} */
  let remeasured = [];
  // Only timed ratios are measured again: a count is deterministic, a second count would be the same.
  const timed = v.failed.filter((k) => !isCountKey(k));
  if (timed.length) {
    remeasured = [...new Set(timed.map(caseOf))];
    onRetry?.(timed, remeasured);
    runs.push(await measure(remeasured));
    v = evaluateGate({ ...rest, runs });
  }
  return { ...v, runs, remeasured };
}
