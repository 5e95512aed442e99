import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuDevice } from '@twist/kernels';
import type { Batch } from '@twist/rssm';
import { Replay, Xoshiro128, type HostBatch, type ReplayOptions, type ReplayStats, type StepRecord } from '../src/replay/index.js';

const S = 3;
const A = 2;
const IMG = [4, 5, 3] as const;
const P = IMG[0] * IMG[1] * IMG[2];

interface Gen {
  image?: boolean;
  terminal?: boolean;
}

/**
 * Step t of a planned T-step episode tagged `tag`: every value encodes (tag, t), so a sampled value says
 * exactly where it came from. action[t] is the action that led to observation t (zeros at t = 0).
 */
function step(tag: number, t: number, T: number, o: Gen = {}): StepRecord {
  const last = t === T - 1;
  return {
    state: Float32Array.from({ length: S }, (_, i) => tag * 1000 + t * 10 + i),
    action: t === 0 ? new Float32Array(A) : Float32Array.from({ length: A }, (_, j) => -(tag * 1000 + t * 10 + j)),
    reward: tag + t / 4,
    ...(o.image ? { image: Uint8Array.from({ length: P }, (_, k) => (tag * 31 + t * 7 + k) & 255) } : {}),
    isFirst: t === 0,
    isLast: last,
    isTerminal: last && !!o.terminal,
  };
}

const episode = (tag: number, T: number, o: Gen = {}): StepRecord[] => Array.from({ length: T }, (_, t) => step(tag, t, T, o));

/** Feeds per-env step queues round-robin, as parallel envs would. */
function feed(r: Replay, queues: StepRecord[][]): void {
  const q = queues.map((x) => [...x]);
  while (q.some((x) => x.length)) q.forEach((x, env) => x.length && r.add(env, x.shift()!));
}

/** The tag of a stored episode (read from its first state value). */
const tagOf = (r: Replay, id: number): number => Math.floor(r.episode(id)!.state[0] / 1000);

/** What every sampled window must hold, rebuilt from the generator. plans: tag -> planned length, gen. */
function expectWindows(r: Replay, h: HostBatch, plans: Map<number, { T: number } & Gen>): void {
  const { B, L } = h;
  for (let b = 0; b < B; b++) {
    const id = h.episodeIds[b];
    const s = h.starts[b];
    const tag = tagOf(r, id);
    const plan = plans.get(tag)!;
    expect(s + L).toBeLessThanOrEqual(r.episode(id)!.length);
    for (let t = 0; t < L; t++) {
      const want = step(tag, s + t, plan.T, plan);
      const o = b * L + t;
      expect(Array.from(h.state.subarray(o * S, (o + 1) * S))).toEqual(Array.from(want.state));
      // the action at index t led to observation t: same (tag, step) code, negated
      expect(Array.from(h.actions.subarray(o * A, (o + 1) * A))).toEqual(Array.from(want.action));
      expect(h.rewards[o]).toBe(want.reward);
      expect(h.cont[o]).toBe(want.isTerminal ? 0 : 1);
      expect(h.isFirst[o]).toBe(t === 0 || want.isFirst ? 1 : 0);
      if (h.image) expect(Array.from(h.image.subarray(o * P, (o + 1) * P))).toEqual(Array.from(want.image!));
    }
  }
}

const base: ReplayOptions = { stateSize: S, actionSize: A, capacity: 1000, numEnvs: 2, seed: 1 };
const tmp: string[] = [];
const tmpDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'twist-replay-'));
  tmp.push(d);
  return d;
};
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

const withoutBytes = (s: ReplayStats) => {
  const { bytes: _b, pendingBytes: _p, ...rest } = s;
  return rest;
};

