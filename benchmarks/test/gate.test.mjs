// The regression gate's logic (src/gate-logic.mjs) over made-up results: no GPU, no build, milliseconds.
// The known-machine properties are checked against the committed benchmarks/baseline.json itself, so a
// re-recorded baseline whose spread is too wide to catch a 2x slowdown fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  COUNT_TOLERANCE,
  SANITY_FACTOR,
  caseOf,
  countRefs,
  floorsOf,
  gateRatios,
  isMachineRatio,
  machineKey,
  makeEntry,
  parseBaselines,
  parseCpuinfo,
  hardwareNotice,
  runGate,
  sanityFloors,
  withEntry,
} from '../src/gate-logic.mjs';

const committed = parseBaselines(JSON.parse(readFileSync(new URL('../baseline.json', import.meta.url), 'utf8')));

const LAVAPIPE = 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 / mesa / software';
const INTEL_CPUINFO = [
  'processor\t: 0',
  'vendor_id\t: GenuineIntel',
  'model name\t: Intel(R) Xeon(R) Processor',
  'flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512bw avx512vl amx_tile',
  '',
  'processor\t: 1',
  'vendor_id\t: GenuineIntel',
].join('\n');
const AMD_CPUINFO = [
  'processor\t: 0',
  'vendor_id\t: AuthenticAMD',
  'model name\t: AMD EPYC 7B13',
  'flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni',
].join('\n');

/** A machine record as env.mjs machineInfo builds it (the parts the key uses). */
function machineFrom(/** @type {string} */ cpuinfo, cores = 2, adapter = LAVAPIPE, software = true) {
  const c = parseCpuinfo(cpuinfo);
  return { cpu: c.model, cpuVendor: c.vendor, simd: c.simd, cores, adapter, software, loadavg: [0, 0, 0] };
}
const INTEL = machineFrom(INTEL_CPUINFO);
const AMD = machineFrom(AMD_CPUINFO);
const INTEL_KEY = 'cpu=intel-xeon simd=avx512 cores=2 gpu=llvmpipe/mesa/software';
const AMD_KEY = 'cpu=amd-epyc-7b13 simd=avx2 cores=2 gpu=llvmpipe/mesa/software';
const DATE = '2026-12-01T00:00:00.000Z';

/**
 * CaseResults as runCase makes them from ratio keys: fastSpeedups[impl] = ours' throughput over impl's, so
 * slowing ours down by f divides every ratio of that case by f.
 * @param {Record<string, number>} ratios
 */
function resultsFrom(ratios) {
  /** @type {Map<string, { name: string, status: 'ok', fastSpeedups: Record<string, number> }>} */
  const byCase = new Map();
  for (const [k, v] of Object.entries(ratios)) {
    const name = caseOf(k);
    const impl = k.slice(name.length + ': ours/'.length);
    if (!byCase.has(name)) byCase.set(name, { name, status: 'ok', fastSpeedups: {} });
    /** @type {any} */ (byCase.get(name)).fastSpeedups[impl] = v;
  }
  return [...byCase.values()];
}

/** ours slowed down by `factor` in the named cases. */
function slowOurs(/** @type {ReturnType<typeof resultsFrom>} */ results, /** @type {Record<string, number>} */ factors) {
  return results.map((r) => ({ ...r, fastSpeedups: Object.fromEntries(Object.entries(r.fastSpeedups).map(([i, s]) => [i, s / (factors[r.name] ?? 1)])) }));
}

/**
 * The gate as run.mjs drives it: `first` is the first measurement, `again` (default: the same) what the
 * re-measurement of the failing cases finds.
 */
function gate(/** @type {{ first: ReturnType<typeof resultsFrom>, again?: ReturnType<typeof resultsFrom>, file?: any, machine?: any, ci?: boolean, counts?: Record<string, number> }} */ o) {
  const file = o.file ?? committed;
  const machine = o.machine ?? INTEL;
  return runGate({
    file,
    // By default the counts the key is gated by (its own, or those of its adapter kind): they pass.
    counts: o.counts ?? refCounts(file, machine),
    machine,
    date: DATE,
    ci: o.ci ?? true,
    measure: (names) => gateRatios(names ? (o.again ?? o.first).filter((r) => names.includes(r.name)) : o.first),
  });
}

