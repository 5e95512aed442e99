import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport } from '../src/experiment/report.js';
import { writeReport } from '../src/experiment/report-files.js';
import { collectResults } from '../src/experiment/results.js';
import { parseExperiment, type Experiment } from '../src/experiment/spec.js';
import { fakeTrainRun, fakeTwistRun } from './experiment-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'twist-exp-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const A = 'cartpole-balance';
const B = 'cartpole-swingup';
let n = 0;
function experiment(extra: Record<string, unknown> = {}): Experiment {
  return parseExperiment(
    { methods: ['oracle', 'dreamer', 'twist'], tasks: [A, B], seeds: [0, 1, 2], preset: 'debug', steps: 1000, eval: { episodes: 2 }, report: { reps: 2000 }, root: join(tmp, `e${n++}`), ...extra },
    'experiments/fake.json',
  );
}
const done = (score: number, extra: object = {}) => ({ envFrames: 1000, wallSeconds: 100, returns: [score - 1, score + 1], ...extra });

/**
 * Scores (mean of each run's 2 final episodes):
 *   oracle   A: 100 200 300 (mean 200)   B: 50 50 50 (mean 50)
 *   dreamer  A: 50 100 (seed 2 unfinished) B: 25 50 75
 *   twist    A: 150 150 150               B: 40 (seeds 1, 2 missing / unfinished)
 */
function populate(e: Experiment): void {
  fakeTrainRun(e, 'oracle', A, 0, done(100, { evals: [[500, 50], [1000, 170]] }));
  fakeTrainRun(e, 'oracle', A, 1, done(200, { evals: [[500, 160], [1000, 200]], wallSeconds: 60 }));
  fakeTrainRun(e, 'oracle', A, 2, done(300, { evals: [[500, 100], [1000, 150]] }));
  for (const s of [0, 1, 2]) fakeTrainRun(e, 'oracle', B, s, done(50, { evals: [[1000, 50]] }));
  fakeTrainRun(e, 'dreamer', A, 0, done(50, { evals: [[500, 165]], wallSeconds: 80 }));
  fakeTrainRun(e, 'dreamer', A, 1, done(100));
  fakeTrainRun(e, 'dreamer', A, 2, { envFrames: 500, wallSeconds: 40 });
  [25, 50, 75].forEach((v, s) => fakeTrainRun(e, 'dreamer', B, s, done(v)));
  for (const s of [0, 1, 2]) fakeTwistRun(e, 'twist', A, s, { ...done(150), wallSeconds: 30, distilUpdates: 100, distilWall: 10, deployedEvals: [[50, 100], [100, 170]] });
  fakeTwistRun(e, 'twist', B, 0, { ...done(40), distilUpdates: 100, distilWall: 10 });
  fakeTwistRun(e, 'twist', B, 1, { envFrames: 600, wallSeconds: 20, distilUpdates: 0, distilWall: 0 });
}

