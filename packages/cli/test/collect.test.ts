import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliHarness } from './cli-harness.js';

const { root, twist, fakeRun } = cliHarness('twist-cli-collect-');

describe('twist collect / twist export: usage errors exit 2 and write nothing', () => {
  it('missing options, teachers that cannot collect, runs that cannot be exported', async () => {
    const out = join(root, 'never');
    const world = { modality: 'state', rssm: {} };
    const images = fakeRun('image-run', { method: 'dreamer-dr', task: 'cartpole-balance', preset: 'debug', seed: 0, world: { modality: 'image' } });
    const noCkpt = fakeRun('no-ckpt', { method: 'oracle', task: 'cartpole-balance', preset: 'debug', seed: 0, world });
    const distilRun = fakeRun('distil-run', { kind: 'distil', task: 'cartpole-balance' });
    const sac = fakeRun('sac-run', { method: 'asym-sac', task: 'cartpole-balance', world: { modality: 'image' } });
    for (const [argv, re] of [
      [['collect', '--out', out, '--episodes', '1'], /--teacher is required/],
      [['collect', '--teacher', noCkpt, '--episodes', '1'], /--out is required/],
      [['collect', '--teacher', noCkpt, '--out', out], /--episodes is required/],
      [['collect', '--teacher', noCkpt, '--out', out, '--episodes', '0'], /--episodes must be >= 1/],
      [['collect', '--teacher', noCkpt, '--out', out, '--episodes', '1', '--domain', 'heldout'], /--domain must be one of train/],
      [['collect', '--teacher', join(root, 'missing'), '--out', out, '--episodes', '1', '--backend', 'cpu'], /is not a run directory \(no run\.json\)/],
      [['collect', '--teacher', images, '--out', out, '--episodes', '1', '--backend', 'cpu'], /is a 'dreamer-dr' run on images; the teacher must act from the state \(an oracle run\)/],
      [['collect', '--teacher', noCkpt, '--out', out, '--episodes', '1', '--backend', 'cpu'], /has no checkpoint yet/],
      [['collect', '--teacher', noCkpt, '--out', out, '--episodes', '1', '--backend', 'cpu', '--action-noise', '0,-1'], /--action-noise must be stds >= 0 separated by commas .*got '-1' in '0,-1'/],
      [['collect', '--teacher', noCkpt, '--out', out, '--episodes', '1', '--backend', 'cpu', '--action-noise', '0.3,,1'], /got '' in '0.3,,1'/],
      [['collect', '--teacher', distilRun, '--out', out, '--episodes', '1', '--backend', 'cpu'], /is a distillation run; collect takes a training run/],
      [['collect', '--teacher', sac, '--out', out, '--episodes', '1', '--backend', 'cpu'], /is an 'asym-sac' run: it has no world model/],
      [['export', '--out', out, '--weights-only'], /--run is required/],
      [['export', '--run', noCkpt, '--out', out], /only weights-only exports exist so far: add --weights-only/],
      [['export', '--run', noCkpt, '--out', out, '--weights-only', '--backend', 'cpu'], /has no checkpoint yet/],
    ] as [string[], RegExp][]) {
      const r = await twist(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(re);
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('a debug teacher -> export --weights-only -> collect -> distil -> eval', () => {
  it('the slim teacher collects matched data that twist distil takes', async () => {
    const teacher = join(root, 'teacher');
    let r = await twist('train', '--method', 'oracle', '--task', 'cartpole-balance', '--preset', 'debug', '--steps', '400', '--episode-length', '100', '--out', teacher, '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    const slim = join(root, 'slim');
    r = await twist('export', '--run', teacher, '--out', slim, '--weights-only', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/weights only, [\d.]+ MiB/);
    // a weights-only teacher holds no collected data: distil says to collect first
    r = await twist('distil', '--teacher', slim, '--out', join(root, 'never'), '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/collect with it \(twist collect --teacher/);
    // it evaluates like the run it came from
    r = await twist('eval', '--run', slim, '--domain', 'none', '--episodes', '1', '--episode-length', '40', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);

    const data = join(root, 'data');
    r = await twist('collect', '--teacher', slim, '--out', data, '--episodes', '3', '--envs', '2', '--seed', '7', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/episodes 3\/3: teacher return/);
    expect(r.out).toMatch(/done: 3 episodes, 150 policy steps \(300 env frames\)/);
    const cfg = JSON.parse(readFileSync(join(data, 'run.json'), 'utf8'));
    expect(cfg.episodeLength).toBe(100); // the teacher's
    expect(cfg.source.collected).toEqual({ episodes: 3, seed: 7, envs: 2, domain: 'train' });
    // the collection is not a training run to resume
    r = await twist('train', '--resume', data, '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/holds weights only/);

    const dist = join(root, 'distil');
    r = await twist('distil', '--teacher', data, '--out', dist, '--steps', '2', '--eval-episodes', '1', '--latent-episodes', '0', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/done: 2 distillation updates/);
    const s = JSON.parse(readFileSync(join(dist, 'summary.json'), 'utf8'));
    expect(s.distilSteps).toBe(2);
    expect(s.teacherCheckpoint.envFrames).toBe(400); // how far the teacher had trained, through export and collect
    r = await twist('eval', '--run', dist, '--domain', 'heldout', '--episodes', '1', '--episode-length', '40', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/twist on cartpole-balance, domain heldout/);
  });
});