/** The reference counts of a machine's key as plain numbers. */
const refCounts = (/** @type {any} */ file, /** @type {any} */ machine) => Object.fromEntries(Object.entries(countRefs(file, machineKey(machine))).map(([k, v]) => [k, v.ref]));

/** Run i of a baseline (as recorded), every ratio present. */
const recordedRun = (/** @type {any} */ b, /** @type {number} */ i) =>
  Object.fromEntries(Object.entries(/** @type {Record<string, (number | null)[]>} */ (b.runs)).map(([k, v]) => [k, v[i] ?? b.ratios[k]]));

const gatedCases = (/** @type {any} */ b) => [...new Set(Object.keys(b.ratios).map(caseOf))];

// The committed baselines that claim to hold: not provisional, recorded from several runs.
const solid = Object.entries(committed.baselines).filter(([, b]) => !b.provisional && Object.values(b.runs ?? {})[0]?.length >= 2);

describe('machine keys', () => {
  it('an Intel Xeon and an AMD EPYC with the same cores and lavapipe get different keys', () => {
    expect(machineKey(INTEL)).toBe(INTEL_KEY);
    expect(machineKey(AMD)).toBe(AMD_KEY);
  });

  it('the key follows SIMD class, cores and adapter kind, but not Mesa/LLVM version numbers', () => {
    expect(machineKey({ ...INTEL, simd: 'avx2' })).not.toBe(INTEL_KEY);
    expect(machineKey({ ...INTEL, cores: 4 })).not.toBe(INTEL_KEY);
    expect(machineKey({ ...INTEL, adapter: 'NVIDIA: 550.54 / nvidia / turing', software: false, adapterDevice: 'NVIDIA T4' })).toBe(
      'cpu=intel-xeon simd=avx512 cores=2 gpu=nvidia-t4/nvidia/hardware',
    );
    expect(machineKey({ ...INTEL, adapter: 'llvmpipe: Mesa 25.2.1 (LLVM 19.1.7) 0.0.1 / mesa / software' })).toBe(INTEL_KEY);
    expect(machineKey({ ...INTEL, cpu: 'Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz' })).toBe('cpu=intel-xeon-platinum-8481c simd=avx512 cores=2 gpu=llvmpipe/mesa/software');
    expect(parseCpuinfo('vendor_id : AuthenticAMD\nmodel name : AMD EPYC 9B14 96-Core Processor\nflags : avx2 avx512f').simd).toBe('avx512');
    // what tells machines of one model name apart is recorded (not keyed): family / model / stepping and the clock
    const c = parseCpuinfo('vendor_id : GenuineIntel\ncpu family : 6\nmodel : 167\nmodel name : Intel(R) Xeon(R) Processor\nstepping : 8\ncpu MHz : 1999.998\nflags : avx2 avx512f');
    expect([c.id, c.mhz]).toEqual(['family 6 model 167 stepping 8', 2000]);
  });

  it('the committed file holds keyed baselines, the Intel Xeon one under the key of its machine record', () => {
    expect(committed.format).toBe(2);
    expect(committed.baselines[INTEL_KEY]).toBeDefined();
    for (const [k, b] of Object.entries(committed.baselines)) expect(machineKey(/** @type {any} */ (b.machine))).toBe(k);
    expect(committed.baselines[INTEL_KEY].reason).toMatch(/\S/);
  });

  it('a pre-keyed (single-baseline) file is read under a key with simd=unknown, which matches no machine', () => {
    const legacy = parseBaselines({ reason: 'old', date: DATE, machine: { cpu: 'Intel(R) Xeon(R) Processor', cores: 2, adapter: LAVAPIPE, software: true }, ratios: { 'x: ours/tfjs-webgpu': 2 } });
    expect(Object.keys(legacy.baselines)).toEqual(['cpu=intel-xeon simd=unknown cores=2 gpu=llvmpipe/mesa/software']);
  });
});

