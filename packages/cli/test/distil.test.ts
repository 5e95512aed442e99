import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDistilConfig } from '@twist/distil';
import { distilOverridesOf } from '../src/commands/distil.js';
import { cliHarness } from './cli-harness.js';

const { root, twist, fakeRun } = cliHarness('twist-cli-distil-');

describe('twist distil / twist twist: usage errors exit 2 and change nothing', () => {
  it('missing, inapplicable and malformed options', async () => {
    const out = join(root, 'never');
    for (const [argv, re] of [
      [['distil'], /--teacher is required for a new run \(or --resume DIR\); e\.g\. twist distil --teacher/],
      [['distil', '--teacher', join(root, 't')], /--out is required/],
      [['distil', '--resume', join(root, 'r'), '--no-h'], /--no-h does not apply with --resume/],
      [['distil', '--resume', join(root, 'r'), '--teacher', join(root, 't')], /--teacher does not apply with --resume/],
      [['distil', '--teacher', 't', '--out', out, '--steps', '0'], /--steps must be >= 1, got 0/],
      [['distil', '--teacher', 't', '--out', out, '--noise', 'x'], /--noise must be a number, got 'x'/],
      [['distil', '--teacher', 't', '--out', out, '--preset', 'huge'], /--preset must be one of paper, quick, debug, got 'huge'/],
      [['distil', '--teacher', 't', '--out', out, '--no-imagined', '--no-imagined'], /--no-imagined is given 2 times/],
      [['distil', '--teacher', 't', '--out', out, 'extra'], /Unexpected argument 'extra'/],
      [['distil', '--teacher', 't', '--out', out, '--lr-warmup=-1'], /--lr-warmup must be >= 0, got -1/],
      [['distil', '--teacher', 't', '--out', out, '--lr-warmup', '2.5'], /--lr-warmup must be an integer, got '2.5'/],
      [['distil', '--resume', join(root, 'r'), '--lr-warmup', '10'], /--lr-warmup does not apply with --resume/],
      [['distil', '--teacher', 't', '--out', out, '--augment-shift=-2'], /--augment-shift must be >= 0, got -2/],
      [['distil', '--resume', join(root, 'r'), '--augment-shift', '4'], /--augment-shift does not apply with --resume/],
      [['twist', '--out', out], /--task is required/],
      [['twist', '--task', 'cartpole-balance'], /--out is required/],
      [['twist', '--task', 'nope', '--out', out], /--task must be one of/],
      [['twist', '--task', 'cartpole-balance', '--out', out, '--teacher-config', '{nope'], /--teacher-config must be JSON/],
      [['twist', '--task', 'cartpole-balance', '--out', out, '--teacher-config', '{"agnt":{}}'], /--teacher-config must be an object with 'world' and\/or 'agent' keys/],
    ] as [string[], RegExp][]) {
      const r = await twist(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(re);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('--lr and --lr-warmup reach the config, each alone or both (the other keeps the preset\'s)', () => {
    const opt = (a: Record<string, unknown>) => makeDistilConfig('quick', distilOverridesOf(a as Parameters<typeof distilOverridesOf>[0]).overrides).opt;
    expect(opt({ 'lr-warmup': 100 })).toMatchObject({ lr: 3e-4, warmup: 100 });
    expect(opt({ lr: 1e-3 })).toMatchObject({ lr: 1e-3, warmup: 0 });
    expect(opt({ lr: 1e-3, 'lr-warmup': 50 })).toMatchObject({ lr: 1e-3, warmup: 50 });
  });

  it('--augment-shift reaches the config (default 0: off)', () => {
    const cfg = (a: Record<string, unknown>) => makeDistilConfig('quick', distilOverridesOf(a as Parameters<typeof distilOverridesOf>[0]).overrides);
    expect(cfg({}).augmentShift).toBe(0);
    expect(cfg({ 'augment-shift': 4 }).augmentShift).toBe(4);
  });

  it('teachers that cannot be distilled, and a --resume of something else', async () => {
    const out = join(root, 'never2');
    const world = { modality: 'state', rssm: {} };
    const noImages = fakeRun('no-images', { method: 'oracle', task: 'cartpole-balance', preset: 'debug', seed: 0, world });
    const images = fakeRun('image-run', { method: 'dreamer-dr', task: 'cartpole-balance', preset: 'debug', seed: 0, world: { modality: 'image' } });
    const noCkpt = fakeRun('no-ckpt', { method: 'oracle', task: 'cartpole-balance', preset: 'debug', seed: 0, world, collect: { images: true, imageSize: 32, domain: 'train', perStep: true } });
    for (const [argv, re] of [
      [['distil', '--teacher', join(root, 'missing'), '--out', out, '--backend', 'cpu'], /is not a run directory \(no run\.json\)/],
      [['distil', '--teacher', noImages, '--out', out, '--backend', 'cpu'], /collected no images; train the teacher with --collect-images/],
      [['distil', '--teacher', images, '--out', out, '--backend', 'cpu'], /is a 'dreamer-dr' run on images; the teacher must learn from the state/],
      [['distil', '--teacher', noCkpt, '--out', out, '--backend', 'cpu'], /has no checkpoint yet/],
      [['distil', '--resume', noImages, '--backend', 'cpu'], /is not a distillation run/],
    ] as [string[], RegExp][]) {
      const r = await twist(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(re);
    }
    expect(existsSync(out)).toBe(false);
    // a non-empty folder that is not a pipeline is refused by twist twist
    const r = await twist('twist', '--task', 'cartpole-balance', '--out', noImages, '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a 'twist twist' folder/);
    expect(readdirSync(noImages)).toEqual(['run.json']);
  });
});

describe('twist twist, then twist eval on the distillation run', () => {
  it('runs the pipeline at a smoke size and writes one summary; eval --run works on the distil run and the pipeline folder', async () => {
    const out = join(root, 'pipe');
    const r = await twist(
      'twist', '--task', 'cartpole-balance', '--preset', 'debug', '--out', out, '--teacher-steps', '400', '--distil-steps', '3',
      '--episodes', '1', '--episode-length', '100', '--backend', 'cpu',
      '--teacher-config', '{"agent":{"behaviour":{"returnNorm":true}}}',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'teacher', 'run.json'), 'utf8')).agent.behaviour.returnNorm).toBe(true);
    expect(r.out).toMatch(/deployed student \(images\), held-out domains/);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.distilSteps).toBe(3);
    expect(s.envSteps).toBe(400);
    for (const k of ['heldout', 'train', 'none']) expect(s.deployed[k].returns.length).toBe(1);
    expect(Number.isFinite(s.teacherStateReturn.mean) && Number.isFinite(s.references.zero.mean) && Number.isFinite(s.references.random.mean)).toBe(true);
    expect(s.wallSeconds.teacherPlusDistil).toBeGreaterThan(0);
    expect(existsSync(join(out, 'curve.png'))).toBe(true);
    for (const dir of [join(out, 'distil'), out]) {
      const e = await twist('eval', '--run', dir, '--domain', 'heldout', '--episodes', '1', '--episode-length', '40', '--backend', 'cpu');
      expect(e.code, e.err).toBe(0);
      expect(e.out).toMatch(/twist on cartpole-balance, domain heldout, 1 episodes: mean return/);
    }
    // Running it again continues every stage (nothing left to do) and gives the same distillation.
    const again = await twist('twist', '--task', 'cartpole-balance', '--preset', 'debug', '--out', out, '--teacher-steps', '400', '--distil-steps', '3', '--episodes', '1', '--episode-length', '100', '--backend', 'cpu');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).deployed.heldout.returns).toEqual(s.deployed.heldout.returns);
    // the existing teacher keeps its config: a --teacher-config now is refused, not ignored
    const refused = await twist('twist', '--task', 'cartpole-balance', '--preset', 'debug', '--out', out, '--teacher-steps', '400', '--backend', 'cpu', '--teacher-config', '{}');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/keeps its own config; --teacher-config applies only to a new teacher/);
  });
});
