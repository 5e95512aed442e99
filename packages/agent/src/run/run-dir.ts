import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@twist/autograd/node';

/**
 * A run directory:
 *   run.json            the run's config (method, task, preset, seed, budget, world-model and agent configs)
 *   ckpt/               the latest checkpoint (one atomic unit: weights + JSON; see @twist/autograd)
 *   replay/             episode chunks, one file each, written once as episodes finish
 *   metrics.jsonl       one JSON object a line: kind 'train' | 'eval' | 'episode'
 *   curve.png / .svg    eval return and world-model loss against env steps, redrawn as the run goes
 *   eval/               evaluation reports (per-episode returns with zero-action and random reference rows)
 */
export const RUN_FILES = { config: 'run.json', ckpt: 'ckpt', replay: 'replay', metrics: 'metrics.jsonl', curve: 'curve', eval: 'eval', summary: 'summary.json' } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function runPaths(dir: string) {
  return {
    dir,
    config: join(dir, RUN_FILES.config),
    ckpt: join(dir, RUN_FILES.ckpt),
    replay: join(dir, RUN_FILES.replay),
    metrics: join(dir, RUN_FILES.metrics),
    curve: join(dir, RUN_FILES.curve),
    eval: join(dir, RUN_FILES.eval),
    summary: join(dir, RUN_FILES.summary),
  };
}

/** Reads run.json, naming the file in every error. */
export function readRunConfig<T>(dir: string): T {
  const p = runPaths(dir).config;
  if (!existsSync(p)) throw new UsageError(`${dir} is not a run directory (no ${RUN_FILES.config})`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${p} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A new run directory: refuses an existing non-empty directory (use --resume), writes run.json. */
export function createRunDir(dir: string, config: unknown): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a directory`);
    if (readdirSync(dir).length) throw new UsageError(`${dir} already exists and is not empty; resume it with --resume ${dir}, or choose another --out`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(runPaths(dir).config, JSON.stringify(config, null, 2) + '\n');
}

/**
 * Metrics as JSON lines. On resume the file is cut back to the length it had at the checkpoint, so lines
 * written after it by the interrupted run (which the resumed run writes again) are not doubled.
 */
export class MetricsLog {
  readonly #fd: number;
  #bytes: number;
  constructor(
    readonly path: string,
    truncateTo?: number,
  ) {
    if (truncateTo !== undefined && existsSync(path)) {
      const size = statSync(path).size;
      if (size < truncateTo) throw new Error(`${path} is shorter (${size} bytes) than at the checkpoint (${truncateTo}); the run directory was modified`);
      truncateSync(path, truncateTo);
    }
    this.#fd = openSync(path, 'a');
    this.#bytes = existsSync(path) ? statSync(path).size : 0;
  }
  get bytes(): number {
    return this.#bytes;
  }
  write(row: Record<string, unknown>): void {
    const line = JSON.stringify(row, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n';
    const buf = Buffer.from(line, 'utf8');
    writeSync(this.#fd, buf);
    this.#bytes += buf.length;
  }
  close(): void {
    closeSync(this.#fd);
  }
}

/** All rows of a metrics file (skipping a torn last line from a crash). */
export function readMetricsLog(path: string): Record<string, any>[] {
  if (!existsSync(path)) return [];
  const rows: Record<string, any>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      /* a line cut by a crash: ignored */
    }
  }
  return rows;
}