describe.each(solid)('known machine key %s', (key, base) => {
  const machine = /** @type {any} */ (base.machine);
  const nRuns = Object.values(base.runs ?? {})[0].length;

  it('(a) an idle run within the observed spread passes: each recorded run, the median, and every ratio at its worst recorded value at once', async () => {
    for (let i = 0; i < nRuns; i++) {
      const v = await gate({ first: resultsFrom(recordedRun(base, i)), machine });
      expect(v.mode).toBe('known');
      expect(v.ok, `run ${i}: ${v.lines.join('\n')}`).toBe(true);
      expect(v.remeasured).toEqual([]);
    }
    expect((await gate({ first: resultsFrom(base.ratios), machine })).ok).toBe(true);
    const worst = Object.fromEntries(Object.entries(floorsOf(base)).map(([k, f]) => [k, f.worst]));
    const v = await gate({ first: resultsFrom(worst), machine });
    expect(v.ok, v.lines.join('\n')).toBe(true);
    expect(v.lines.some((l) => l.startsWith('warn'))).toBe(false);
  });

  it('(a) a load spike that halves one case once, gone when it is measured again, passes', async () => {
    for (const c of gatedCases(base)) {
      const run = resultsFrom(base.ratios);
      const v = await gate({ first: slowOurs(run, { [c]: 2 }), again: run, machine });
      expect(v.remeasured).toEqual([c]);
      expect(v.ok, v.lines.join('\n')).toBe(true);
    }
  });

  it.each(gatedCases(base))('(b) halving ours in "%s" fails, from every recorded run and the median, though measured twice', async (c) => {
    const starts = [...Array.from({ length: nRuns }, (_, i) => recordedRun(base, i)), base.ratios];
    for (const start of starts) {
      const v = await gate({ first: slowOurs(resultsFrom(start), { [c]: 2 }), machine });
      expect(v.ok, v.lines.join('\n')).toBe(false);
      expect(v.remeasured).toEqual([c]);
      expect(v.failed.every((k) => caseOf(k) === c)).toBe(true);
    }
  });

  it('a gated ratio missing from the run (case failed, peer gone) fails', async () => {
    const run = resultsFrom(base.ratios).slice(1);
    const v = await gate({ first: run, machine });
    expect(v.ok).toBe(false);
    expect(v.lines.some((l) => l.includes('not measured in this run'))).toBe(true);
  });
});

describe('a failed machine ratio names the CPU the baseline was recorded on and this one', () => {
  const base = { cpu: 'Intel(R) Xeon(R) Processor', cpuId: 'family 6 model 143 stepping 8', mhz: 2100 };
  it('says they differ, or that the baseline did not record it; nothing when they agree or only a peer ratio failed', () => {
    const failedM = ['matmul 256x256x256: ours/peak-fma'];
    const differ = hardwareNotice(base, { ...base, cpuId: 'family 6 model 167 stepping 8', mhz: 2000 }, failedM).join('\n');
    expect(differ).toMatch(/baseline's CPU: family 6 model 143 stepping 8, 2100 MHz; this machine's: family 6 model 167 stepping 8, 2000 MHz/);
    expect(differ).toMatch(/They differ/);
    expect(hardwareNotice({ cpu: base.cpu }, base, failedM).join('\n')).toMatch(/family \/ model \/ stepping not recorded.*\n.*does not say which CPU/);
    expect(hardwareNotice(base, { ...base }, failedM)).toEqual([]);
    expect(hardwareNotice({ cpu: base.cpu }, base, ['matmul 256x256x256: ours/tfjs-webgpu'])).toEqual([]);
  });
});

