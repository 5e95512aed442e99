/**
 * Runs an experiment's plan: each unfinished run's command lines in order (a failed command stops that run,
 * not the others), at most `jobs` runs at once. How a command line is executed is given by the caller: the CLI
 * starts itself as a child process per command (`childProcessExec`), a test may call the CLI's main in-process.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { PlannedRun } from './plan.js';

/** Executes one `twist` command line (without 'twist') for a run; resolves to its exit code. */
export type Exec = (argv: string[], run: PlannedRun) => Promise<number>;

export interface RunPlanOptions {
  jobs?: number;
  exec: Exec;
  log?: (line: string) => void;
}

export interface RunPlanResult {
  /** Runs whose commands all exited 0. */
  finished: PlannedRun[];
  /** Runs that were already done. */
  skipped: PlannedRun[];
  failed: { run: PlannedRun; argv: string[]; code: number }[];
  wallSeconds: number;
}

export const runLabel = (r: PlannedRun) => `${r.method.name} / ${r.task} / seed ${r.seed}`;

export async function runPlan(plan: PlannedRun[], opts: RunPlanOptions): Promise<RunPlanResult> {
  const jobs = opts.jobs ?? 1;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new Error(`runPlan: jobs must be a positive integer, got ${jobs}`);
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const todo = plan.filter((r) => r.commands.length > 0);
  const result: RunPlanResult = { finished: [], skipped: plan.filter((r) => r.commands.length === 0), failed: [], wallSeconds: 0 };
  let next = 0;
  let started = 0;
  const worker = async () => {
    while (next < todo.length) {
      const r = todo[next++];
      const k = ++started;
      log(`[${k}/${todo.length}] ${runLabel(r)}: ${r.state === 'missing' ? 'start' : `continue (${r.state}, ${r.envFrames} env steps)`} -> ${r.dir}`);
      const s0 = performance.now();
      let ok = true;
      for (const argv of r.commands) {
        let code: number;
        try {
          code = await opts.exec(argv, r);
        } catch (e) {
          log(`  ${runLabel(r)}: could not run 'twist ${argv.join(' ')}': ${(e as Error).message}`);
          code = -1;
        }
        if (code !== 0) {
          result.failed.push({ run: r, argv, code });
          log(`  ${runLabel(r)}: 'twist ${argv[0]}' exited with code ${code} (log: ${r.log}); the run stays unfinished`);
          ok = false;
          break;
        }
      }
      if (ok) {
        result.finished.push(r);
        log(`  ${runLabel(r)}: done in ${((performance.now() - s0) / 60_000).toFixed(1)} min`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, todo.length)) }, worker));
  result.wallSeconds = (performance.now() - t0) / 1000;
  return result;
}

/**
 * Runs each command as a child process `command[0] ...command.slice(1) ...argv` (the CLI itself), appending
 * its output to the run's log file and, with `echo`, to this process's stdout. With several jobs on a
 * software-Vulkan device, each child gets LP_NUM_THREADS = cores / jobs (lavapipe's thread pool; unless
 * already set), so parallel runs share the cores instead of each taking all of them; on a real GPU the
 * children share the device through the driver.
 */
export function childProcessExec(command: string[], opts: { jobs?: number; echo?: boolean; env?: NodeJS.ProcessEnv } = {}): Exec {
  const jobs = opts.jobs ?? 1;
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  if (jobs > 1 && env.LP_NUM_THREADS === undefined) env.LP_NUM_THREADS = String(Math.max(1, Math.floor(cpus().length / jobs)));
  return (argv, run) =>
    new Promise((resolve, reject) => {
      mkdirSync(dirname(run.log), { recursive: true });
      const out = createWriteStream(run.log, { flags: 'a' });
      out.write(`\n$ twist ${argv.join(' ')}\n`);
      const p = spawn(command[0], [...command.slice(1), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
      const pipe = (b: Buffer) => {
        out.write(b);
        if (opts.echo) process.stdout.write(b);
      };
      p.stdout.on('data', pipe);
      p.stderr.on('data', pipe);
      p.on('error', (e) => {
        out.end();
        reject(e);
      });
      p.on('close', (code, signal) => {
        out.write(`[exit ${code ?? signal}]\n`);
        out.end(() => resolve(code ?? 128));
      });
    });
}
