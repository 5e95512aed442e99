/**
 * Writes an experiment report into a folder:
 *   report.md, report.json                    everything below, as text and as data
 *   aggregate.png / .svg                      Fig. 2 form: IQM, mean, median, optimality gap with 95% CIs per method
 *   curves.png / .svg                         learning curves per task: mean over seeds, min..max band, per method
 *   wallclock.png / .svg                      minutes to reach threshold x the Oracle's score, per task and method
 *   runs/<method>/<task>/seed<k>/*.json       every run's summary (and final evaluation) as it was
 * Each method keeps one colour in every plot.
 */
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PALETTE, renderPanels, writePlot, type IntervalPlotSpec, type LinePlotSpec, type LineSeries } from '../plot/index.js';
import type { ExperimentReport } from './report.js';
import type { RunResult } from './results.js';
import type { AggregateName } from './stats.js';

const AGG_TITLES: Record<AggregateName, string> = { iqm: 'IQM', mean: 'Mean', median: 'Median', optimalityGap: 'Optimality gap' };
const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const minutes = (s: number | null) => (s === null ? '-' : (s / 60).toFixed(1));

function colorOf(r: ExperimentReport, method: string): [number, number, number] {
  const i = r.experiment.methods.findIndex((m) => m.name === method);
  return [...PALETTE[Math.max(0, i) % PALETTE.length]] as [number, number, number];
}

/** Mean and min..max over seeds at each env-step count some seed evaluated at. */
function seedBand(curves: { points: { envFrames: number; mean: number }[] }[]): { x: number[]; y: number[]; lo: number[]; hi: number[] } {
  const by = new Map<number, number[]>();
  for (const c of curves) for (const p of c.points) by.set(p.envFrames, [...(by.get(p.envFrames) ?? []), p.mean]);
  const x = [...by.keys()].sort((a, b) => a - b);
  const v = x.map((k) => by.get(k)!);
  return { x, y: v.map((a) => a.reduce((s, b) => s + b, 0) / a.length), lo: v.map((a) => Math.min(...a)), hi: v.map((a) => Math.max(...a)) };
}

export function aggregatePlot(r: ExperimentReport): IntervalPlotSpec[] {
  const agg = r.aggregate;
  return (Object.keys(AGG_TITLES) as AggregateName[]).map((k) => ({
    title: `${AGG_TITLES[k]} of Oracle-normalised score`,
    xLabel: agg.available ? `95% stratified bootstrap CI (${agg.reps} resamples)` : `not available: ${agg.reason}`,
    rows: r.experiment.methods.map((m) => {
      const a = agg.available ? agg.methods[m.name] : null;
      const e = a?.available ? a.estimates[k] : null;
      return { name: m.name, point: e ? e.point : NaN, lo: e ? e.lo : NaN, hi: e ? e.hi : NaN, color: colorOf(r, m.name) };
    }),
    ...(k === 'optimalityGap' ? {} : { vlines: [{ x: 1, label: 'Oracle' }] }),
  }));
}

export function curvesPlot(r: ExperimentReport): LinePlotSpec[] {
  return r.experiment.tasks.map((t) => {
    const series: LineSeries[] = [];
    for (const m of r.experiment.methods) {
      const cs = r.curves.filter((c) => c.method === m.name && c.task === t);
      const color = colorOf(r, m.name);
      const b = seedBand(cs);
      const twist = cs.some((c) => c.deployed);
      series.push({ name: twist ? `${m.name}: teacher (state)` : m.name, x: b.x, y: b.y, band: { lo: b.lo, hi: b.hi }, color, dashed: twist });
      if (twist) {
        // The deployed student's final held-out score sits at the teacher's env steps (distillation adds none).
        const finals = r.runs.filter((x) => x.method === m.name && x.task === t && x.score !== null);
        if (finals.length) {
          const d = seedBand([{ points: finals.map((x) => ({ envFrames: x.envFrames, mean: x.score! })) }]);
          series.push({ name: `${m.name}: deployed (${r.experiment.eval.domain})`, x: d.x, y: d.y, band: { lo: d.lo, hi: d.hi }, color });
        }
      }
    }
    const w = r.wallClock;
    const ref = r.references[t];
    const hlines = [
      ...(w.available ? [{ y: w.targets[t], label: `${w.threshold} x Oracle ${f(w.targets[t])}` }] : []),
      ...(ref
        ? [
            { y: ref.zero, label: `zero action ${f(ref.zero)}`, color: [150, 150, 150] as [number, number, number] },
            { y: ref.random, label: `random ${f(ref.random)}`, color: [200, 120, 120] as [number, number, number] },
          ]
        : []),
    ];
    return { title: `${t}: evaluation return while training`, xLabel: 'env steps', yLabel: 'return', series, hlines, width: 640, height: 400 };
  });
}