describe('xoshiro128** sampler RNG', () => {
  it('matches the reference sequence and resumes exactly from its saved state', () => {
    // Reference outputs of xoshiro128** from state {1, 2, 3, 4} (Blackman & Vigna's C code).
    const r = Xoshiro128.fromState([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => r.nextU32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
    const a = new Xoshiro128(42);
    for (let i = 0; i < 10; i++) a.nextU32();
    const b = Xoshiro128.fromState(JSON.parse(JSON.stringify(a.state())));
    const xs = Array.from({ length: 20 }, () => a.uniformInt(7));
    expect(Array.from({ length: 20 }, () => b.uniformInt(7))).toEqual(xs);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 7)).toBe(true);
    expect(new Xoshiro128(1).state()).not.toEqual(new Xoshiro128(2).state());
  });
});

describe('replay round trip', () => {
  const plans = new Map([
    [1, { T: 12, terminal: true }],
    [2, { T: 20 }], // ends by time limit: isLast without isTerminal, cont stays 1
    [3, { T: 9, terminal: true }],
  ]);
  const fill = (r: Replay, image = false) =>
    feed(r, [
      [...episode(1, 12, { terminal: true, image }), ...episode(3, 9, { terminal: true, image })],
      episode(2, 20, { image }),
    ]);

  it('state only: sampled windows hold exactly the stored steps, actions paired with the observation they led to, isFirst at every start', () => {
    const r = new Replay(base);
    fill(r);
    expect(r.episodeIds().map((id) => tagOf(r, id))).toEqual([1, 2, 3]); // commit order: ends at steps 12, 20, 21
    expect(r.stats()).toMatchObject({ episodes: 3, steps: 41, pendingSteps: 0, stepsAdded: 41, episodesCommitted: 3 });
    const ep = r.episode(0)!;
    expect(Array.from(ep.flags)).toEqual(episode(1, 12, { terminal: true }).map((s) => (s.isFirst ? 1 : 0) | (s.isLast ? 2 : 0) | (s.isTerminal ? 4 : 0)));
    const h = r.sampleHost(300, 5);
    expect(h.image).toBeNull();
    expectWindows(r, h, plans);
    for (let b = 0; b < h.B; b++) expect(h.isFirst[b * h.L]).toBe(1);
    // every episode and both ends of each got sampled: windows cover start 0 and the last start
    for (const id of r.episodeIds()) {
      const starts = h.starts.filter((_, b) => h.episodeIds[b] === id);
      expect(Math.min(...starts)).toBe(0);
      expect(Math.max(...starts)).toBe(r.episode(id)!.length - 5);
    }
    // windows ending at a terminal step have cont 0 there; L = whole episode gives the entire episode
    const whole = r.sampleHost(8, 20);
    expect(new Set(whole.episodeIds)).toEqual(new Set([1]));
    expectWindows(r, whole, plans);
  });

  it('sample() uploads each field once and returns a @twist/rssm Batch with the sampleHost values', async () => {
    const r1 = new Replay(base);
    const r2 = new Replay(base);
    fill(r1);
    fill(r2);
    const dev = new CpuDevice();
    const before = dev.stats().allocations;
    const batch = r2.sample(dev, 4, 6);
    expect(dev.stats().allocations - before).toBe(5); // state (obs is a view of it), actions, rewards, isFirst, cont
    const asBatch: Batch = batch; // compile-time: shaped like the world model's Batch
    expect(asBatch.obs.shape).toEqual([4, 6, S]);
    expect(batch.state.shape).toEqual([4, 6, S]);
    expect(batch.actions.shape).toEqual([4, 6, A]);
    for (const k of ['rewards', 'isFirst', 'cont'] as const) expect(batch[k].shape).toEqual([4, 6]);
    for (const k of ['obs', 'state', 'actions', 'rewards', 'isFirst', 'cont'] as const) expect(batch[k].dtype).toBe('f32');
    const h = r1.sampleHost(4, 6);
    expect(await batch.obs.toArray()).toEqual(h.state);
    expect(await batch.state.toArray()).toEqual(h.state);
    expect(await batch.actions.toArray()).toEqual(h.actions);
    expect(await batch.rewards.toArray()).toEqual(h.rewards);
    expect(await batch.isFirst.toArray()).toEqual(h.isFirst);
    expect(await batch.cont.toArray()).toEqual(h.cont);
    Object.values(batch).forEach((t) => t.dispose());
    expect(dev.stats().liveBuffers).toBe(0);
  });

  it('with images: obs is u8 [B,L,H,W,C] with the exact pixels, state alongside', async () => {
    const opts: ReplayOptions = { ...base, imageShape: IMG, obs: 'image' };
    const r = new Replay(opts);
    const twin = new Replay(opts);
    fill(r, true);
    fill(twin, true);
    const imgPlans = new Map([...plans].map(([k, v]) => [k, { ...v, image: true }]));
    expectWindows(r, r.sampleHost(100, 7), imgPlans);
    twin.sampleHost(100, 7); // keep twin's RNG in step with r's
    const dev = new CpuDevice();
    const before = dev.stats().allocations;
    const batch = twin.sample(dev, 3, 7);
    expect(dev.stats().allocations - before).toBe(6);
    expect(batch.obs.dtype).toBe('u8');
    expect(batch.obs.shape).toEqual([3, 7, ...IMG]);
    expect(batch.state.shape).toEqual([3, 7, S]);
    const h = r.sampleHost(3, 7);
    expect(await batch.obs.toArray()).toEqual(h.image);
    expect(await batch.state.toArray()).toEqual(h.state);
    // per-call override: the state as obs from an image replay
    const s = twin.sample(dev, 2, 4, { obs: 'state' });
    expect(s.obs.shape).toEqual([2, 4, S]);
    Object.values(batch).forEach((t) => t.dispose());
    Object.values(s).forEach((t) => t.dispose());
  });
});

