import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * Dawn's two limit notices. Dawn prints them from native code (Limits.cpp, dawn::WarningLog) straight to file
 * descriptor 2 whenever it opens a Vulkan adapter that reports more dynamic buffers than it supports (lavapipe
 * and most desktop drivers report 500000-1000000; Dawn keeps 16). There is no toggle to silence them, and a user
 * cannot act on them: our kernels bind at most one dynamic-offset buffer. Only these exact lines are dropped.
 */
export const DAWN_LIMIT_WARNING =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;
const PREFIX = 'Warning: maxDynamic';

/**
 * A stream filter that drops DAWN_LIMIT_WARNING lines and passes everything else through unchanged and at once:
 * text without a newline yet (a progress line rewritten with '\r') is written immediately unless it could still
 * become a Dawn notice (it is a prefix of one so far), which is held only until its line is complete.
 */
export function dawnWarningFilter(write: (s: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  return {
    push(chunk: string): void {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!DAWN_LIMIT_WARNING.test(line)) write(line + '\n');
      }
      // an incomplete line: held only while it may still be a notice (it begins like one), else written now
      const mayBeNotice = pending.length < 200 && (PREFIX.startsWith(pending) || pending.startsWith(PREFIX));
      if (pending && !mayBeNotice) {
        write(pending);
        pending = '';
      }
    },
    end(): void {
      if (pending && !DAWN_LIMIT_WARNING.test(pending)) write(pending);
      pending = '';
    },
  };
}

/** Set in the child: it does the work (and its stderr is already being filtered). */
const CHILD = 'TWIST_STDERR_FILTERED';

/**
 * Entry of the `twist` bin and of `npm start`: re-runs `script` with the same arguments in a child Node process
 * whose stderr passes through dawnWarningFilter, and returns the child's exit code; returns null in the process
 * that should do the work itself: the child, or any process where filtering is off (TWIST_DAWN_WARNINGS=1 keeps
 * Dawn's lines; TWIST_BACKEND=cpu opens no adapter). stdin and stdout are the parent's own; the child is told
 * whether stderr was a terminal (TWIST_STDERR_TTY), so progress lines are still rewritten in place. Signals the
 * parent receives (SIGINT, SIGTERM, SIGHUP) are passed on, and a child killed by a signal kills the parent with it.
 */
export async function relaunchFilteringDawnWarnings(script: string, argv: readonly string[]): Promise<number | null> {
  const env = process.env;
  if (env[CHILD] === '1' || env.TWIST_DAWN_WARNINGS === '1' || env.TWIST_BACKEND === 'cpu') return null;
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...env, [CHILD]: '1', ...(process.stderr.isTTY ? { TWIST_STDERR_TTY: '1' } : {}) },
  });
  const filter = dawnWarningFilter((s) => process.stderr.write(s));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => filter.push(c));
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // A terminal's Ctrl-C reaches the whole process group (the child too); passing it on again is harmless: the
  // child's default action is the same, and the run's checkpoints are atomic.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const s of signals) process.on(s, forward);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  filter.end();
  for (const s of signals) process.off(s, forward);
  if (signal) {
    process.kill(process.pid, signal);
    return 128 + (constants.signals[signal] ?? 0); // the shell's convention, if the signal did not end us
  }
  return code ?? 1;
}