export function wallClockPlot(r: ExperimentReport): IntervalPlotSpec[] {
  const w = r.wallClock;
  return r.experiment.tasks.map((t) => ({
    title: `${t}: minutes to ${w.threshold} x Oracle`,
    xLabel: w.available ? 'minutes (mean over seeds that reached it; bar min..max)' : `not available: ${w.reason}`,
    rows: r.experiment.methods.map((m) => {
      const c = w.available ? w.cells[t][m.name] : null;
      const ok = c && c.meanSeconds !== null;
      return {
        name: c ? `${m.name} (${c.reached}/${c.of})` : m.name,
        point: ok ? c.meanSeconds! / 60 : NaN,
        lo: ok ? c.minSeconds! / 60 : NaN,
        hi: ok ? c.maxSeconds! / 60 : NaN,
        color: colorOf(r, m.name),
      };
    }),
  }));
}

export function reportMarkdown(r: ExperimentReport): string {
  const e = r.experiment;
  const L: string[] = [];
  L.push(`# Experiment ${e.name}`, '');
  if (e.description) L.push(e.description, '');
  L.push(
    `${e.file ? `\`${e.file}\`: ` : ''}methods ${e.methods.map((m) => (m.name === m.method ? m.name : `${m.name} (${m.method})`)).join(', ')}; tasks ${e.tasks.join(', ')}; seeds ${e.seeds.join(', ')}; ` +
      `preset ${e.preset}; ${e.steps} env steps per run (TWIST: the teacher's)${e.episodeLength ? `; episodes of ${e.episodeLength} control steps` : ''}. Generated ${r.generated}.`,
    '',
    r.scoreDefinition,
    '',
  );
  const done = r.runs.filter((x) => x.state === 'done').length;
  L.push(`## Runs: ${done} of ${r.runs.length} done`, '');
  if (r.unfinished.length) {
    L.push('Not in the numbers below (counted as k/n seeds where they are missing):', '');
    for (const u of r.unfinished) L.push(`- ${u.method} / ${u.task} / seed ${u.seed}: ${u.state === 'missing' ? 'not started' : u.state === 'partial' ? `unfinished (${u.envFrames} of ${e.steps} env steps)` : 'trained, not yet evaluated'} (${u.dir})`);
    L.push('');
  }
  L.push(`## Return per task (Table I form): mean +- std over seeds, evaluation domain '${e.eval.domain}'`, '');
  L.push(`| task | ${e.methods.map((m) => m.name).join(' | ')} | zero action | uniform random |`, `|---|${e.methods.map(() => '---').join('|')}|---|---|`);
  for (const t of e.tasks) {
    const ref = r.references[t];
    L.push(`| ${t} | ${e.methods.map((m) => { const c = r.table[t][m.name]; return c.n ? `${f(c.mean)} +- ${f(c.std)}${c.n < c.of ? ` (${c.n}/${c.of})` : ''}` : `- (0/${c.of})`; }).join(' | ')} | ${f(ref?.zero)} | ${f(ref?.random)} |`);
  }
  L.push('', "std: population standard deviation (ddof 0) of the seeds' scores. Zero action and uniform random: those policies on the same evaluation episodes.", '');
  L.push('## Aggregate (Fig. 2 form): Oracle-normalised score', '');
  const a = r.aggregate;
  if (!a.available) L.push(`Not available: ${a.reason}.`, '');
  else {
    L.push(
      `Each run's score divided by the Oracle's ('${a.oracle}') mean score on its task (${Object.entries(a.oracleMean).map(([t, v]) => `${t} ${f(v)}`).join(', ')}), pooled over tasks x seeds. ` +
        `Point estimates with 95% percentile stratified bootstrap CIs (${a.reps} resamples of the seeds within each task, tasks fixed, seed ${a.seed}); IQM: 25% trimmed mean.`,
      '',
      '| method | IQM [95% CI] | mean [95% CI] | median [95% CI] | optimality gap [95% CI] | seeds per task |',
      '|---|---|---|---|---|---|',
    );
    for (const m of e.methods) {
      const x = a.methods[m.name];
      if (!x.available) L.push(`| ${m.name} | not available: ${x.reason} | | | | |`);
      else {
        const c = (k: AggregateName) => `${f(x.estimates[k].point, 3)} [${f(x.estimates[k].lo, 3)}, ${f(x.estimates[k].hi, 3)}]`;
        L.push(`| ${m.name} | ${c('iqm')} | ${c('mean')} | ${c('median')} | ${c('optimalityGap')} | ${Object.values(x.runsPerTask).join(', ')} |`);
      }
    }
    L.push('');
  }
  L.push('![aggregate](aggregate.png)', '', '## Learning curves', '');
  L.push(
    "Periodic evaluations while training, in each method's own training-evaluation domain (see each run's summary: none for oracle and dreamer, train-distribution DR for dreamer-dr " +
      `and dreamer-state-recon); mean over seeds with a min..max band. TWIST: its teacher on the state (dashed) and the deployed student's final '${e.eval.domain}' score at the teacher's env steps.`,
    '',
    '![curves](curves.png)',
    '',
  );
  const w = r.wallClock;
  L.push(`## Wall-clock to reach ${w.threshold} x the Oracle's final score`, '');
  if (!w.available) L.push(`Not available: ${w.reason}.`, '');
  else {
    L.push(w.note, '', `Targets: ${Object.entries(w.targets).map(([t, v]) => `${t} ${f(v)}`).join(', ')}.`, '');
    L.push(`| task | ${e.methods.map((m) => `${m.name} (min)`).join(' | ')} |`, `|---|${e.methods.map(() => '---').join('|')}|`);
    for (const t of e.tasks) {
      L.push(`| ${t} | ${e.methods.map((m) => { const c = w.cells[t][m.name]; return c.of === 0 ? 'no runs' : c.reached ? `${minutes(c.meanSeconds)} [${minutes(c.minSeconds)}, ${minutes(c.maxSeconds)}] (${c.reached}/${c.of})` : `not reached (0/${c.of})`; }).join(' | ')} |`);
    }
    L.push('', '![wall-clock](wallclock.png)', '');
  }
  return L.join('\n');
}

