import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultStepsPerSecond, estimateRuns, DEFAULT_STEPS_PER_SECOND } from '../src/experiment/estimate.js';
import { evalFileOf, planExperiment } from '../src/experiment/plan.js';
import { childProcessExec, runPlan } from '../src/experiment/runner.js';
import { loadExperiment, parseExperiment, type Experiment } from '../src/experiment/spec.js';
import { fakeTrainRun, fakeTwistRun } from './experiment-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'twist-exp-plan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = { methods: ['oracle', 'dreamer'], tasks: ['cartpole-balance'], seeds: [0, 1], preset: 'debug', steps: 1000 };
let n = 0;
const fresh = (extra: Record<string, unknown> = {}): Experiment => parseExperiment({ ...base, root: join(tmp, `e${n++}`), ...extra }, 'experiments/test.json');

describe('experiment files: validation names key, expected and actual', () => {
  it('fills defaults: name from the file, root, held-out evaluation of 10 episodes, 50,000 resamples, threshold 0.8', () => {
    const e = parseExperiment(base, 'experiments/smoke.json');
    expect(e).toMatchObject({ name: 'smoke', root: 'runs/experiments/smoke', eval: { domain: 'heldout', episodes: 10, seed: 2_000_000 }, report: { reps: 50_000, seed: 0, threshold: 0.8 } });
    expect(e.methods).toEqual([{ name: 'oracle', method: 'oracle' }, { name: 'dreamer', method: 'dreamer' }]);
  });

  it('a method that is not registered in METHODS is refused at validation; a registered one (asym-sac) is taken', () => {
    expect(() => parseExperiment({ ...base, methods: ['oracle', 'curl-sac'] }, 'x.json')).toThrow(
      /x\.json: methods\[1\]: unknown method 'curl-sac'; expected one of oracle, dreamer, dreamer-dr, dreamer-state-recon, asym-sac, twist \(a method must be registered in @twist\/agent's METHODS/,
    );
    expect(parseExperiment({ ...base, methods: ['oracle', 'asym-sac'] }, 'x.json').methods[1]).toEqual({ name: 'asym-sac', method: 'asym-sac' });
  });

  it.each([
    [{ steps: 0 }, /steps must be an integer >= 1, got 0/],
    [{ steps: '100' }, /steps must be an integer >= 1, got "100"/],
    [{ seeds: [0, 0] }, /seeds must be distinct integers/],
    [{ seeds: [] }, /seeds must be a non-empty array, got \[\]/],
    [{ tasks: ['cartpole'] }, /tasks\[0\] must be one of .*cartpole-balance/],
    [{ preset: 'huge' }, /preset must be one of paper, quick, debug|preset must be one of .*debug/],
    [{ bogus: 1 }, /unknown key 'bogus'; valid keys: name, description, methods/],
    [{ eval: { domain: 'weird' } }, /eval\.domain must be none, train, heldout or folder:<dir>, got "weird"/],
    [{ eval: { episodes: 0 } }, /eval\.episodes must be an integer >= 1, got 0/],
    [{ eval: { count: 3 } }, /unknown key 'eval\.count'/],
    [{ report: { threshold: 1.5 } }, /report\.threshold must be a number in \(0, 1\], got 1\.5/],
    [{ methods: ['oracle', 'oracle'] }, /'oracle' is listed twice/],
    [{ methods: [{ method: 'twist', config: { agent: { behaviour: { warmup: -1 } } } }] }, /methods\[0\]\.config: agent config: 'behaviour\.warmup' must be a non-negative integer/],
    [{ config: { agent: { behaviour: { nope: 1 } } } }, /x\.json: config: agent config: unknown key 'nope'/],
    [{ config: { agent: { behaviour: { warmup: 3 } } }, methods: ['oracle', { method: 'dreamer', config: { agent: { behaviour: { horizon: 0 } } } }] }, /methods\[1\]\.config \(merged over the shared config\): agent config: 'behaviour\.horizon' must be a positive integer/],
    [{ config: { sac: {} } }, /unknown key 'config\.sac'; valid keys: world, agent/],
    [{ methods: [{ method: 'oracle', distilSteps: 5 }] }, /methods\[0\]\.distilSteps applies only to method 'twist', not 'oracle'/],
    [{ methods: [{ method: 'oracle', config: { agent: { loop: { nope: 1 } } } }] }, /methods\[0\]\.config: agent config: unknown key 'nope'/],
    [{ methods: [{ method: 'twist', ablations: { noEq4: true } }] }, /unknown key 'methods\[0\]\.ablations\.noEq4'; valid keys: noImagined, noH, noPost/],
  ])('%j', (extra, re) => {
    expect(() => parseExperiment({ ...base, ...extra }, 'x.json')).toThrow(re);
  });

  it('a shared config is merged under each Dreamer method\'s own (objects key by key, arrays replaced), not given to asym-sac', () => {
    const shared = { world: { rssm: { actionEmbed: 64 }, opt: { lr: 6e-4 } }, agent: { behaviour: { actorLayers: [128, 128], warmup: 300 } } };
    const e = parseExperiment(
      { ...base, config: shared, methods: ['oracle', { method: 'dreamer', config: { world: { opt: { eps: 1e-6 } }, agent: { behaviour: { actorLayers: [64] } } } }, 'asym-sac', 'twist'] },
      'x.json',
    );
    expect(e.config).toEqual(shared);
    expect(e.methods[0].config).toEqual(shared);
    expect(e.methods[1].config).toEqual({ world: { rssm: { actionEmbed: 64 }, opt: { lr: 6e-4, eps: 1e-6 } }, agent: { behaviour: { actorLayers: [64], warmup: 300 } } });
    expect(e.methods[2]).toEqual({ name: 'asym-sac', method: 'asym-sac' });
    expect(e.methods[3].config).toEqual(shared);
    // the shared object itself is not changed by the merge
    expect(shared.world.opt).toEqual({ lr: 6e-4 });
  });

  it('refuses YAML and unreadable files, with the file named', () => {
    writeFileSync(join(tmp, 'a.yaml'), 'methods: []');
    expect(() => loadExperiment(join(tmp, 'a.yaml'))).toThrow(/YAML experiment files are not supported/);
    writeFileSync(join(tmp, 'b.json'), '{oops');
    expect(() => loadExperiment(join(tmp, 'b.json'))).toThrow(/b\.json is not valid JSON/);
    expect(() => loadExperiment(join(tmp, 'none.json'))).toThrow(/does not exist/);
  });

  it('the committed cartpole smoke experiment is valid', () => {
    const e = loadExperiment(join(__dirname, '../../../experiments/cartpole-smoke.json'));
    expect(e.preset).toBe('debug');
    expect(e.methods.length).toBeGreaterThanOrEqual(2);
  });

  it('the committed Table I experiments are valid: all six methods; the quick ones share the learned teacher settings', () => {
    const six = ['oracle', 'twist', 'dreamer', 'dreamer-dr', 'dreamer-state-recon', 'asym-sac'];
    const quick = loadExperiment(join(__dirname, '../../../experiments/table1-quick.json'));
    expect(quick.methods.map((m) => m.method).sort()).toEqual([...six].sort());
    expect(quick.methods.find((m) => m.method === 'twist')!.config).toEqual(quick.config);
    expect(quick.methods.find((m) => m.method === 'asym-sac')!.config).toBeUndefined();
    const paper = loadExperiment(join(__dirname, '../../../experiments/table1-paper.json'));
    expect(paper).toMatchObject({ preset: 'paper', steps: 500_000, seeds: [0, 1, 2], eval: { domain: 'heldout', episodes: 100 } });
    expect(paper.tasks).toHaveLength(6);
    const abl = loadExperiment(join(__dirname, '../../../experiments/twist-eq4-ablation-quick.json'));
    expect(abl.methods.find((m) => m.name === 'twist-no-eq4')!.ablations).toEqual({ noImagined: true });
  });
});

describe('the plan: what each run folder still needs', () => {
  it('missing runs get a new train and the final eval; seed-major order', () => {
    const e = fresh({ episodeLength: 50, methods: ['oracle', { name: 'dr-warm', method: 'dreamer-dr', config: { agent: { behaviour: { warmup: 10 } } } }] });
    const plan = planExperiment(e, 'cpu');
    expect(plan.map((r) => `${r.method.name}/${r.seed}`)).toEqual(['oracle/0', 'dr-warm/0', 'oracle/1', 'dr-warm/1']);
    expect(plan.every((r) => r.state === 'missing')).toBe(true);
    const [train, ev] = plan[1].commands;
    expect(train).toEqual([
      'train', '--method', 'dreamer-dr', '--task', 'cartpole-balance', '--preset', 'debug', '--seed', '0', '--steps', '1000', '--out', join(e.root, 'dr-warm', 'cartpole-balance', 'seed0'),
      '--episode-length', '50', '--config', '{"agent":{"behaviour":{"warmup":10}}}', '--backend', 'cpu',
    ]);
    expect(ev).toEqual(['eval', '--run', plan[1].dir, '--domain', 'heldout', '--episodes', '10', '--seed', '2000000', '--out', evalFileOf(e, plan[1].dir), '--episode-length', '50', '--backend', 'cpu']);
  });

  it('an interrupted run resumes, a trained one is only evaluated, a done one is skipped, a stale evaluation is redone', () => {
    const e = fresh();
    fakeTrainRun(e, 'oracle', 'cartpole-balance', 0, { envFrames: 400, wallSeconds: 10 });
    fakeTrainRun(e, 'dreamer', 'cartpole-balance', 0, { envFrames: 1000, wallSeconds: 50 });
    const done = fakeTrainRun(e, 'oracle', 'cartpole-balance', 1, { envFrames: 1000, wallSeconds: 20, returns: Array(10).fill(5) });
    const stale = fakeTrainRun(e, 'dreamer', 'cartpole-balance', 1, { envFrames: 1000, wallSeconds: 50, returns: Array(10).fill(5) });
    const old = new Date(Date.now() - 60_000);
    utimesSync(evalFileOf(e, stale), old, old); // evaluated before the last checkpoint
    const plan = planExperiment(e);
    expect(plan.map((r) => r.state)).toEqual(['partial', 'trained', 'done', 'trained']);
    expect(plan[0].commands[0]).toEqual(['train', '--resume', plan[0].dir, '--steps', '1000', '--backend', 'auto']);
    expect(plan[1].commands.map((c) => c[0])).toEqual(['eval']);
    expect(plan[2].commands).toEqual([]);
    expect(plan[2].evalFile).toBe(evalFileOf(e, done));
  });

  it('a folder made with other settings is refused, not resumed; a non-run folder too', () => {
    const e = fresh();
    fakeTrainRun(e, 'oracle', 'cartpole-balance', 0, { envFrames: 400, wallSeconds: 10, preset: 'quick' });
    expect(() => planExperiment(e)).toThrow(/seed0 was made with preset "quick", but experiments\/test\.json asks for "debug"; move the folder away/);
    const e2 = fresh();
    mkdirSync(join(e2.root, 'oracle', 'cartpole-balance', 'seed0'), { recursive: true });
    writeFileSync(join(e2.root, 'oracle', 'cartpole-balance', 'seed0', 'notes.txt'), 'x');
    expect(() => planExperiment(e2)).toThrow(/is not empty and is not a run directory/);
  });

  it("twist runs are 'twist twist' pipelines; done when the teacher and the distillation reached their budgets and the summary evaluated them", () => {
    const e = fresh({ methods: ['oracle', { name: 'twist-no-eq4', method: 'twist', distilSteps: 50, ablations: { noImagined: true } }], seeds: [0, 1], eval: { episodes: 3 } });
    fakeTwistRun(e, 'twist-no-eq4', 'cartpole-balance', 0, { envFrames: 1000, wallSeconds: 30, distilUpdates: 50, distilWall: 5, returns: [1, 2, 3] });
    fakeTwistRun(e, 'twist-no-eq4', 'cartpole-balance', 1, { envFrames: 1000, wallSeconds: 30, distilUpdates: 20, distilSteps: 50, distilWall: 2 });
    const plan = planExperiment(e, 'cpu').filter((r) => r.method.method === 'twist');
    expect(plan.map((r) => r.state)).toEqual(['done', 'partial']);
    expect(plan[1].commands).toEqual([
      [
        'twist', '--task', 'cartpole-balance', '--preset', 'debug', '--seed', '1', '--out', plan[1].dir, '--teacher-steps', '1000', '--episodes', '3', '--eval-seed', '2000000',
        '--distil-steps', '50', '--no-imagined', '--backend', 'cpu',
      ],
    ]);
  });

  it("a twist run's config is its teacher's: passed as --teacher-config", () => {
    const cfg = { agent: { behaviour: { returnNorm: true } } };
    const e = fresh({ methods: [{ method: 'twist', config: cfg }], seeds: [0] });
    const [pipeline] = planExperiment(e, 'cpu')[0].commands;
    expect(pipeline.slice(pipeline.indexOf('--teacher-config'), pipeline.indexOf('--teacher-config') + 2)).toEqual(['--teacher-config', JSON.stringify(cfg)]);
  });
});

describe('time estimates: measured rates first, then the preset default, saying which', () => {
  it('this run, other runs of the method, preset default', () => {
    const e = fresh({ seeds: [0, 1, 2] });
    fakeTrainRun(e, 'oracle', 'cartpole-balance', 0, { envFrames: 500, wallSeconds: 50 }); // 10 env steps/s
    const plan = planExperiment(e);
    const est = estimateRuns(plan, e.preset, e.steps);
    expect(est[0]).toMatchObject({ source: 'this run', stepsPerSecond: 10, seconds: 50 });
    expect(est[2]).toMatchObject({ source: 'other runs of the method', stepsPerSecond: 10, seconds: 100 }); // oracle seed 1
    expect(est[1]).toMatchObject({ source: 'preset default', stepsPerSecond: DEFAULT_STEPS_PER_SECOND.debug.image }); // dreamer
  });

  it('the preset default depends on what the method sees: state (oracle, the twist teacher) or images', () => {
    expect(defaultStepsPerSecond('quick', 'oracle')).toBe(DEFAULT_STEPS_PER_SECOND.quick.state);
    expect(defaultStepsPerSecond('quick', 'twist')).toBe(DEFAULT_STEPS_PER_SECOND.quick.state);
    for (const m of ['dreamer', 'dreamer-dr', 'dreamer-state-recon']) expect(defaultStepsPerSecond('quick', m)).toBe(DEFAULT_STEPS_PER_SECOND.quick.image);
    expect(defaultStepsPerSecond('quick', 'asym-sac')).toBe(DEFAULT_STEPS_PER_SECOND.quick.sac);
    expect(DEFAULT_STEPS_PER_SECOND.quick.sac).toBeGreaterThan(DEFAULT_STEPS_PER_SECOND.quick.image);
    expect(DEFAULT_STEPS_PER_SECOND.quick.image).toBeLessThan(DEFAULT_STEPS_PER_SECOND.quick.state);
  });
});

describe('runPlan: at most N runs at once, a failed command stops only its run', () => {
  it('jobs = 2', async () => {
    const e = fresh({ seeds: [0, 1, 2] });
    const plan = planExperiment(e);
    let inFlight = 0;
    let most = 0;
    const calls: string[] = [];
    const result = await runPlan(plan, {
      jobs: 2,
      exec: async (argv, r) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((res) => setTimeout(res, 5));
        inFlight--;
        calls.push(`${r.method.name}/${r.seed}:${argv[0]}`);
        return r.method.name === 'dreamer' && r.seed === 1 && argv[0] === 'train' ? 3 : 0;
      },
    });
    expect(most).toBe(2);
    expect(result.finished).toHaveLength(5);
    expect(result.failed.map((f) => [f.run.method.name, f.run.seed, f.argv[0], f.code])).toEqual([['dreamer', 1, 'train', 3]]);
    expect(calls).not.toContain('dreamer/1:eval');
    expect(calls.filter((c) => c.endsWith(':eval'))).toHaveLength(5);
  });
});

describe('childProcessExec: one child process per command line, output appended to the run log', () => {
  it('passes the command line, returns the exit code, gives parallel children cores/jobs lavapipe threads', async () => {
    const e = fresh();
    const [run] = planExperiment(e);
    const script = 'console.log("args " + process.argv.slice(1).join(" ") + " LP=" + process.env.LP_NUM_THREADS); process.exit(Number(process.argv[2]))';
    const env = { LP_NUM_THREADS: undefined };
    expect(await childProcessExec([process.execPath, '-e', script], { jobs: 2, env })(['eval', '0'], run)).toBe(0);
    expect(await childProcessExec([process.execPath, '-e', script], { jobs: 1, env })(['train', '7'], run)).toBe(7);
    const log = readFileSync(run.log, 'utf8');
    expect(log).toMatch(/\$ twist eval 0\nargs eval 0 LP=\d+\n\[exit 0\]/);
    expect(log).toMatch(/\$ twist train 7\nargs train 7 LP=undefined\n\[exit 7\]/);
  });
});
