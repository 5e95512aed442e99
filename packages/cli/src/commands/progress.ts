import type { TrainProgress } from '@twist/agent/node';

export const fmtTime = (s: number | null) => {
  if (s === null || !Number.isFinite(s)) return '--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
};

/**
 * Progress for long commands: on a terminal one line rewritten in place (env steps, steps/s, last eval return,
 * ETA); otherwise a plain line at most every 30 s. Log lines are printed above the progress line.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr, out: (s: string) => void = console.log) {
  const lines = linePrinter(stream, out);
  return {
    ...lines,
    progress(p: TrainProgress): void {
      const pct = ((100 * p.envFrames) / p.steps).toFixed(1);
      lines.show(
        `[${p.phase}] ${p.envFrames}/${p.steps} env steps (${pct}%)  ${p.framesPerSecond.toFixed(1)} steps/s  ${p.updates} updates  last eval ${p.lastEval === null ? '--' : p.lastEval.toFixed(1)}  ETA ${fmtTime(p.etaSeconds)}`,
      );
    },
  };
}

/** The shared mechanics: `show(text)` rewrites the progress line (TTY) or prints it at most every 30 s. */
export function linePrinter(stream: NodeJS.WriteStream = process.stderr, out: (s: string) => void = console.log) {
  // TWIST_STDERR_TTY: stderr is a pipe to the launcher (launcher.ts) that filters Dawn's notices onto a terminal
  const tty = !!stream.isTTY || (stream === process.stderr && process.env.TWIST_STDERR_TTY === '1');
  let shown = false;
  let lastPlain = 0;
  const clear = () => {
    if (tty && shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    show(text: string): void {
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        shown = true;
      } else if (Date.now() - lastPlain > 30_000) {
        lastPlain = Date.now();
        stream.write(text + '\n');
      }
    },
    line(s: string): void {
      clear();
      out(s);
    },
    done(): void {
      clear();
    },
  };
}