describe('episode boundaries', () => {
  it('a new isFirst on an env with an unfinished episode commits it when it has >= minLength steps, else discards it', () => {
    const r = new Replay({ ...base, numEnvs: 1, minLength: 4 });
    const long = episode(1, 10, { terminal: true });
    for (const s of long.slice(0, 5)) r.add(0, s); // interrupted after 5 steps
    for (const s of episode(2, 10).slice(0, 3)) r.add(0, s); // commits tag 1 (5 >= 4), then 3 steps of tag 2
    expect(r.stats()).toMatchObject({ episodes: 1, steps: 5, pendingSteps: 3, episodesDiscarded: 0 });
    const ep = r.episode(0)!;
    expect(ep.length).toBe(5);
    expect(Array.from(ep.flags)).toEqual([1, 0, 0, 0, 0]); // committed as a truncated episode: no isLast, cont 1
    for (const s of episode(3, 6)) r.add(0, s); // tag 2 had 3 < 4 steps: discarded; tag 3 completes
    expect(r.stats()).toMatchObject({ episodes: 2, steps: 11, pendingSteps: 0, episodesDiscarded: 1, episodesCommitted: 2 });
    expect(r.episodeIds().map((id) => tagOf(r, id))).toEqual([1, 3]);
    const h = r.sampleHost(50, 5);
    expectWindows(r, h, new Map([[1, { T: 10 }], [3, { T: 6 }]]));
    expect(Array.from(h.cont).every((c) => c === 1)).toBe(true);
  });

  it('a one-step episode (isFirst and isLast together) is stored', () => {
    const r = new Replay({ ...base, numEnvs: 1 });
    r.add(0, step(5, 0, 1, { terminal: true }));
    expect(r.stats()).toMatchObject({ episodes: 1, steps: 1 });
    const h = r.sampleHost(2, 1);
    expect(Array.from(h.isFirst)).toEqual([1, 1]);
    expect(Array.from(h.cont)).toEqual([0, 0]);
  });
});