describe('a machine key with no baseline', () => {
  const intel = committed.baselines[INTEL_KEY];
  // The run from the issue: on a 2-vCPU AMD EPYC, every ours/tfjs-webgpu ratio like the Intel one's, ours/peak-fma 0.176.
  const amdRun = { ...intel.ratios, 'matmul 256x256x256: ours/peak-fma': 0.176 };

  it('(c) yields a provisional baseline for the key and a loud notice, and passes', async () => {
    const v = await gate({ first: resultsFrom(amdRun), machine: AMD });
    expect(v.mode).toBe('provisional');
    expect(v.ok, v.lines.join('\n')).toBe(true);
    expect(v.key).toBe(AMD_KEY);
    const entry = v.file?.baselines[AMD_KEY];
    expect(entry?.provisional).toBe(true);
    expect(entry?.ratios['matmul 256x256x256: ours/peak-fma']).toBe(0.176);
    expect(entry?.runs?.['matmul 256x256x256: ours/peak-fma']).toEqual([0.176]);
    expect(entry?.reason).toMatch(/provisional/);
    expect(entry?.machine).toMatchObject({ cpu: 'AMD EPYC 7B13', simd: 'avx2' });
    expect(v.file?.baselines[INTEL_KEY]).toEqual(intel); // the other keys are kept as they are
    const notice = v.notice.join('\n');
    expect(v.notice.length).toBeGreaterThan(8);
    expect(notice).toContain('NO BASELINE FOR THIS MACHINE KIND');
    expect(notice).toContain(AMD_KEY);
    expect(notice).toContain(INTEL_KEY);
    expect(notice).toContain('--update-baseline --reason');
    expect(notice).toContain('git add benchmarks/baseline.json');
  });

  it('still fails, and records nothing, when a peer ratio is more than 2x below the baselines of the same adapter kind', async () => {
    // slowed until it is 1.25x below the sanity floor: 0.5 x the lowest baseline of any lavapipe key in the file
    const gru = 'gru cell B100 H200: ours/tfjs-webgpu';
    const lowest = Math.min(...Object.values(committed.baselines).map((b) => b.ratios[gru]).filter((x) => x !== undefined));
    const factor = (amdRun[gru] / (lowest * SANITY_FACTOR)) * 1.25;
    const v = await gate({ first: slowOurs(resultsFrom(amdRun), { 'gru cell B100 H200': factor }), machine: AMD });
    expect(v.ok).toBe(false);
    expect(v.failed).toEqual(['gru cell B100 H200: ours/tfjs-webgpu']);
    expect(v.remeasured).toEqual(['gru cell B100 H200']);
    expect(v.file).toBeUndefined();
    expect(v.notice.join('\n')).toContain('SANITY CHECK FAILED');
  });

  it('gates the peer ratios only at the sanity floor: 2x slower peer ratios than the Intel floors allow still pass there', async () => {
    // 0.52 x the Intel median is below every Intel floor (0.55 x) but above the sanity floor (0.5 x).
    const run = Object.fromEntries(Object.entries(intel.ratios).map(([k, v]) => [k, isMachineRatio(k) ? v / 3 : v * (SANITY_FACTOR + 0.02)]));
    const onAmd = await gate({ first: resultsFrom(run), machine: AMD });
    expect(onAmd.ok, onAmd.lines.join('\n')).toBe(true);
    const onIntel = await gate({ first: resultsFrom(run), machine: INTEL });
    expect(onIntel.ok).toBe(false);
  });

  it('with no baseline of the same adapter kind either, records a provisional one and says nothing was gated', async () => {
    const gpuMachine = { ...AMD, adapter: 'NVIDIA: 550.54 / nvidia / ampere', software: false, adapterDevice: 'NVIDIA A10G' };
    const v = await gate({ first: resultsFrom(amdRun), machine: gpuMachine });
    expect(v.ok).toBe(true);
    expect(v.file?.baselines[machineKey(gpuMachine)]?.provisional).toBe(true);
    expect(v.notice.join('\n')).toContain('NOTHING');
  });

  it('once the provisional baseline is committed, it gates its key: an idle run passes, halving a case fails', async () => {
    const first = await gate({ first: resultsFrom(amdRun), machine: AMD });
    const file = /** @type {any} */ (first.file);
    const idle = Object.fromEntries(Object.entries(amdRun).map(([k, v]) => [k, v * 0.9]));
    const again = await gate({ first: resultsFrom(idle), machine: AMD, file });
    expect(again.mode).toBe('known');
    expect(again.ok, again.lines.join('\n')).toBe(true);
    expect(again.notice.join('\n')).toContain('provisional');
    for (const c of gatedCases(file.baselines[AMD_KEY])) {
      const v = await gate({ first: slowOurs(resultsFrom(amdRun), { [c]: 2 }), machine: AMD, file });
      expect(v.ok, `${c}: ${v.lines.join('\n')}`).toBe(false);
    }
  });
});

