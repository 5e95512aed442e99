import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { experimentCommand, cliBin } from '../src/commands/experiment.js';
import { main } from '../src/index.js';

/**
 * The experiment runner end to end on the CPU backend: an Oracle and a TWIST pipeline on
 * cartpole-balance at the debug preset, 1 seed, 100 env steps (2 episodes of 50 control steps), 2 held-out
 * evaluation episodes. Every command line runs in-process through the CLI's main (a child process per command,
 * the default, would load MuJoCo through tsx each time); the child-process executor is tested in
 * packages/agent/test/experiment-plan.test.ts. Then: a second call skips every run; a raised budget resumes the
 * Oracle from its checkpoint (`train --resume --steps`) and re-evaluates it; the report files are there.
 */
const root = mkdtempSync(join(tmpdir(), 'twist-experiment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// the commands' own output (progress, eval lines) is not what is tested: keep the test log readable
beforeEach(() => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

const loop = { agent: { loop: { prefill: 30, evalEvery: 100, checkpointEvery: 100, evalEpisodes: 1 } } };
function experimentFile(name: string, extra: Record<string, unknown>): string {
  const file = join(root, `${name}.json`);
  const spec = {
    methods: [
      { name: 'oracle', method: 'oracle', config: loop },
      { name: 'twist', method: 'twist', distilSteps: 4 },
    ],
    tasks: ['cartpole-balance'],
    seeds: [0],
    preset: 'debug',
    steps: 100,
    episodeLength: 50,
    eval: { domain: 'heldout', episodes: 2 },
    report: { reps: 500 },
    root: join(root, 'runs'),
    ...extra,
  };
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** Runs each command line in-process and records it. */
function recorder() {
  const calls: string[][] = [];
  const lines: string[] = [];
  return {
    calls,
    lines,
    log: (s: string) => void lines.push(s),
    exec: async (argv: string[]) => {
      calls.push(argv);
      return main(argv);
    },
  };
}

describe('twist experiment: runs what is not done, resumes, skips, reports', () => {
  const file = experimentFile('tiny', {});

  it('--dry-run prints the plan with estimates and runs nothing', async () => {
    const r = recorder();
    expect(await experimentCommand({ file, 'dry-run': true, jobs: 1, backend: 'cpu' }, [], r.log, r.exec)).toBe(0);
    expect(r.calls).toEqual([]);
    const text = r.lines.join('\n');
    expect(text).toMatch(/experiment tiny: 2 methods x 1 tasks x 1 seeds = 2 runs at preset debug, 100 env steps each/);
    expect(text).toMatch(/oracle \/ cartpole-balance \/ seed 0 +not started +~\S+ at 25\.00 env steps\/s \(preset default\)/);
    expect(text).toMatch(/twist train --method oracle --task cartpole-balance --preset debug --seed 0 --steps 100 --out/);
    expect(text).toMatch(/twist twist --task cartpole-balance .* --teacher-steps 100 --episodes 2 --eval-seed 2000000 --distil-steps 4 --episode-length 50 --backend cpu/);
    expect(text).toMatch(/2 of 2 runs to do; estimated training time/);
    expect(existsSync(join(root, 'runs'))).toBe(false);
  });

  it('runs every run, then writes the report; a second call skips them all', async () => {
    const r = recorder();
    expect(await experimentCommand({ file, jobs: 1, backend: 'cpu' }, [], r.log, r.exec)).toBe(0);
    expect(r.calls.map((c) => c[0])).toEqual(['train', 'eval', 'twist']);
    const report = join(root, 'runs', 'report');
    for (const f of ['report.md', 'report.json', 'aggregate.png', 'aggregate.svg', 'curves.png', 'curves.svg', 'wallclock.png', 'wallclock.svg']) expect(existsSync(join(report, f)), f).toBe(true);
    const json = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8'));
    expect(json.unfinished).toEqual([]);
    for (const m of ['oracle', 'twist']) {
      const cell = json.table['cartpole-balance'][m];
      expect(cell.n, m).toBe(1);
      expect(Number.isFinite(cell.mean), m).toBe(true);
    }
    expect(json.aggregate.available).toBe(true);
    expect(json.aggregate.methods.oracle.estimates.iqm.point).toBeCloseTo(1, 10); // the Oracle normalised by itself
    expect(existsSync(join(report, 'runs', 'twist', 'cartpole-balance', 'seed0', 'summary.json'))).toBe(true);
    expect(existsSync(join(report, 'runs', 'oracle', 'cartpole-balance', 'seed0', 'eval.json'))).toBe(true);

    const again = recorder();
    expect(await experimentCommand({ file, jobs: 1, backend: 'cpu' }, [], again.log, again.exec)).toBe(0);
    expect(again.calls).toEqual([]);
    expect(again.lines.join('\n')).toMatch(/0 of 2 runs to do/);
    expect(again.lines.filter((l) => /done \(skipped\)/.test(l))).toHaveLength(2);
  });

  it('a raised budget resumes the run from its checkpoint and evaluates it again; its measured rate is used', async () => {
    const more = experimentFile('tiny-more', { methods: [{ name: 'oracle', method: 'oracle', config: loop }], steps: 200 });
    const dry = recorder();
    await experimentCommand({ file: more, 'dry-run': true, jobs: 1, backend: 'cpu' }, [], dry.log, dry.exec);
    expect(dry.lines.join('\n')).toMatch(/oracle \/ cartpole-balance \/ seed 0 +unfinished at 100 env steps +~\S+ at [\d.]+ env steps\/s \(this run\)/);
    const r = recorder();
    expect(await experimentCommand({ file: more, jobs: 1, backend: 'cpu' }, [], r.log, r.exec)).toBe(0);
    expect(r.calls.map((c) => c.slice(0, 3))).toEqual([
      ['train', '--resume', join(root, 'runs', 'oracle', 'cartpole-balance', 'seed0')],
      ['eval', '--run', join(root, 'runs', 'oracle', 'cartpole-balance', 'seed0')],
    ]);
    const ckpt = JSON.parse(readFileSync(join(root, 'runs', 'oracle', 'cartpole-balance', 'seed0', 'ckpt', 'checkpoint.json'), 'utf8'));
    expect(ckpt.info.loop.envFrames).toBe(200);
  });

  it('twist report FILE through main; usage errors exit 2', async () => {
    expect(await main(['report', file, '--out', join(root, 'r2')])).toBe(0);
    expect(readFileSync(join(root, 'r2', 'report.md'), 'utf8')).toMatch(/## Runs: 2 of 2 done/);
    expect(await main(['report'])).toBe(2);
    expect(await main(['experiment', file, '--jobs', '0'])).toBe(2);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ methods: ['oracle', 'curl-sac'], tasks: ['cartpole-balance'], seeds: [0], preset: 'debug', steps: 10 }));
    expect(await main(['experiment', bad, '--dry-run'])).toBe(2);
  });

  it("the default executor starts this CLI's bin/twist.mjs", () => {
    expect(cliBin()).toMatch(/packages\/cli\/bin\/twist\.mjs$/);
  });
});