describe('capacity', () => {
  it('drops the oldest whole episodes; stats are exact; bytes stay flat at capacity', () => {
    const r = new Replay({ ...base, numEnvs: 1, capacity: 100, imageShape: IMG });
    // one 30-step episode: state 30*3*4 + action 30*2*4 + reward 30*4 + flags 32 (padded) + image 30*60
    const epBytes = 360 + 240 + 120 + 32 + 1800;
    const seen: number[] = [];
    for (let e = 0; e < 40; e++) {
      for (const s of episode(e, 30, { image: true })) r.add(0, s);
      const st = r.stats();
      const held = Math.min(e + 1, 3);
      expect(st).toMatchObject({ episodes: held, steps: 30 * held, capacity: 100, episodesDropped: e + 1 - held, pendingSteps: 0 });
      expect(st.bytes).toBe(held * epBytes + st.pendingBytes);
      if (e >= 2) seen.push(st.bytes);
    }
    expect(new Set(seen).size).toBe(1); // flat: no growth as episodes keep arriving
    expect(r.episodeIds()).toEqual([37, 38, 39]);
    expect(r.episodeIds().map((id) => tagOf(r, id))).toEqual([37, 38, 39]);
  });

  it('with uneven lengths keeps the newest episodes that fit', () => {
    const r = new Replay({ ...base, numEnvs: 1, capacity: 50 });
    const held: number[][] = [];
    [20, 25, 10, 30].forEach((T, e) => {
      for (const s of episode(e, T)) r.add(0, s);
      held.push(r.episodeIds());
    });
    expect(held).toEqual([[0], [0, 1], [1, 2], [2, 3]]); // 20; 45; 55 -> 35; 65 -> 40
    expect(r.stats()).toMatchObject({ episodes: 2, steps: 40, episodesDropped: 2 });
  });
});

describe('uniform sampling', () => {
  // Four episodes, L = 8: 3 + 8 + 16 + 33 = 60 windows (episode, start).
  const lengths = [10, 15, 23, 40];
  const L = 8;
  const N = 12_000;
  const CRIT_59 = 98.32; // chi-square critical value, 59 degrees of freedom, p = 0.001 (scipy chi2.ppf(0.999, 59))
  const build = (sampling: 'windows' | 'episodes') => {
    const r = new Replay({ ...base, numEnvs: 1, sampling, seed: 12345 });
    lengths.forEach((T, e) => episode(e, T).forEach((s) => r.add(0, s)));
    return r;
  };
  const windows = lengths.flatMap((T, e) => Array.from({ length: T - L + 1 }, (_, s) => [e, s] as const));
  const counts = (h: HostBatch) => {
    const c = new Map<string, number>();
    h.episodeIds.forEach((id, b) => c.set(`${id},${h.starts[b]}`, (c.get(`${id},${h.starts[b]}`) ?? 0) + 1));
    return c;
  };
  const chi2 = (c: Map<string, number>, p: (e: number, s: number) => number) =>
    windows.reduce((acc, [e, s]) => {
      const want = N * p(e, s);
      return acc + ((c.get(`${e},${s}`) ?? 0) - want) ** 2 / want;
    }, 0);
  const uniformWindow = () => 1 / windows.length;
  const uniformEpisode = (e: number) => 1 / lengths.length / (lengths[e] - L + 1);

  it("'windows' (default): every (episode, start) window is equally likely (chi-square, fixed seed)", () => {
    const c = counts(build('windows').sampleHost(N, L));
    expect(windows.length).toBe(60);
    expect([...c.keys()].length).toBe(60); // no window outside the valid ones, none missing
    expect(chi2(c, uniformWindow)).toBeLessThan(CRIT_59);
  });

  it("'episodes' (DreamerV2): uniform episode then uniform start; the window test detects it is not uniform over windows", () => {
    const c = counts(build('episodes').sampleHost(N, L));
    expect(chi2(c, uniformEpisode)).toBeLessThan(CRIT_59);
    // the same statistic rejects the V2 scheme as uniform-over-windows by a wide margin: the test can fail
    expect(chi2(c, uniformWindow)).toBeGreaterThan(10 * CRIT_59);
  });

  it('episodes shorter than L are skipped', () => {
    const r = build('windows');
    const h = r.sampleHost(500, 16);
    expect(new Set(h.episodeIds)).toEqual(new Set([2, 3])); // lengths 23 and 40
    expect([r.canSample(40), r.canSample(41)]).toEqual([true, false]);
  });
});

