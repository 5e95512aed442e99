import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { main } from '../src/index.js';

/**
 * The CLI test fixture: a temporary root (removed after the file), console.log / console.error captured per
 * test, `twist(...argv)` running the command in-process, and `fakeRun` writing a run directory with only a
 * run.json (enough for the checks that come before any training). Call at the top level of a test file.
 */
export function cliHarness(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let errors: string[] = [];
  let logs: string[] = [];
  beforeEach(() => {
    errors = [];
    logs = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());
  const twist = async (...argv: string[]): Promise<{ code: number; err: string; out: string }> => {
    const code = await main(argv);
    return { code, err: errors.join('\n'), out: logs.join('\n') };
  };
  const fakeRun = (name: string, config: Record<string, unknown>): string => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'run.json'), JSON.stringify(config));
    return d;
  };
  return { root, twist, fakeRun };
}