/** Writes report.md, report.json, the three plots and the runs' summaries into `out`; returns the paths. */
export function writeReport(report: ExperimentReport, results: RunResult[], out: string): string[] {
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const jsonSafe = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
  // written whole or not at all: a reader never sees half a report
  const text = (p: string, s: string) => {
    const tmp = `${p}.tmp-${process.pid}`;
    writeFileSync(tmp, s);
    renameSync(tmp, p);
  };
  text(join(out, 'report.json'), JSON.stringify(report, jsonSafe, 2) + '\n');
  text(join(out, 'report.md'), reportMarkdown(report));
  files.push(join(out, 'report.md'), join(out, 'report.json'));
  const cols = Math.min(3, report.experiment.tasks.length);
  for (const [name, result] of [
    ['aggregate', renderPanels(aggregatePlot(report), 2)],
    ['curves', renderPanels(curvesPlot(report), cols)],
    ['wallclock', renderPanels(wallClockPlot(report), cols)],
  ] as const) {
    const p = writePlot(join(out, name), result);
    files.push(p.png, p.svg);
  }
  for (const r of results) {
    const d = join(out, 'runs', r.method, r.task, `seed${r.seed}`);
    for (const [k, p] of Object.entries(r.summaries)) {
      mkdirSync(d, { recursive: true });
      copyFileSync(p, join(d, `${k}.json`));
      files.push(join(d, `${k}.json`));
    }
  }
  return files;
}