describe('persistence', () => {
  const dirOpts = (dir: string): ReplayOptions => ({ ...base, imageShape: IMG, capacity: 200, seed: 7, dir });
  const { dir: _d, ...openOpts } = dirOpts('');
  const bin = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();

  it('resumes from checkpointState: the same buffer, identical samples, unfinished episodes continue exactly', () => {
    const dir = tmpDir();
    const a = new Replay(dirOpts(dir));
    const g = { image: true };
    const env0 = [...episode(1, 15, g), ...episode(2, 12, g), ...episode(4, 10, g)];
    const env1 = [...episode(3, 20, { ...g, terminal: true })];
    feed(a, [env0.slice(0, 33), env1.slice(0, 8)]); // tag 4 has 6 steps, tag 3 has 8 at the checkpoint
    a.sampleHost(3, 5); // the RNG has moved on from its seed
    const state = JSON.parse(JSON.stringify(a.checkpointState())); // what a checkpoint file would hold
    expect(bin(dir)).toEqual(['ep-000000-15.bin', 'ep-000001-12.bin', 'pending-000001.bin']);
    expect(state.pending).toEqual({ file: 'pending-000001.bin', envs: [{ env: 0, length: 6 }, { env: 1, length: 8 }] });
    expect(JSON.stringify(state).length).toBeLessThan(1000); // small: the data lives in the chunk files

    const b = Replay.open(dir, openOpts, state);
    expect(b.episodeIds()).toEqual(a.episodeIds());
    expect(withoutBytes(b.stats())).toEqual(withoutBytes(a.stats()));
    for (let i = 0; i < 3; i++) expect(b.sampleHost(4, 5)).toEqual(a.sampleHost(4, 5));
    // both runs go on: the uninterrupted one (a) and the resumed one (b)
    const rest = [env0.slice(33), env1.slice(8)];
    feed(a, rest);
    feed(b, rest);
    expect(b.episodeIds()).toEqual([0, 1, 2, 3]);
    expect(b.episodeIds().map((id) => tagOf(b, id))).toEqual([1, 2, 4, 3]);
    for (const id of a.episodeIds()) expect(b.episode(id)).toEqual(a.episode(id)); // incl. the two straddling episodes
    for (let i = 0; i < 3; i++) expect(b.sampleHost(6, 9, { obs: 'image' })).toEqual(a.sampleHost(6, 9, { obs: 'image' }));
    expect(withoutBytes(b.stats())).toEqual(withoutBytes(a.stats()));
    const plans = new Map([[1, { T: 15, ...g }], [2, { T: 12, ...g }], [3, { T: 20, terminal: true, ...g }], [4, { T: 10, ...g }]]);
    expectWindows(b, b.sampleHost(50, 9, { obs: 'image' }), plans);
  });

  it('ignores chunks written after the checkpoint; re-adding the same episode after resume does not duplicate it', () => {
    const dir = tmpDir();
    const a = new Replay(dirOpts(dir));
    for (const s of episode(1, 10, { image: true })) a.add(0, s);
    const state = JSON.parse(JSON.stringify(a.checkpointState()));
    const afterCkpt = a.sampleHost(5, 4);
    for (const s of episode(2, 8, { image: true })) a.add(0, s); // written to disk, then kill -9 before the next checkpoint
    expect(bin(dir)).toEqual(['ep-000000-10.bin', 'ep-000001-8.bin']);

    const b = Replay.open(dir, openOpts, state);
    expect(b.episodeIds()).toEqual([0]); // exactly the buffer the checkpoint saw
    expect(b.stats()).toMatchObject({ episodes: 1, steps: 10, episodesCommitted: 1 });
    expect(b.sampleHost(5, 4)).toEqual(afterCkpt);
    for (const s of episode(2, 8, { image: true })) b.add(0, s); // the resumed run replays those steps
    expect(b.episodeIds()).toEqual([0, 1]);
    expect(bin(dir)).toEqual(['ep-000000-10.bin', 'ep-000001-8.bin']); // same id, same file: idempotent
    expect(b.episode(1)).toEqual(a.episode(1));

    // A resumed run whose env diverged writes another length for the same id: the stale file goes.
    const c = Replay.open(dir, openOpts, state);
    for (const s of episode(9, 5, { image: true })) c.add(0, s);
    expect(bin(dir)).toEqual(['ep-000000-10.bin', 'ep-000001-5.bin']);
    expect(c.episodeIds().map((id) => tagOf(c, id))).toEqual([1, 9]);

    // Without a state: everything on disk (newest first up to the capacity), fresh RNG.
    const d = Replay.open(dir, openOpts);
    expect(d.episodeIds().map((id) => [id, d.episode(id)!.length])).toEqual([[0, 10], [1, 5]]);
    for (const s of episode(3, 4, { image: true })) d.add(0, s);
    expect(bin(dir)).toContain('ep-000002-4.bin');
  });

  it('pruneFiles deletes only chunks the saved checkpoint no longer needs; dropped episodes are kept until then', () => {
    const dir = tmpDir();
    const opts = { ...dirOpts(dir), capacity: 20 };
    const r = new Replay(opts);
    for (let e = 0; e < 4; e++) for (const s of episode(e, 8, { image: true })) r.add(0, s); // holds [2, 3]
    r.add(1, step(9, 0, 5, { image: true })); // an unfinished episode on env 1
    const state = r.checkpointState();
    for (const s of episode(4, 8, { image: true })) r.add(0, s); // holds [3, 4]; 2 dropped but still listed in state
    r.checkpointState(); // a later, unsaved checkpoint (pending-000002)
    expect(bin(dir)).toHaveLength(5 + 2);
    expect(r.pruneFiles(state).sort()).toEqual(['ep-000000-8.bin', 'ep-000001-8.bin']);
    expect(bin(dir)).toEqual(['ep-000002-8.bin', 'ep-000003-8.bin', 'ep-000004-8.bin', 'pending-000001.bin', 'pending-000002.bin']);
    const { dir: _x, ...o } = opts;
    const back = Replay.open(dir, o, state);
    expect(back.episodeIds()).toEqual([2, 3]);
    expect(back.stats().pendingSteps).toBe(1);
  });

  it('open and checkpoint errors name what is wrong', () => {
    const dir = tmpDir();
    const a = new Replay(dirOpts(dir));
    for (const s of episode(1, 6, { image: true })) a.add(0, s);
    const state = a.checkpointState();
    expect(() => new Replay(dirOpts(dir))).toThrow(/already holds 1 replay chunk files \(e\.g\. ep-000000-6\.bin\); use Replay\.open/);
    expect(() => Replay.open(dir, { ...openOpts, stateSize: 4 }, state)).toThrow(/checkpoint state has stateSize = 3 but the options give 4/);
    expect(() => Replay.open(dir, { ...openOpts, sampling: 'episodes' }, state)).toThrow(/sampling = "windows" but the options give "episodes"/);
    rmSync(join(dir, 'ep-000000-6.bin'));
    expect(() => Replay.open(dir, openOpts, state)).toThrow(/lists episode 0 \(6 steps\) but .*ep-000000-6\.bin is missing/);
    expect(() => Replay.open(join(dir, 'nope'), openOpts)).toThrow(/does not exist/);
    expect(() => new Replay(base).checkpointState()).toThrow(/no dir/);
    expect(existsSync(dir)).toBe(true);
  });
});