describe('(d) the Intel baseline is not applied to an AMD key', () => {
  const intel = committed.baselines[INTEL_KEY];
  const amdRun = { ...intel.ratios, 'matmul 256x256x256: ours/peak-fma': 0.176 };

  it("the issue's AMD run fails on the Intel key (0.176 < floor 0.210), and passes on its own key with ours/peak-fma not gated", async () => {
    const asIntel = await gate({ first: resultsFrom(amdRun), machine: INTEL });
    expect(asIntel.ok).toBe(false);
    expect(asIntel.failed).toEqual(['matmul 256x256x256: ours/peak-fma']);

    const asAmd = await gate({ first: resultsFrom(amdRun), machine: AMD });
    expect(asAmd.ok).toBe(true);
    expect(asAmd.key).not.toBe(INTEL_KEY);
    const line = asAmd.lines.find((l) => l.includes('ours/peak-fma'));
    expect(line).toMatch(/^new .*not gated/);
    expect(asAmd.lines.join('\n')).not.toContain('0.210');
  });

  it('with both keys in the file, each machine is judged by its own baseline only', async () => {
    const amdEntry = makeEntry({ runs: [amdRun, amdRun, amdRun], reason: 'test', machine: AMD, date: DATE });
    const file = withEntry(committed, AMD_KEY, amdEntry);
    // ours/peak-fma 0.2: passes AMD's floor (0.55 x 0.176 = 0.097), fails Intel's (0.210).
    const run = resultsFrom({ ...intel.ratios, 'matmul 256x256x256: ours/peak-fma': 0.2 });
    const onAmd = await gate({ first: run, machine: AMD, file });
    expect(onAmd.mode).toBe('known');
    expect(onAmd.ok).toBe(true);
    const onIntel = await gate({ first: run, machine: INTEL, file });
    expect(onIntel.ok).toBe(false);
    // Nor is either key's machine ratio a sanity reference for a third CPU.
    const third = sanityFloors(file, 'cpu=intel-xeon-e5 simd=avx2 cores=2 gpu=llvmpipe/mesa/software');
    expect(Object.keys(third).length).toBeGreaterThan(0);
    expect(Object.keys(third).some(isMachineRatio)).toBe(false);
  });
});

