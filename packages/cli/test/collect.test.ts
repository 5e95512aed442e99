import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Replay } from '@twist/agent/node';
import { loadSafetensors } from '@twist/autograd/node';
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
      [['collect', '--teacher', noCkpt, '--out', out, '--episodes', '1', '--backend', 'cpu', '--random-actions', '0.5,2'], /--random-actions must be probabilities in \[0, 1\] separated by commas .*got '2' in '0.5,2'/],
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
    expect(r.out).toMatch(/background (rings|waves|cells|marble|zigzag): 1 episodes, mean [\d.-]+ \(min [\d.-]+, max [\d.-]+; zero action [\d.-]+\)/);
    // the deployed agent's own directory (what assets/students hold) evaluates to the same returns on the same seeds
    const viaDir = join(root, 'eval-deployed-dir.json');
    r = await twist('eval', '--run', join(dist, 'deployed'), '--domain', 'heldout', '--episodes', '1', '--episode-length', '40', '--out', viaDir, '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(viaDir, 'utf8')).returns).toEqual(JSON.parse(readFileSync(join(dist, 'eval', 'heldout-1ep-seed2000000.json'), 'utf8')).returns);
    const runReport = JSON.parse(readFileSync(viaDir, 'utf8'));
    expect(runReport.paired.zero.point).toBeCloseTo(runReport.returns[0] - runReport.references.zero.returns[0], 9);
    expect(r.out).toMatch(/paired difference on the same seeds \(95% bootstrap CI\): vs zero action [-+][\d.]+ \[[-+][\d.]+, [-+][\d.]+\], vs random/);
    // twist compare: the same agent on the same episodes differs by exactly 0; other episodes are refused
    r = await twist('compare', '--a', viaDir, '--b', join(dist, 'eval', 'heldout-1ep-seed2000000.json'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/1 paired episodes: .*\n  A - B: \+0\.0, 95% bootstrap CI \[\+0\.0, \+0\.0\] \(10000 resamples\): no clear difference/);
    const other = join(root, 'eval-other-seed.json');
    writeFileSync(other, JSON.stringify({ ...runReport, seeds: [7] }));
    r = await twist('compare', '--a', viaDir, '--b', other);
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/twist compare: the reports ran different episodes: --a seeds 2000000\.\.2000000 \(1\), --b seeds 7\.\.7 \(1\)/)]);
    writeFileSync(other, JSON.stringify({ ...runReport, domain: 'none' }));
    r = await twist('compare', '--a', viaDir, '--b', other);
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/the reports differ in domain: 'heldout' \(--a\) against 'none' \(--b\).*--any-domain/)]);
    r = await twist('compare', '--a', viaDir, '--b', other, '--any-domain');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/domains heldout \(A\) and none \(B\), 1 paired episodes: /);
    if (runReport.returns[0] > 0) expect(r.out).toMatch(/A \/ B: 1\.000, 95% bootstrap CI \[1\.000, 1\.000\]/);
    // the deployed agent with a deterministic filter (z = the posterior's mode); refused for other methods
    r = await twist('eval', '--run', dist, '--domain', 'heldout', '--episodes', '1', '--episode-length', '40', '--latent', 'mode', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote .*heldout-1ep-seed2000000-latent-mode\.json/);
    r = await twist('eval', '--run', slim, '--latent', 'mode', '--episodes', '1', '--episode-length', '40', '--backend', 'cpu');
    expect([r.code, r.err.split('\n').at(-1)]).toEqual([2, expect.stringMatching(/--latent applies to a distillation run's deployed agent; .* is a run of method 'oracle'/)]);

    // a second, DAgger-style round: the student drives, the first round's episodes are included, and the next
    // student starts from the first one's weights
    for (const [argv, re] of [
      [['collect', '--teacher', slim, '--out', join(root, 'never'), '--episodes', '1', '--driver-policy', 'mode'], /--driver-policy applies with --driver only/],
      [['collect', '--teacher', slim, '--out', join(root, 'never'), '--episodes', '1', '--driver', data, '--backend', 'cpu'], /twist collect: --driver .* is neither a distillation run nor a deployed agent's directory/],
      [['collect', '--teacher', slim, '--out', join(root, 'never'), '--episodes', '1', '--include', slim, '--backend', 'cpu'], /--include .* holds no collected images/],
      [['distil', '--teacher', data, '--out', join(root, 'never'), '--init', data, '--backend', 'cpu'], /twist distil: --init .* is neither a distillation run nor a deployed agent's directory/],
      [['distil', '--teacher', data, '--out', join(root, 'never'), '--init', dist, '--preset', 'quick', '--backend', 'cpu'], /--init .* holds a student of another config \(differs in \w+/],
    ] as [string[], RegExp][]) {
      const e = await twist(...argv);
      expect(e.code, argv.join(' ')).toBe(2);
      expect(e.err, argv.join(' ')).toMatch(re);
    }
    const data2 = join(root, 'data2');
    r = await twist('collect', '--teacher', slim, '--include', data, '--driver', dist, '--out', data2, '--episodes', '2', '--envs', '2', '--seed', '7', '--action-noise', '0,0.5', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/included 3 episodes \(153 steps\) of /);
    expect(r.out).toMatch(/episodes 2\/2: driver return .* \(action noise 0, 0.5\)/);
    const cfg2 = JSON.parse(readFileSync(join(data2, 'run.json'), 'utf8'));
    expect(cfg2.source.collected).toMatchObject({ episodes: 2, seed: 7, firstEpisode: 3, included: { episodes: 3 }, driver: { kind: 'deployed', updates: 2, mode: 'sample' } });
    const open = (d: string) => {
      const st = JSON.parse(readFileSync(join(d, 'ckpt', 'checkpoint.json'), 'utf8')).info.replay;
      return Replay.open(join(d, 'replay'), { ...st.config, obs: 'image' }, st);
    };
    const [one, two] = [open(data), open(data2)];
    const [ids1, ids2] = [one.episodeIds(), two.episodeIds()];
    expect(ids2.length).toBe(5);
    ids1.forEach((id, k) => {
      const [a, b] = [one.episode(id)!, two.episode(ids2[k])!];
      expect([b.length, Buffer.from(b.state.buffer, b.state.byteOffset, b.state.byteLength).equals(Buffer.from(a.state.buffer, a.state.byteOffset, a.state.byteLength))]).toEqual([a.length, true]);
      expect(Buffer.from(b.image!).equals(Buffer.from(a.image!))).toBe(true);
      expect(Array.from(b.flags)).toEqual(Array.from(a.flags));
    });
    // the new episodes start from other env seeds than the included ones
    const firsts = ids2.map((id) => Array.from(two.episode(id)!.state.subarray(0, cfg.world.stateSize)).join());
    expect(new Set(firsts).size).toBe(5);

    // DAgger's mixture at share 0: every executed action is the teacher's, so the collection is the teacher's own
    // (same seed and envs as `data`), step for step, though the driver acts too
    const data0 = join(root, 'data-share0');
    r = await twist('collect', '--teacher', slim, '--driver', dist, '--driver-share', '0', '--out', data0, '--episodes', '3', '--envs', '2', '--seed', '7', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(data0, 'run.json'), 'utf8')).source.collected.driver).toMatchObject({ kind: 'deployed', share: 0 });
    const zero = open(data0);
    expect(zero.episodeIds().length).toBe(3);
    ids1.forEach((id, k) => {
      const [a, b] = [one.episode(id)!, zero.episode(zero.episodeIds()[k])!];
      expect(Buffer.from(b.action.buffer, b.action.byteOffset, b.action.byteLength).equals(Buffer.from(a.action.buffer, a.action.byteOffset, a.action.byteLength)), `episode ${k} actions`).toBe(true);
      expect(Buffer.from(b.state.buffer, b.state.byteOffset, b.state.byteLength).equals(Buffer.from(a.state.buffer, a.state.byteOffset, a.state.byteLength)), `episode ${k} states`).toBe(true);
    });
    const e = await twist('collect', '--teacher', slim, '--out', join(root, 'never'), '--episodes', '1', '--driver-share', '0.5');
    expect([e.code, e.err.split('\n').at(-1)]).toEqual([2, expect.stringMatching(/--driver-share applies with --driver only/)]);

    const dist2 = join(root, 'distil2');
    r = await twist('distil', '--teacher', data2, '--init', dist, '--out', dist2, '--seed', '5', '--steps', '1', '--eval-episodes', '1', '--latent-episodes', '0', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/the student starts from .*deployed \(2 distillation updates\)/);
    expect(JSON.parse(readFileSync(join(dist2, 'run.json'), 'utf8')).init).toEqual({ dir: join(dist, 'deployed'), updates: 2 });
    // after one Adam step (each weight moves by about lr at most) the student is still the one it started from,
    // while a fresh student of the same seed (5; the first round's is the teacher's) is far from it
    const weights = (d: string) => {
      const m = JSON.parse(readFileSync(join(d, 'deployed', 'checkpoint.json'), 'utf8'));
      return loadSafetensors(join(d, 'deployed', m.weights.file)).tensors;
    };
    const [w1, w2] = [weights(dist), weights(dist2)];
    const maxDiff = (name: string, a: Map<string, { data: ArrayLike<number> }>, b: Map<string, { data: ArrayLike<number> }>) => {
      const [x, y] = [a.get(name)!.data, b.get(name)!.data];
      let m = 0;
      for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
      return m;
    };
    const encNames = [...w1.keys()].filter((n) => n.startsWith('encoder/') || n.startsWith('rssm/'));
    expect(encNames.length).toBeGreaterThan(4);
    const lr = JSON.parse(readFileSync(join(dist2, 'run.json'), 'utf8')).distil.opt.lr;
    for (const n of encNames) expect(maxDiff(n, w1, w2), n).toBeLessThan(3 * lr);
    const fresh = join(root, 'distil-fresh');
    r = await twist('distil', '--teacher', data2, '--out', fresh, '--seed', '5', '--steps', '1', '--eval-episodes', '1', '--latent-episodes', '0', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(Math.max(...encNames.map((n) => maxDiff(n, w1, weights(fresh))))).toBeGreaterThan(10 * lr);
  });

  // (uses the teacher data and student of the test above: the tests of a file run in order)
  it('twist dagger: rounds of mixture collection and further distillation, resumable, refusing bad plans', async () => {
    const [data, dist] = [join(root, 'data'), join(root, 'distil')];
    expect(existsSync(join(dist, 'summary.json'))).toBe(true);
    const dag = join(root, 'dagger');
    const base = ['dagger', '--data', data, '--student', dist, '--out', dag];
    for (const [argv, re] of [
      [base, /--rounds is required for new rounds \(or --resume DIR\)/],
      [[...base, '--rounds', '2', '--shares', '0.5,2'], /--shares must be probabilities in \[0, 1\] separated by commas .*got '2' in '0.5,2'/],
      [['dagger', '--data', join(root, 'missing'), '--student', dist, '--out', dag, '--rounds', '1'], /--data .*missing is not a run directory \(no run\.json\)/],
      [['dagger', '--data', data, '--student', data, '--out', dag, '--rounds', '1'], /twist dagger: --student .* is neither a distillation run nor a deployed agent's directory/],
      [[...base, '--rounds', '1', '--lr', '0'], /--lr must be > 0, got 0/],
      [['dagger', '--resume', data], /is not a dagger directory \(no dagger\.json\)/],
      [['dagger', '--resume', dag, '--episodes', '3'], /--episodes does not apply with --resume/],
    ] as [string[], RegExp][]) {
      const e = await twist(...argv);
      expect(e.code, argv.join(' ')).toBe(2);
      expect(e.err, argv.join(' ')).toMatch(re);
    }
    expect(existsSync(dag)).toBe(false);

    const args = ['--rounds', '2', '--shares', '0.5,1', '--episodes', '2', '--envs', '2', '--updates', '2', '--eval-episodes', '1', '--latent-episodes', '0', '--lr-warmup', '2', '--backend', 'cpu'];
    let r = await twist(...base, ...args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/done: 2 rounds in .*dagger \(summary\.md\); held-out return by round: [\d.-]+, [\d.-]+/);
    const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
    const summary = json(join(dag, 'summary.json'));
    expect(summary.rounds.map((x: any) => [x.round, x.share, x.episodes, x.newEpisodes, x.distilUpdates])).toEqual([
      [1, 0.5, 5, 2, 2],
      [2, 1, 7, 2, 2],
    ]);
    for (const x of summary.rounds) expect(Number.isFinite(x.heldout) && Number.isFinite(x.mixtureReturn)).toBe(true);
    // round 2: driven by round 1's student, its data included, its student the start; the warmup reaches the config
    const d2 = json(join(dag, 'round-2', 'data', 'run.json')).source.collected;
    expect(d2).toMatchObject({ episodes: 2, included: { dir: join(dag, 'round-1', 'data'), episodes: 5 }, driver: { kind: 'deployed' } });
    expect(d2.driver.share).toBeUndefined(); // share 1: the driver alone
    expect(json(join(dag, 'round-1', 'data', 'run.json')).source.collected.driver.share).toBe(0.5);
    const s2 = json(join(dag, 'round-2', 'student', 'run.json'));
    expect(s2.init.dir).toBe(join(dag, 'round-1', 'student', 'deployed'));
    expect(s2.distil.opt.warmup).toBe(2);
    expect(json(join(dag, 'round-1', 'student', 'run.json')).init.dir).toBe(join(dist, 'deployed'));
    expect(readFileSync(join(dag, 'summary.md'), 'utf8')).toMatch(/\| 2 \| 1 \| 7 \(2\) \| [\d.-]+ \| [\d.]+ \| 2 \| [\d.]+ \| [\d.-]+ \|/);

    // resumed with nothing left to do: nothing is redone
    const stamp = statSync(join(dag, 'round-1', 'data', 'run.json')).mtimeMs;
    let seen = r.out.length; // the harness's output accumulates over a test's commands
    r = await twist('dagger', '--resume', dag, '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out.slice(seen)).not.toMatch(/collecting|distilling/);
    expect(r.out.slice(seen)).toMatch(/done: 2 rounds/);
    expect(statSync(join(dag, 'round-1', 'data', 'run.json')).mtimeMs).toBe(stamp);
    r = await twist('dagger', '--resume', dag, '--rounds', '1', '--backend', 'cpu');
    expect([r.code, r.err.split('\n').at(-1)]).toEqual([2, expect.stringMatching(/--rounds 1 is fewer than the 2 rounds .* has done/)]);

    // a third round after a crash in its collection (a directory without collect.json): collected again from the start
    mkdirSync(join(dag, 'round-3', 'data'), { recursive: true });
    writeFileSync(join(dag, 'round-3', 'data', 'partial'), 'x');
    seen = r.out.length;
    r = await twist('dagger', '--resume', dag, '--rounds', '3', '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out.slice(seen)).not.toMatch(/round [12]\/3: collecting/);
    expect(r.out.slice(seen)).toMatch(/round 3: .*round-3.data is an unfinished collection; collecting it again/);
    expect(existsSync(join(dag, 'round-3', 'data', 'partial'))).toBe(false);
    const s3 = json(join(dag, 'summary.json'));
    expect(s3.rounds.map((x: any) => [x.round, x.share, x.episodes])).toEqual([
      [1, 0.5, 5],
      [2, 1, 7],
      [3, 1, 9],
    ]);
    expect(s3.plan.rounds).toBe(3);

    // cut off after round 3's distillation checkpointed but before its summary: resumed, not redone
    rmSync(join(dag, 'round-3', 'round.json'));
    rmSync(join(dag, 'round-3', 'student', 'summary.json'));
    seen = r.out.length;
    r = await twist('dagger', '--resume', dag, '--backend', 'cpu');
    expect(r.code, r.err).toBe(0);
    expect(r.out.slice(seen)).toMatch(/round 3\/3: resuming the distillation of .*round-3.student/);
    expect(r.out.slice(seen)).not.toMatch(/collecting/);
    const again = json(join(dag, 'summary.json')).rounds[2];
    expect([again.distilUpdates, again.heldout]).toEqual([s3.rounds[2].distilUpdates, s3.rounds[2].heldout]);
  }, 600_000);
});