describe('bad inputs give clear errors', () => {
  it('options', () => {
    expect(() => new Replay({ ...base, stateSize: 0 })).toThrow('Replay: options.stateSize must be a positive integer, got 0');
    expect(() => new Replay({ ...base, capacity: 1.5 })).toThrow(/options\.capacity must be a positive integer <= 2\^32 \(steps\), got 1\.5/);
    expect(() => new Replay({ ...base, imageShape: [4, 5] as unknown as [number, number, number] })).toThrow(/options\.imageShape must be \[H, W, C\] of positive integers or null, got \[4,5\]/);
    expect(() => new Replay({ ...base, obs: 'image' })).toThrow(/options\.obs is 'image' but options\.imageShape is not set/);
  });

  it('steps: field, expected and actual are named; a refused step changes nothing', () => {
    const r = new Replay({ ...base, capacity: 30 });
    const ri = new Replay({ ...base, imageShape: IMG });
    const ok = step(1, 0, 5);
    const cases: [Replay, number, unknown, RegExp | string][] = [
      [r, 2, ok, 'Replay.add: envIndex must be an integer in [0, 2), got 2'],
      [r, -1, ok, 'envIndex must be an integer in [0, 2), got -1'],
      [r, 0.5, ok, 'got 0.5'],
      [r, 0, { ...ok, state: new Float64Array(S) }, 'Replay.add(env 0): step.state must be a Float32Array of length 3, got Float64Array of length 3'],
      [r, 0, { ...ok, state: new Float32Array(4) }, 'step.state must be a Float32Array of length 3, got Float32Array of length 4'],
      [r, 0, { ...ok, action: [0, 0] }, 'step.action must be a Float32Array of length 2, got Array of length 2'],
      [r, 0, { ...ok, state: Float32Array.of(0, NaN, 0) }, 'step.state[1] must be finite, got NaN'],
      [r, 0, { ...ok, reward: NaN }, 'step.reward must be a finite number, got NaN'],
      [r, 0, { ...ok, reward: '1' }, 'step.reward must be a finite number, got string'],
      [r, 0, { ...ok, isFirst: undefined }, 'step.isFirst must be a boolean, got undefined'],
      [r, 0, { ...ok, isTerminal: true }, 'step.isTerminal is true but step.isLast is false'],
      [r, 0, { ...ok, action: Float32Array.of(0, 0.5) }, 'step.action must be all zeros on an isFirst step (action[t] led to observation t; none led to the first), got action[1] = 0.5'],
      [r, 0, step(1, 1, 5), 'Replay.add(env 0): the env has no unfinished episode, so this step must start one (isFirst true), got isFirst false'],
      [r, 0, { ...ok, image: new Uint8Array(P) }, 'step.image was given (Uint8Array of length 60) but the replay stores no images'],
      [ri, 0, ok, 'step.image must be a Uint8Array of length 60 (H*W*C = 4*5*3), got undefined'],
      [ri, 0, { ...ok, image: new Float32Array(P) }, 'step.image must be a Uint8Array of length 60 (H*W*C = 4*5*3), got Float32Array of length 60'],
      [r, 0, null, 'step must be a StepRecord object, got null'],
    ];
    for (const [rep, env, s, msg] of cases) {
      const before = rep.stats();
      expect(() => rep.add(env, s as StepRecord)).toThrow(msg);
      expect(rep.stats()).toEqual(before);
    }
    for (const s of episode(1, 30).slice(0, 30)) r.add(0, { ...s, isLast: false, isTerminal: false });
    expect(() => r.add(0, step(1, 30, 40))).toThrow('Replay.add(env 0): the episode would be 31 steps, longer than the capacity (30 steps)');
  });

  it('sample', () => {
    const r = new Replay(base);
    const dev = new CpuDevice();
    expect(() => r.sampleHost(2, 3)).toThrow('Replay.sample: no committed episode has at least L = 3 steps (the replay holds no committed episodes); 0 steps of unfinished episodes are not sampled');
    feed(r, [episode(1, 10), [...episode(2, 12), ...episode(3, 4).slice(0, 2)]]);
    expect(() => r.sample(dev, 2, 50)).toThrow('Replay.sample: no committed episode has at least L = 50 steps (2 episodes, lengths 10, 12; longest 12); 2 steps of unfinished episodes are not sampled');
    expect(() => r.sample(dev, 0, 5)).toThrow('Replay.sample: B must be a positive integer, got 0');
    expect(() => r.sample(dev, 2, 2.5)).toThrow('Replay.sample: L must be a positive integer, got 2.5');
    expect(() => r.sample(dev, 2, -1)).toThrow('L must be a positive integer, got -1');
    expect(() => r.sample(dev, 2, 4, { obs: 'image' })).toThrow("Replay.sample: obs 'image' asked for, but the replay stores no images");
    expect(dev.stats().liveBuffers).toBe(0);
  });
});
