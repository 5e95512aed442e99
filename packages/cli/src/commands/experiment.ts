import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childProcessExec, estimateRuns, loadExperiment, planExperiment, runLabel, runPlan, type Exec, type Experiment, type PlannedRun } from '@twist/agent/node';
import type { OptionSpec, Parsed } from '../args.js';
import { fmtTime } from './progress.js';
import { experimentFile, reportCommand } from './report.js';

export const experimentOptions: Record<string, OptionSpec> = {
  'dry-run': { type: 'boolean', help: 'print the plan (every run, its state, what is left) and the estimated time; run nothing' },
  jobs: { type: 'integer', default: 1, min: 1, help: 'runs at once, each as child processes of this CLI (on software Vulkan each gets cores/jobs lavapipe threads)' },
  out: { type: 'string', help: "report folder (default: the experiment's root/report)" },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device of every run' },
};

/** This CLI's own entry (bin/twist.mjs), from the built dist/ or from src/commands/. */
export function cliBin(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const p = resolve(here, up, 'bin', 'twist.mjs');
    if (existsSync(p)) return p;
  }
  throw new Error(`cannot find the twist CLI's bin/twist.mjs above ${here}`);
}

/** The plan with what is left and the time estimate, one line a run. */
export function printPlan(exp: Experiment, plan: PlannedRun[], jobs: number, log: (s: string) => void): void {
  const est = estimateRuns(plan, exp.preset, exp.steps);
  const left = plan.filter((r) => r.commands.length);
  log(`experiment ${exp.name}: ${exp.methods.length} methods x ${exp.tasks.length} tasks x ${exp.seeds.length} seeds = ${plan.length} runs at preset ${exp.preset}, ${exp.steps} env steps each, under ${exp.root}`);
  log(`  final evaluation: ${exp.eval.episodes} episodes, domain ${exp.eval.domain}, env seeds from ${exp.eval.seed}`);
  plan.forEach((r, i) => {
    const e = est[i];
    const what = r.state === 'done' ? 'done (skipped)' : r.state === 'missing' ? 'not started' : r.state === 'partial' ? `unfinished at ${r.envFrames} env steps` : 'trained, not evaluated';
    const time =
      r.state === 'done'
        ? ''
        : `  ~${fmtTime(e.seconds)} at ${e.stepsPerSecond.toFixed(2)} env steps/s (${e.source})` +
          (e.distil ? ` + ${e.distil.updatesLeft} distillation updates at ${e.distil.secondsPerUpdate.toFixed(2)} s each (${e.distil.source})` : '');
    log(`  ${runLabel(r).padEnd(44)} ${what}${time}`);
    for (const c of r.commands) log(`      twist ${c.join(' ')}`);
  });
  const total = est.reduce((a, e) => a + e.seconds, 0);
  log(
    `${left.length} of ${plan.length} runs to do; estimated training time ${fmtTime(total)} one at a time` +
      (jobs > 1 ? `, at best ${fmtTime(total / Math.min(jobs, Math.max(1, left.length)))} with --jobs ${jobs} (only if the device is not already the bottleneck)` : '') +
      ' (final evaluations not included)',
  );
}

/**
 * `twist experiment FILE`: runs what is not done yet of an experiment (a finished run is skipped, an
 * interrupted one resumes from its checkpoint), at most --jobs at once, then writes the report. `exec` runs one
 * command line; by default a child process of this CLI (output appended to <root>/logs/<run>.log).
 */
export async function experimentCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log, exec?: Exec): Promise<number> {
  const exp = loadExperiment(experimentFile(a, 'experiment'));
  const jobs = Number(a.jobs);
  const plan = planExperiment(exp, String(a.backend));
  printPlan(exp, plan, jobs, log);
  if (a['dry-run']) return 0;
  const result = await runPlan(plan, { jobs, exec: exec ?? childProcessExec([process.execPath, cliBin()], { jobs, echo: jobs === 1 }), log });
  log(`ran ${result.finished.length + result.failed.length} runs (${result.failed.length} failed), skipped ${result.skipped.length} done, in ${fmtTime(result.wallSeconds)}`);
  const code = await reportCommand({ file: exp.file, out: a.out }, [], log);
  if (result.failed.length) {
    log(`failed runs (see their logs; run the experiment again to continue them):`);
    for (const f of result.failed) log(`  ${runLabel(f.run)}: twist ${f.argv.join(' ')} -> exit ${f.code} (${f.run.log})`);
    return 1;
  }
  return code;
}
