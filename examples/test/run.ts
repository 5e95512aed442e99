/**
 * Runs a program as a user would, in a child process: a TypeScript or JavaScript file that imports @twist/* from
 * source (`--conditions source`, tsx for TypeScript, a hook for .wgsl), with its own working directory.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const ROOT = resolve(here, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const WGSL = pathToFileURL(join(here, 'register-wgsl.mjs')).href;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface RunOptions {
  cwd: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Run from source (tsx + source condition + .wgsl hook); false: plain `node file` (built packages). */
  fromSource?: boolean;
}

/** Runs `file` with Node; resolves when it exits (or is killed at the timeout, then code is null). */
export function runNode(file: string, opts: RunOptions): Promise<RunResult> {
  const flags = opts.fromSource === false ? [] : ['--conditions', 'source', '--import', TSX, '--import', WGSL];
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [...flags, file, ...(opts.args ?? [])], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    p.on('error', fail);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** A failure message with the program's output, for expect(...).toBe(0) style assertions. */
export function describeRun(what: string, r: RunResult): string {
  return `${what} exited with ${r.code ?? r.signal} after ${r.seconds.toFixed(1)} s\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}
