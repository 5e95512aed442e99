// Shared by the loop tests: temporary run folders, and the check that two runs ended bit for bit the same.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { loadSafetensors } from '@twist/autograd/node';
import { readMetricsLog, runPaths } from '../src/node.js';

/** A `tmp()` that returns a fresh run path per call; all are removed after the file's tests. */
export function tempRuns(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return join(d, 'run');
  };
}

/** The checkpoint.json of a run. */
export const checkpointJson = (dir: string) => JSON.parse(readFileSync(join(runPaths(dir).ckpt, 'checkpoint.json'), 'utf8'));

/** Two runs have the same weights (bytes) and the same metrics rows (wall-clock fields aside). */
export function expectSameRun(a: string, b: string): void {
  const weights = (dir: string) => loadSafetensors(join(runPaths(dir).ckpt, checkpointJson(dir).weights.file)).tensors;
  const wa = weights(a);
  const wb = weights(b);
  expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
  for (const [k, t] of wa) expect(Buffer.from(wb.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ wallSeconds: _w, ...r }) => r);
  expect(strip(readMetricsLog(runPaths(b).metrics))).toEqual(strip(readMetricsLog(runPaths(a).metrics)));
}