describe('counts: dispatches per training step (deterministic, 2% tolerance)', () => {
  const intel = committed.baselines[INTEL_KEY];
  const counts = /** @type {Record<string, number>} */ (intel.counts);
  const keys = Object.keys(counts ?? {});
  const scaled = (/** @type {number} */ f, only = keys) => Object.fromEntries(keys.map((k) => [k, only.includes(k) ? Math.round(counts[k] * f) : counts[k]]));
  const ratios = () => resultsFrom(intel.ratios);

  it("the committed baseline of the Intel key counts the quick-state trainStep's dispatches, plain and with isFirstHost, and a whole agent update's", () => {
    expect(keys).toEqual([
      'WorldModel.trainStep quick state B16 T50: dispatches/step',
      'WorldModel.trainStep quick state B16 T50 isFirstHost: dispatches/step',
      'DreamerAgent.update quick state B16 T32: dispatches/update',
    ]);
    for (const k of keys) expect(Number.isInteger(counts[k]) && counts[k] > 0).toBe(true);
    // The hint only removes masks: never more dispatches than without it.
    expect(counts[keys[1]]).toBeLessThanOrEqual(counts[keys[0]]);
  });

  it('a count at or up to 2% above its baseline passes; fewer passes with a reminder to re-record', async () => {
    for (const f of [1, 1 + COUNT_TOLERANCE - 1e-4, 0.8]) {
      const c = Object.fromEntries(keys.map((k) => [k, Math.floor(counts[k] * f)]));
      const v = await gate({ first: ratios(), counts: c });
      expect(v.ok, v.lines.join('\n')).toBe(true);
      if (f < 1) expect(v.lines.filter((l) => l.includes('re-record it')).length).toBe(keys.length);
    }
  });

  it.each(keys)('more than COUNT_TOLERANCE above the baseline fails at once, with no re-measurement: %s', async (k) => {
    const v = await gate({ first: ratios(), counts: scaled(1.03, [k]) });
    expect(v.ok).toBe(false);
    expect(v.failed).toEqual([k]);
    expect(v.remeasured).toEqual([]);
    expect(v.lines.find((l) => l.startsWith('FAIL'))).toMatch(/> limit \d+ \(baseline \d+ from this key, \+[23]\.\d+%; limit = baseline \+ 2%\)/);
  });

  it('a count missing from the run fails; a count with no baseline is listed, not gated', async () => {
    const missing = await gate({ first: ratios(), counts: { [keys[0]]: counts[keys[0]] } });
    expect(missing.ok).toBe(false);
    expect(missing.lines.some((l) => l.includes('not counted in this run'))).toBe(true);
    const extra = await gate({ first: ratios(), counts: { ...counts, 'something new: dispatches/step': 5 } });
    expect(extra.ok).toBe(true);
    expect(extra.lines.some((l) => /^new +something new: dispatches\/step: 5 \(no baseline count: not gated\)/.test(l))).toBe(true);
  });

  it('a slow ratio and a grown count both fail; only the ratio is measured again', async () => {
    const v = await gate({ first: slowOurs(ratios(), { 'gru cell B100 H200': 2 }), counts: scaled(1.1) });
    expect(v.ok).toBe(false);
    expect(v.remeasured).toEqual(['gru cell B100 H200']);
    expect(v.failed.filter((k) => keys.includes(k))).toEqual(keys);
  });

  it("a key with no baseline is gated by the counts of its adapter kind (they follow the adapter, not the CPU), and records them", async () => {
    const amdRun = resultsFrom({ ...intel.ratios, 'matmul 256x256x256: ours/peak-fma': 0.176 });
    const ok = await gate({ first: amdRun, machine: AMD, counts });
    expect(ok.ok, ok.lines.join('\n')).toBe(true);
    expect(ok.file?.baselines[AMD_KEY]?.counts).toEqual(counts);
    const grown = await gate({ first: amdRun, machine: AMD, counts: scaled(1.05) });
    expect(grown.ok).toBe(false);
    expect(grown.file).toBeUndefined();
    // the reference is the lowest count among the committed baselines of the same adapter kind (the first key on a tie)
    const ref = countRefs(committed, AMD_KEY)[keys[0]];
    expect(ref.from.endsWith('gpu=llvmpipe/mesa/software') && ref.from !== AMD_KEY).toBe(true);
    expect(ref.ref).toBeLessThanOrEqual(counts[keys[0]]);
    expect(grown.lines.find((l) => l.startsWith('FAIL'))).toContain(`from ${ref.from}`);
    // Another adapter kind: no reference, nothing gated, recorded provisionally.
    const gpuMachine = { ...AMD, adapter: 'NVIDIA: 550.54 / nvidia / hopper', software: false, adapterDevice: 'NVIDIA H200' };
    const other = await gate({ first: amdRun, machine: gpuMachine, counts: scaled(1.5) });
    expect(other.ok).toBe(true);
    expect(other.file?.baselines[machineKey(gpuMachine)]?.counts).toEqual(scaled(1.5));
  });

  it('re-recording a baseline takes the new counts, or keeps the old ones when none were counted; history keeps the old', () => {
    const runs = [intel.ratios];
    const fresh = makeEntry({ runs, counts: scaled(0.9), reason: 'r', machine: INTEL, date: DATE, old: intel });
    expect(fresh.counts).toEqual(scaled(0.9));
    expect(fresh.history?.at(-1)?.counts).toEqual(counts);
    const kept = makeEntry({ runs, reason: 'r', machine: INTEL, date: DATE, old: intel });
    expect(kept.counts).toEqual(counts);
  });
});

