import { join } from 'node:path';
import { buildReport, collectResults, loadExperiment, writeReport } from '@twist/agent/node';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';

export const reportOptions: Record<string, OptionSpec> = {
  out: { type: 'string', help: "report folder (default: the experiment's root/report)" },
};

/** The experiment file, given as the command's one positional argument. */
export function experimentFile(a: Parsed, cmd: string): string {
  if (a.file === undefined) throw new UsageError(`twist ${cmd}: the experiment file is required; e.g. twist ${cmd} experiments/cartpole-smoke.json`);
  return String(a.file);
}

/**
 * `twist report FILE`: the experiment's report from its run folders as they are now (report.md, report.json,
 * aggregate / curves / wallclock plots as PNG and SVG, every run's summary). Unfinished and missing runs are
 * listed and counted, not dropped. Runs nothing and needs no device.
 */
export async function reportCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  const exp = loadExperiment(experimentFile(a, 'report'));
  const out = a.out !== undefined ? String(a.out) : join(exp.root, 'report');
  const results = collectResults(exp);
  const report = buildReport(exp, results);
  writeReport(report, results, out);
  const done = report.runs.filter((r) => r.state === 'done').length;
  log(`report of ${exp.name}: ${done} of ${report.runs.length} runs done${report.unfinished.length ? ` (${report.unfinished.length} missing or unfinished, listed in the report)` : ''}`);
  for (const t of exp.tasks) {
    log(`  ${t}: ${exp.methods.map((m) => { const c = report.table[t][m.name]; return `${m.name} ${c.n ? `${c.mean!.toFixed(1)} +- ${c.std!.toFixed(1)}` : '-'} (${c.n}/${c.of})`; }).join(', ')}`);
  }
  const agg = report.aggregate;
  if (agg.available) {
    for (const m of exp.methods) {
      const x = agg.methods[m.name];
      log(`  IQM of Oracle-normalised score, ${m.name}: ${x.available ? `${x.estimates.iqm.point.toFixed(3)} [${x.estimates.iqm.lo.toFixed(3)}, ${x.estimates.iqm.hi.toFixed(3)}]` : `not available (${x.reason})`}`);
    }
  } else log(`  aggregate not available: ${agg.reason}`);
  log(`  wrote ${join(out, 'report.md')}, report.json, aggregate/curves/wallclock .png/.svg`);
  return 0;
}
