import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'twist-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let errors: string[] = [];
beforeEach(() => {
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/** Runs the CLI; returns the exit code and what it printed on stderr. */
async function twist(...argv: string[]): Promise<{ code: number; err: string }> {
  const code = await main(argv);
  return { code, err: errors.join('\n') };
}

describe('twist: usage errors exit 2 with a message saying what to type, and change nothing', () => {
  it('no command, unknown command', async () => {
    expect((await twist()).code).toBe(2);
    const r = await twist('trian');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'trian'; valid commands: .*train/);
  });

  it('a flag without its value is refused (no file named --seed)', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const r = await twist('render', '--out', '--seed', '3');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--out/);
      expect(readdirSync(root)).not.toContain('--seed');
    } finally {
      process.chdir(cwd);
    }
  });

  it('positional arguments, unknown flags, repeated flags, bad numbers and choices', async () => {
    for (const [argv, re] of [
      [['render', 'extra'], /Unexpected argument 'extra'/],
      [['render', '--frame', '3'], /Unknown option '--frame'.*valid options: .*--frames/s],
      [['render', '--seed', '1', '--seed', '2'], /--seed is given 2 times/],
      [['render', '--frames', 'x'], /--frames must be a number, got 'x'/],
      [['render', '--frames', '0'], /--frames must be >= 1, got 0/],
      [['render', '--frames', '2.5'], /--frames must be an integer/],
      [['render', '--dr', 'weird'], /--dr must be one of off, train, heldout, got 'weird'/],
      [['train', '--method', 'oracle', '--task', 'nope', '--out', join(root, 'x')], /--task must be one of .*cartpole-balance/],
      [['train', '--method', 'ppo', '--task', 'cartpole-balance', '--out', join(root, 'x')], /--method must be one of oracle, dreamer, dreamer-dr, dreamer-state-recon/],
      [['train', '--task', 'cartpole-balance', '--out', join(root, 'x')], /--method is required for a new run \(or --resume DIR\); e\.g\. twist train --method oracle/],
      [['eval'], /--run DIR is required/],
      [['distil', '--teacher', join(root, 't'), '--out', join(root, 'd'), '--state-recon-from', 'embed'], /--state-recon-from embed needs --state-recon W > 0/],
      [['distil', '--teacher', join(root, 't'), '--out', join(root, 'd'), '--state-recon', '1', '--state-recon-from', 'pixels'], /--state-recon-from must be one of feature, embed/],
      [['diagnose'], /twist diagnose: --run DIR is required/],
      [['diagnose', '--run', 'x', '--steps', '2'], /--steps must be >= 8, got 2/],
      [['train', '--method', 'oracle', '--task', 'cartpole-balance', '--out', join(root, 'y'), '--config', '{"agent":{"behaviour":{"nope":1}}}'], /agent config: unknown key 'nope'/],
      [['train', '--method', 'oracle', '--task', 'cartpole-balance', '--out', join(root, 'y'), '--config', '{bad'], /--config must be JSON/],
    ] as [string[], RegExp][]) {
      const r = await twist(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(re);
      errors = [];
    }
  });

  it('flags that do not apply are refused', async () => {
    const r = await twist('render', '--dr', 'train', '--backgrounds', root);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--backgrounds does not apply with --dr train/);
    errors = [];
    const r2 = await twist('train', '--resume', join(root, 'nothing'), '--seed', '3');
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--seed does not apply with --resume/);
  });

  it('an existing run directory without --resume, or a directory that is not a run', async () => {
    const dir = join(root, 'taken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const r = await twist('train', '--method', 'oracle', '--task', 'cartpole-balance', '--out', dir, '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already exists and is not empty; resume it with --resume/);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
    errors = [];
    const r2 = await twist('train', '--resume', dir, '--backend', 'cpu');
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/is not a run directory \(no run\.json\)/);
    errors = [];
    const r3 = await twist('eval', '--run', dir, '--backend', 'cpu');
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/is not a run directory/);
  });
});