describe("the quick-state trainStep's fraction of the in-run FMA peak (a machine ratio)", () => {
  const intel = committed.baselines[INTEL_KEY];
  const KEY = 'WorldModel.trainStep quick state B16 T50: ours/peak-fma';
  // Made-up runs of the ratio with the spread of a quiet machine's repeated gate runs (about -10%..+15%).
  const runs = [0.3, 0.34, 0.33];
  const withRatio = (/** @type {number} */ i) => ({ ...recordedRun(intel, i), [KEY]: runs[i] });
  const entry = makeEntry({ runs: [0, 1, 2].map(withRatio), counts: intel.counts, reason: 'test', machine: INTEL, date: DATE, margin: intel.margin });
  const file = withEntry(committed, INTEL_KEY, entry);

  it('is made by the gate case trainStepPeakCase: model FLOPs of a step over an interleaved peakFma, as ours/peak-fma', async () => {
    const { trainStepPeakCase } = await import('../src/suites/rssm.mjs');
    const { trainStepFlops } = await import('../src/flops.mjs');
    const R = await import('@twist/rssm');
    const c = trainStepPeakCase({ device: /** @type {any} */ (null) });
    expect(c.name).toBe(caseOf(KEY));
    expect(c.unit).toBe('GFLOP/s');
    expect(c.work).toBe(trainStepFlops(R.makeConfig('quick', { modality: 'state' }), 16, 50).total);
    expect(Object.keys(c.impls)).toEqual(['ours', 'peak-fma']);
    expect(c.impls['peak-fma'].reference).toBe(true);
    expect(isMachineRatio(KEY)).toBe(true);
    expect(Object.keys(gateRatios(resultsFrom({ [KEY]: 0.33 })))).toEqual([KEY]);
  });

  it('a baseline with it: every recorded run, and all ratios at their worst at once, pass; a load spike once passes', async () => {
    for (let i = 0; i < runs.length; i++) {
      const v = await gate({ first: resultsFrom(withRatio(i)), file });
      expect(v.ok, v.lines.join('\n')).toBe(true);
    }
    const worst = Object.fromEntries(Object.entries(floorsOf(entry)).map(([k, f]) => [k, f.worst]));
    expect((await gate({ first: resultsFrom(worst), file })).ok).toBe(true);
    const run = resultsFrom(entry.ratios);
    const spike = await gate({ first: slowOurs(run, { [caseOf(KEY)]: 2 }), again: run, file });
    expect(spike.ok, spike.lines.join('\n')).toBe(true);
    expect(spike.remeasured).toEqual([caseOf(KEY)]);
  });

  it('halving the step (twice) fails, from every recorded run and from the median, and nothing else fails', async () => {
    for (const start of [...[0, 1, 2].map(withRatio), entry.ratios]) {
      const v = await gate({ first: slowOurs(resultsFrom(start), { [caseOf(KEY)]: 2 }), file });
      expect(v.ok).toBe(false);
      expect(v.failed).toEqual([KEY]);
      expect(v.lines.find((l) => l.startsWith('FAIL'))).toContain(KEY);
    }
  });

  it('is not gated on a machine key with no baseline, nor by another key: a 3x lower value on the AMD key passes', async () => {
    const amdRun = { ...entry.ratios, 'matmul 256x256x256: ours/peak-fma': 0.176, [KEY]: entry.ratios[KEY] / 3 };
    const v = await gate({ first: resultsFrom(amdRun), machine: AMD, file });
    expect(v.mode).toBe('provisional');
    expect(v.ok, v.lines.join('\n')).toBe(true);
    expect(v.lines.find((l) => l.includes(KEY))).toMatch(/^new .*machine ratio: no baseline for this key, not gated/);
    expect(Object.keys(sanityFloors(file, AMD_KEY))).not.toContain(KEY);
  });

  it('until the committed baseline is re-recorded with it, it is listed as new and not gated', async () => {
    if (KEY in intel.ratios) return; // re-recorded: the known-key tests above cover it like every other ratio
    const v = await gate({ first: resultsFrom({ ...intel.ratios, [KEY]: 0.01 }) });
    expect(v.ok).toBe(true);
    expect(v.lines.find((l) => l.includes(KEY))).toMatch(/^new .*not gated/);
  });
});