describe('experiment report from run folders', () => {
  const e = experiment();
  populate(e);
  const results = collectResults(e);
  const r = buildReport(e, results);

  it('Table I: mean and population std over the finished seeds, counted k/n', () => {
    expect(r.table[A].oracle).toMatchObject({ n: 3, of: 3, scores: [100, 200, 300], mean: 200 });
    expect(r.table[A].oracle.std).toBeCloseTo(Math.sqrt((100 ** 2 + 0 + 100 ** 2) / 3), 10);
    expect(r.table[A].dreamer).toMatchObject({ n: 2, of: 3, mean: 75, std: 25 });
    expect(r.table[B].twist).toMatchObject({ n: 1, of: 3, mean: 40, std: 0 });
  });

  it('unfinished and missing runs are listed, not dropped', () => {
    expect(r.unfinished.map((u) => `${u.method}/${u.task}/${u.seed}:${u.state}`)).toEqual([`dreamer/${A}/2:partial`, `twist/${B}/1:partial`, `twist/${B}/2:missing`]);
  });

  it('IQM of Oracle-normalised scores, by hand', () => {
    if (!r.aggregate.available) throw new Error(r.aggregate.reason);
    expect(r.aggregate.oracleMean).toEqual({ [A]: 200, [B]: 50 });
    const est = (m: string) => {
      const x = r.aggregate.available && r.aggregate.methods[m];
      if (!x || !x.available) throw new Error(`no aggregate for ${m}`);
      return x.estimates;
    };
    // oracle: A 0.5 1 1.5, B 1 1 1 -> sorted 0.5 1 1 1 1 1.5, cut 1 each end -> 1
    expect(est('oracle').iqm.point).toBeCloseTo(1, 12);
    // dreamer: A 0.25 0.5, B 0.5 1 1.5 -> n = 5, cut floor(1.25) = 1 -> mean(0.5, 0.5, 1) = 2/3
    expect(est('dreamer').iqm.point).toBeCloseTo(2 / 3, 12);
    expect(est('dreamer').mean.point).toBeCloseTo((0.25 + 0.5 + 0.5 + 1 + 1.5) / 5, 12);
    // twist: A 0.75 x3, B 0.8 -> cut 1 -> 0.75
    expect(est('twist').iqm.point).toBeCloseTo(0.75, 12);
    for (const m of ['oracle', 'dreamer', 'twist']) {
      const i = est(m).iqm;
      expect(i.lo).toBeLessThanOrEqual(i.point + 1e-12);
      expect(i.hi).toBeGreaterThanOrEqual(i.point - 1e-12);
      expect(i.reps).toBe(2000);
    }
    // a task with one run only: that run is every resample of the task
    expect(r.aggregate.available && r.aggregate.methods.twist.available && r.aggregate.methods.twist.runsPerTask).toEqual({ [A]: 3, [B]: 1 });
  });

  it('wall-clock to 0.8 x the Oracle: first evaluation at or above the target, interpolated over env steps (TWIST: teacher, then distillation updates)', () => {
    if (!r.wallClock.available) throw new Error(r.wallClock.reason);
    expect(r.wallClock.targets).toEqual({ [A]: 160, [B]: 40 });
    const c = r.wallClock.cells[A];
    // oracle seed 0: 170 at 1000 of 1000 frames, 100 s -> 100 s; seed 1: 160 at 500 of 1000, 60 s -> 30 s; seed 2 never reaches 160
    expect(c.oracle.perSeed.map((p) => p.seconds)).toEqual([100, 30, null]);
    expect(c.oracle).toMatchObject({ reached: 2, of: 3, meanSeconds: 65, minSeconds: 30, maxSeconds: 100 });
    // dreamer seed 0: 165 at 500 of 1000 frames, 80 s -> 40 s
    expect(c.dreamer.perSeed[0].seconds).toBe(40);
    // twist: teacher 30 s, then 170 at update 100 of 100 (10 s) -> 40 s
    expect(c.twist).toMatchObject({ reached: 3, of: 3, meanSeconds: 40 });
    expect(r.wallClock.cells[B].twist.of).toBe(2); // seed 2 has no folder: not a run yet
  });

  it('writes report.md, report.json, three plots as PNG and SVG, and every run summary', () => {
    const out = join(tmp, 'report');
    const files = writeReport(r, results, out);
    for (const f of ['report.md', 'report.json', 'aggregate.png', 'aggregate.svg', 'curves.png', 'curves.svg', 'wallclock.png', 'wallclock.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    for (const f of ['aggregate.png', 'curves.png', 'wallclock.png']) {
      const png = readFileSync(join(out, f));
      expect(png.subarray(1, 4).toString('latin1'), f).toBe('PNG');
      expect(png.readUInt32BE(16), `${f} width (IHDR)`).toBeGreaterThan(100);
    }
    expect(files).toContain(join(out, 'runs', 'twist', A, 'seed0', 'summary.json'));
    expect(existsSync(join(out, 'runs', 'oracle', A, 'seed0', 'eval.json'))).toBe(true);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/Each run's score is the mean return over its 2 final evaluation episodes/);
    expect(md).toMatch(/a run is one seed's score \(not an episode\)/);
    expect(md).toMatch(/\| cartpole-balance \| 200\.0 \+- 81\.6 \| 75\.0 \+- 25\.0 \(2\/3\) \| 150\.0 \+- 0\.0 \| 10\.0 \| 20\.0 \|/);
    expect(md).toMatch(/dreamer \/ cartpole-balance \/ seed 2: unfinished \(500 of 1000 env steps\)/);
    expect(md).toMatch(/twist \/ cartpole-swingup \/ seed 2: not started/);
    expect(md).toMatch(/\| dreamer \| 0\.667 \[/);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.table[A].dreamer.n).toBe(2);
    expect(json.references[A]).toEqual({ zero: 10, random: 20 });
    expect(readFileSync(join(out, 'aggregate.svg'), 'utf8')).toMatch(/<svg/);
  });

  it('no aggregate without an Oracle on every task, or with a zero Oracle score: the reason is stated', () => {
    const e2 = experiment({ methods: ['oracle', 'dreamer'] });
    fakeTrainRun(e2, 'oracle', A, 0, done(1, { returns: [0, 0] }));
    fakeTrainRun(e2, 'dreamer', A, 0, done(5));
    const r2 = buildReport(e2);
    expect(r2.aggregate).toEqual({ available: false, reason: `no finished Oracle ('oracle') run on ${B}: Oracle-normalised scores need one on every task` });
    const e3 = experiment({ methods: ['oracle', 'dreamer'], tasks: [A] });
    fakeTrainRun(e3, 'oracle', A, 0, done(1, { returns: [0, 0] }));
    const r3 = buildReport(e3);
    expect(r3.aggregate.available).toBe(false);
    expect(!r3.aggregate.available && r3.aggregate.reason).toMatch(/Oracle's mean score on 'cartpole-balance' is 0; normalising by a zero or negative score is refused/);
    expect(buildReport(experiment({ methods: ['dreamer'] })).aggregate).toMatchObject({ available: false, reason: expect.stringMatching(/no 'oracle' method/) });
    // the report still writes, with the reason in place of the numbers
    const out = join(tmp, 'report3');
    writeReport(r3, collectResults(e3), out);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Not available: oracleNormalise: the Oracle's mean score/);
  });
});
