import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import * as AN from '@twist/autograd/node';
import { readMetricsLog, readRunConfig, Replay, runPaths, type ReplayState } from '@twist/agent/node';
import { VecEnv } from '@twist/envs/node';
import { VISUAL_DISTRIBUTIONS } from '@twist/envs';
import { tensor, type Device, type Tensor } from '@twist/kernels';
import { readMetrics } from '@twist/rssm';
import { WorldModel } from '@twist/rssm';
import { actorSpecOf, Distiller, learningRate, makeDistilConfig, makeStudentConfig, readDistilMetrics, studentTrainables } from '../src/index.js';
import { DeployedAgent, distil, distilPaths, latentCheck, loadTeacher, replayStateStats, type DistilOptions, type DistilRunConfig } from '../src/node.js';
import { cpu, gpu, hasGpu, tmp, trainTinyTeacher } from './harness.js';

let teacherDir = '';
beforeAll(async () => {
  // 4 episodes of 51 records (prefill 100 policy steps, then a few updates): enough to distil from.
  teacherDir = await trainTinyTeacher(tmp('teacher'), 400);
}, 120_000);

const bits = async (vs: readonly A.Var[]) => Promise.all(vs.map(async (v) => Array.from(new Uint32Array((await v.toArray() as Float32Array).slice().buffer))));

/** A tiny distillation run: debug preset, 6 updates, eval every 3 and checkpoints every 2 updates, one eval episode. */
const tinyRun = (dir: string, extra: Partial<DistilOptions> = {}): DistilOptions => ({
  dir,
  device: cpu,
  teacher: teacherDir,
  steps: 6,
  overrides: { logEvery: 1, evalEvery: 3, evalEpisodes: 1, checkpointEvery: 2 },
  ...extra,
});

/** n distillation updates on fresh batches of the replay (the distiller's batch and length), their tensors freed. */
async function trainSteps(d: Distiller, replay: Replay, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const b = replay.sample(cpu, d.cfg.batch, d.cfg.length, { obs: 'image' });
    const m = await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst });
    for (const t of [...Object.values(m), ...Object.values(b)]) t?.dispose();
  }
}

function openReplay(dir: string, info: Record<string, unknown>): Replay {
  const rs = info.replay as ReplayState;
  return Replay.open(runPaths(dir).replay, { stateSize: 5, actionSize: 1, imageShape: [32, 32, 3], numEnvs: rs.config.numEnvs, capacity: rs.config.capacity, obs: 'image' }, { ...rs, pending: null });
}

describe('the frozen teacher', () => {
  it('keeps bit-identical parameters through distillation steps and has no optimiser state; only the student moves', async () => {
    const T = loadTeacher(cpu, teacherDir);
    const cfg = makeDistilConfig('debug', { recon: 0.5, actionMatch: 1 }); // every term on, reconstruction and action matching too (the actor's gradient must not move it)
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1 }));
    const d = new Distiller(T.teacher, student, cfg, 0);
    const teacherParams = [...T.teacher.wm.parameters(), ...T.teacher.actor.parameters()];
    const before = await bits(teacherParams);
    const sBefore = await bits(student.encoder.parameters());
    const replay = openReplay(teacherDir, T.info);
    for (let i = 0; i < 3; i++) {
      const b = replay.sample(cpu, cfg.batch, cfg.length, { obs: 'image' });
      const m = await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst });
      for (const t of Object.values(b)) t.dispose();
      for (const t of Object.values(m)) t?.dispose();
    }
    expect(await bits(teacherParams)).toEqual(before);
    expect(await bits(student.encoder.parameters())).not.toEqual(sBefore);
    // The optimiser holds exactly the student's encoder, RSSM and (recon on) decoder, nothing of the teacher.
    const tp = new Set(teacherParams);
    expect(d.opt.params.some((p) => tp.has(p))).toBe(false);
    expect(new Set(d.opt.params)).toEqual(new Set(studentTrainables(student, true)));
    expect(d.opt.m.length).toBe(studentTrainables(student, true).length);
    d.dispose();
    student.dispose();
    T.dispose();
  });
});

describe('the shift augmentation (augmentShift, an extension beyond the paper)', () => {
  it("moves only the student's frames: a step on uniform images is bit-identical with and without it, on rendered ones it differs; bad values are refused", async () => {
    // a fresh teacher each time: its RSSM's sampling counter moves with every step
    const losses = async (augmentShift: number, uniform: boolean) => {
      const T = loadTeacher(cpu, teacherDir);
      const cfg = makeDistilConfig('debug', { augmentShift });
      const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 3 }));
      const d = new Distiller(T.teacher, student, cfg, 0);
      const replay = openReplay(teacherDir, T.info);
      const out: number[] = [];
      for (let i = 0; i < 2; i++) {
        const b = replay.sample(cpu, cfg.batch, cfg.length, { obs: 'image' });
        // a uniform frame is the same under every shift (edge replication brings in the same colour)
        const images = uniform ? tensor(cpu, new Uint8Array(b.obs.size).fill(97), b.obs.shape, 'u8') : b.obs;
        const m = await readDistilMetrics(await d.step({ images, state: b.state, actions: b.actions, isFirst: b.isFirst }));
        out.push(m.loss, m.h, m.post);
        if (uniform) images.dispose();
        for (const t of Object.values(b)) t.dispose();
      }
      d.dispose();
      student.dispose();
      T.dispose();
      return out;
    };
    expect(await losses(3, true)).toEqual(await losses(0, true));
    const plain = await losses(0, false);
    const shifted = await losses(3, false);
    expect(shifted).not.toEqual(plain);
    // and the same run draws the same offsets (a counter hash of the seed and the update)
    expect(await losses(3, false)).toEqual(shifted);
    for (const v of [-1, 1.5]) expect(() => makeDistilConfig('debug', { augmentShift: v })).toThrow(`distil config: 'augmentShift' must be a non-negative integer (pixels; 0 = off), got ${v}`);
  });
});

/**
 * The state term by hand: mean over the B x L steps of 0.5 ||target(s) - stateDecoder(h, z)||^2 times L
 * (timeReduce 'sum'), and per dimension the mean squared error (the logged stateMse), with the student's RNG
 * counter put back so the step that follows draws the same z.
 */
async function stateTermByHand(student: WorldModel, b: { obs: Tensor; actions: Tensor; isFirst: Tensor; state: Tensor }, target: (s: number, k: number) => number, L: number): Promise<{ term: number; mse: number[] }> {
  const off = student.rssm.rngOffset;
  const [mu, s] = await A.noGrad(async () => {
    const embed = student.encoder.forward(student.preprocess(b.obs));
    const lat = student.rssm.observe(embed, A.constant(b.actions), b.isFirst);
    // what the decoder reads, spelled out here rather than through WorldModel.decodeState
    const input = student.cfg.stateReconFrom === 'embed' ? embed : student.rssm.feature(lat);
    return [await student.stateDecoder!.forward(input).toArray(), await b.state.toArray()] as Float32Array[];
  });
  student.rssm.rngOffset = off;
  let nll = 0;
  const mse = [0, 0, 0, 0, 0];
  for (let i = 0; i < mu.length; i++) {
    const e2 = (mu[i] - target(s[i], i % 5)) ** 2;
    nll += 0.5 * e2; // gaussianNLL drops log(2 pi) / 2
    mse[i % 5] += e2 / (mu.length / 5);
  }
  return { term: (nll / (mu.length / 5)) * L, mse };
}

describe('the state decoder term (stateRecon, an extension beyond the paper)', () => {
  it('equals L x 0.5 ||s - stateDecoder(h, z)||^2 by hand (-log N up to its constant), is in the total with its weight, trains the state decoder, and needs a student with one', async () => {
    const T = loadTeacher(cpu, teacherDir);
    const cfg = makeDistilConfig('debug', { stateRecon: 2 });
    const plain = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1 }));
    expect(() => new Distiller(T.teacher, plain, cfg, 0)).toThrow(/stateRecon > 0 needs a student with a state decoder/);
    plain.dispose();
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1, overrides: { stateRecon: true } }));
    const d = new Distiller(T.teacher, student, cfg, 0);
    expect(new Set(d.opt.params)).toEqual(new Set(studentTrainables(student, false, true)));
    const decBefore = await bits(student.stateDecoder!.parameters());
    const b = openReplay(teacherDir, T.info).sample(cpu, cfg.batch, cfg.length, { obs: 'image' });
    const want = await stateTermByHand(student, b, (x) => x, cfg.length);
    const m = await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst });
    const got = await readDistilMetrics(m);
    expect(got.stateRecon).toBeCloseTo(want.term, 3);
    for (let k = 0; k < 5; k++) expect(got[`stateMse${k}`], `stateMse${k}`).toBeCloseTo(want.mse[k], 4);
    expect(got.stateMse5).toBeUndefined();
    expect(got.loss).toBeCloseTo(got.h + got.prior + got.post + got.imagH! + got.imagPrior! + 2 * got.stateRecon!, 2);
    expect(await bits(student.stateDecoder!.parameters())).not.toEqual(decBefore);
    for (const t of [...Object.values(m), ...Object.values(b)]) t?.dispose();
    d.dispose();
    student.dispose();
    T.dispose();
  });

  it("with the data's statistics (setStateStats, as a run sets them from replayStateStats) the targets are the standardised state", async () => {
    const T = loadTeacher(cpu, teacherDir);
    const replay = openReplay(teacherDir, T.info);
    const { mean, std } = replayStateStats(replay);
    // over every committed step, the standardised state has mean 0 and std 1 per dimension
    const all: number[][] = [[], [], [], [], []];
    for (const id of replay.episodeIds()) {
      const ep = replay.episode(id)!;
      for (let t = 0; t < ep.length; t++) for (let k = 0; k < 5; k++) all[k].push((ep.state[t * 5 + k] - mean[k]) / std[k]);
    }
    for (let k = 0; k < 5; k++) {
      const m = all[k].reduce((a, x) => a + x, 0) / all[k].length;
      expect(m, `mean of dim ${k}`).toBeCloseTo(0, 5);
      expect(Math.sqrt(all[k].reduce((a, x) => a + (x - m) ** 2, 0) / all[k].length), `std of dim ${k}`).toBeCloseTo(1, 4);
    }
    const cfg = makeDistilConfig('debug', { stateRecon: 1 });
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1, overrides: { stateRecon: true } }));
    const d = new Distiller(T.teacher, student, cfg, 0);
    expect(() => d.setStateStats([0, 0], [1, 1])).toThrow("Distiller.setStateStats: mean and std must have the state's 5 entries, got 2 and 2");
    expect(() => d.setStateStats(mean, [1, 1, 0, 1, 1])).toThrow('Distiller.setStateStats: std[2] must be a finite number > 0, got 0');
    d.setStateStats(mean, std);
    const b = replay.sample(cpu, cfg.batch, cfg.length, { obs: 'image' });
    const want = await stateTermByHand(student, b, (x, k) => (x - mean[k]) / std[k], cfg.length);
    const m = await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst });
    const got = await readDistilMetrics(m);
    expect(got.stateRecon).toBeCloseTo(want.term, 3);
    for (let k = 0; k < 5; k++) expect(got[`stateMse${k}`], `stateMse${k} (standardised)`).toBeCloseTo(want.mse[k], 4);
    for (const t of [...Object.values(m), ...Object.values(b)]) t?.dispose();
    d.dispose();
    student.dispose();
    T.dispose();
  });

  it("from the embed (stateReconFrom 'embed'): the decoder reads the encoder's output of the frame, not [h, z]", async () => {
    const T = loadTeacher(cpu, teacherDir);
    const cfg = makeDistilConfig('debug', { stateRecon: 1 });
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1, overrides: { stateRecon: true, stateReconFrom: 'embed' } }));
    expect(student.stateDecoder!.mlp.inFeatures).toBe(student.encoder.outSize);
    expect(student.encoder.outSize).not.toBe(student.rssm.featureSize);
    const d = new Distiller(T.teacher, student, cfg, 0);
    const b = openReplay(teacherDir, T.info).sample(cpu, cfg.batch, cfg.length, { obs: 'image' });
    const want = await stateTermByHand(student, b, (x) => x, cfg.length);
    const got = await readDistilMetrics(await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst }));
    expect(got.stateRecon).toBeCloseTo(want.term, 3);
    for (let k = 0; k < 5; k++) expect(got[`stateMse${k}`], `stateMse${k}`).toBeCloseTo(want.mse[k], 4);
    for (const t of Object.values(b)) t.dispose();
    d.dispose();
    student.dispose();
    T.dispose();
  });

  it('learns: alone (every other weight 0), the state term on a fixed batch of 16 sequences falls by more than half in 60 updates', async () => {
    const T = loadTeacher(cpu, teacherDir);
    const cfg = makeDistilConfig('debug', { batch: 8, stateRecon: 1, imagined: false, weights: { h: 0, prior: 0, post: 0 }, opt: { lr: 3e-3 } });
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1, overrides: { stateRecon: true } }));
    const d = new Distiller(T.teacher, student, cfg, 0);
    const replay = openReplay(teacherDir, T.info);
    // the measure: the mean per-step 0.5 ||s - stateDecoder(h, z)||^2 on one fixed batch (the per-batch term swings 10x
    // between batches: the random-action episodes' velocities), the student's RNG counter put back after each look
    const fixed = replay.sample(cpu, 16, cfg.length, { obs: 'image' });
    const measure = async () => {
      const off = student.rssm.rngOffset;
      const v = await A.noGrad(async () => {
        const lat = student.rssm.observe(student.encoder.forward(student.preprocess(fixed.obs)), A.constant(fixed.actions), fixed.isFirst);
        return A.gaussianNLL(student.stateDecoder!.forward(student.rssm.feature(lat)), A.constant(fixed.state), 1).value.item();
      });
      student.rssm.rngOffset = off;
      return v;
    };
    const before = await measure();
    await trainSteps(d, replay, 60);
    const after = await measure();
    console.log(`state term alone, fixed batch, per step: ${before.toFixed(3)} -> ${after.toFixed(3)} in 60 updates`);
    expect(after).toBeLessThan(0.5 * before);
    for (const t of Object.values(fixed)) t.dispose();
    d.dispose();
    student.dispose();
    T.dispose();
  }, 180_000);
});

describe('the action-matching term (actionMatch, an extension beyond the paper)', () => {
  it("is the frozen actor's mean action on the student's posterior feature against the teacher's, by hand; alone it falls by more than half on a fixed batch in 100 updates", async () => {
    const T = loadTeacher(cpu, teacherDir);
    const cfg = makeDistilConfig('debug', { batch: 8, actionMatch: 1, imagined: false, weights: { h: 0, prior: 0, post: 0 }, opt: { lr: 3e-3 } });
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1 }));
    const d = new Distiller(T.teacher, student, cfg, 0);
    const replay = openReplay(teacherDir, T.info);
    const fixed = replay.sample(cpu, 16, cfg.length, { obs: 'image' });
    // mean over sequences of the sum over steps of ||mean pi(f_s) - mean pi(f_t)||^2, both RNG counters put back
    const byHand = async (b: typeof fixed) => {
      const off = [student.rssm.rngOffset, T.teacher.wm.rssm.rngOffset];
      const [aS, aT] = await A.noGrad(async () => {
        const sLat = student.rssm.observe(student.encoder.forward(student.preprocess(b.obs)), A.constant(b.actions), b.isFirst);
        const tLat = T.teacher.wm.rssm.observe(T.teacher.wm.encoder.forward(T.teacher.wm.preprocess(b.state)), A.constant(b.actions), b.isFirst);
        const mean = (f: A.Var) => T.teacher.actor.dist(f).mean.toArray() as Promise<Float32Array>;
        return [await mean(student.rssm.feature(sLat)), await mean(T.teacher.wm.rssm.feature(tLat))];
      });
      [student.rssm.rngOffset, T.teacher.wm.rssm.rngOffset] = off;
      let sum = 0;
      for (let i = 0; i < aS.length; i++) sum += (aS[i] - aT[i]) ** 2;
      return sum / b.actions.shape[0];
    };
    const want = await byHand(fixed);
    const m0 = await d.step({ images: fixed.obs, state: fixed.state, actions: fixed.actions, isFirst: fixed.isFirst });
    expect(await m0.act!.item()).toBeCloseTo(want, 4);
    for (const t of Object.values(m0)) t?.dispose();
    const before = await byHand(fixed);
    await trainSteps(d, replay, 100);
    const after = await byHand(fixed);
    console.log(`action term alone, fixed batch: ${before.toFixed(3)} -> ${after.toFixed(3)} in 100 updates`);
    expect(after).toBeLessThan(0.5 * before);
    for (const t of Object.values(fixed)) t.dispose();
    d.dispose();
    student.dispose();
    T.dispose();
  }, 180_000);
});

describe('the learning-rate warmup (opt.warmup, an extension beyond the paper)', () => {
  it('is lr * min(1, k / warmup) by hand, off at 0, and refused when not a non-negative integer', () => {
    const opt = { lr: 1e-3, warmup: 4 };
    expect([1, 2, 3, 4, 5, 9].map((k) => learningRate(opt, k))).toEqual([2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3]);
    expect(learningRate({ lr: 1e-3, warmup: 0 }, 1)).toBe(1e-3);
    expect(() => learningRate(opt, 0)).toThrow(/update must be an integer >= 1 \(1-based\), got 0/);
    expect(() => makeDistilConfig('debug', { opt: { warmup: -1 } })).toThrow(/'opt.warmup' must be a non-negative integer \(updates; 0 = off\), got -1/);
    expect(() => makeDistilConfig('debug', { opt: { warmup: 2.5 } })).toThrow(/'opt.warmup' must be a non-negative integer/);
    expect(makeDistilConfig('quick').opt.warmup).toBe(0);
  });

  it("scales Adam's first steps: with warmup 10 the first update moves the student a tenth as far as without", async () => {
    const T = loadTeacher(cpu, teacherDir);
    const replay = openReplay(teacherDir, T.info);
    const cfg0 = makeDistilConfig('debug', { batch: 8 });
    const fixed = replay.sample(cpu, cfg0.batch, cfg0.length, { obs: 'image' });
    /** The largest |change| of any student parameter over the first `updates` updates on the fixed batch. */
    const moved = async (warmup: number, updates: number) => {
      const cfg = makeDistilConfig('debug', { batch: 8, opt: { warmup } });
      const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1 }));
      const d = new Distiller(T.teacher, student, cfg, 0);
      const before = await Promise.all(d.params.map((p) => p.toArray() as Promise<Float32Array>));
      const lrs: number[] = [];
      for (let k = 0; k < updates; k++) {
        const m = await d.step({ images: fixed.obs, state: fixed.state, actions: fixed.actions, isFirst: fixed.isFirst });
        lrs.push(d.opt.opts.lr);
        for (const t of Object.values(m)) t?.dispose();
      }
      const after = await Promise.all(d.params.map((p) => p.toArray() as Promise<Float32Array>));
      let max = 0;
      after.forEach((a, i) => a.forEach((v, j) => (max = Math.max(max, Math.abs(v - before[i][j])))));
      d.dispose();
      student.dispose();
      return { max, lrs };
    };
    const lr = cfg0.opt.lr;
    const plain = await moved(0, 1);
    const warm = await moved(10, 1);
    // Adam's first step is lr * g / (|g| + eps) per coordinate: about lr wherever |g| >> eps, whatever g is
    expect(plain.max).toBeCloseTo(lr, 6);
    expect(warm.max / plain.max).toBeCloseTo(0.1, 3);
    expect((await moved(10, 3)).lrs).toEqual([0.1, 0.2, 0.3].map((f) => lr * f));
    for (const t of Object.values(fixed)) t.dispose();
    T.dispose();
  }, 180_000);
});

describe('the isFirst host hint', () => {
  it('changes nothing: the same steps with and without batch.isFirstHost give bit-identical students', async () => {
    const T = loadTeacher(cpu, teacherDir);
    const cfg = makeDistilConfig('debug');
    const teacherOffset = T.teacher.wm.rssm.rngOffset; // the teacher's samples advance its Philox counter
    const run = async (hint: boolean) => {
      T.teacher.wm.rssm.rngOffset = teacherOffset;
      const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1 }));
      const d = new Distiller(T.teacher, student, cfg, 0);
      const replay = openReplay(teacherDir, T.info);
      const host = new Float32Array(cfg.batch * cfg.length);
      for (let i = 0; i < cfg.batch; i++) host[i * cfg.length] = 1;
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) {
        const b = replay.sample(cpu, cfg.batch, cfg.length, { obs: 'image' });
        expect(Array.from(await b.isFirst.toArray())).toEqual(Array.from(host)); // the replay's documented layout
        const m = await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst, ...(hint ? { isFirstHost: host } : {}) });
        losses.push(await m.loss.item());
        for (const t of Object.values(b)) t.dispose();
        for (const t of Object.values(m)) t?.dispose();
      }
      const params = await bits(studentTrainables(student));
      d.dispose();
      student.dispose();
      return { losses, params };
    };
    const a = await run(false);
    const b = await run(true);
    expect(b.losses).toEqual(a.losses);
    expect(b.params).toEqual(a.params);
    T.dispose();
  }, 120_000);
});

describe.runIf(hasGpu)('on WebGPU', () => {
  it('a distillation step gives finite losses close to the CPU step, and the teacher stays bit-identical', async () => {
    const g = await gpu();
    const step = async (dev: Device) => {
      const T = loadTeacher(dev, teacherDir);
      const cfg = makeDistilConfig('debug', {});
      const student = new WorldModel(dev, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 1 }));
      const d = new Distiller(T.teacher, student, cfg, 0);
      const teacherParams = [...T.teacher.wm.parameters(), ...T.teacher.actor.parameters()];
      const before = await bits(teacherParams);
      const b = openReplay(teacherDir, T.info).sample(dev, cfg.batch, cfg.length, { obs: 'image' });
      const m = await readMetrics(await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst }));
      const same = JSON.stringify(await bits(teacherParams)) === JSON.stringify(before);
      for (const t of Object.values(b)) t.dispose();
      d.dispose();
      student.dispose();
      T.dispose();
      return { m, same };
    };
    const c = await step(cpu);
    const w = await step(g);
    expect(w.same).toBe(true);
    for (const [k, v] of Object.entries(w.m)) expect(Number.isFinite(v), k).toBe(true);
    // Categorical samples may flip where a probability sits on a boundary (f32 rounding differs): loose tolerance.
    expect(Math.abs(w.m.loss - c.m.loss)).toBeLessThan(0.2 * c.m.loss);
  });
});

describe('DeployedAgent', () => {
  it('acts from images only, and a save/load round trip gives the same actions', async () => {
    const T = loadTeacher(cpu, teacherDir);
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 4 }));
    const agent = new DeployedAgent(student, T.teacher.actor, { task: 'cartpole-balance', actor: actorSpecOf(T.config.agent.behaviour, student.rssm.featureSize, 1), seed: 9 });
    const dir = tmp('deployed');
    await agent.save(dir, { note: 'test' });
    const N = 3;
    const frames = Array.from({ length: 4 }, (_, t) => Uint8Array.from({ length: N * 32 * 32 * 3 }, (_, i) => (i * 37 + t * 101) % 256));
    const run = async (a: DeployedAgent) => {
      a.resetPolicy();
      const out: number[][] = [];
      for (let t = 0; t < frames.length; t++) {
        const x = tensor(cpu, frames[t], [N, 32, 32, 3], 'u8');
        out.push(Array.from(await a.act(x, t === 0 ? [1, 1, 1] : [0, 0, 1 * (t === 2 ? 1 : 0)], t === 3 ? 'sample' : 'mode')));
        x.dispose();
      }
      return out;
    };
    const original = await run(agent);
    const loaded = DeployedAgent.load(cpu, dir);
    expect(loaded.meta.source).toEqual({ note: 'test' });
    expect(await run(loaded)).toEqual(original);
    expect(original.flat().every((v) => v >= -1 && v <= 1)).toBe(true);
    // it refuses the state: the deployed agent never reads it
    await expect(loaded.act(tensor(cpu, new Float32Array(N * 5), [N, 5]), [1, 1, 1], 'mode')).rejects.toThrow(/camera images \[N, 32, 32, 3\].*never reads the state/);
    loaded.dispose();
    agent.dispose();
    student.dispose();
    T.dispose();
  });

  it("latentCheck's trace: every step's true states and both actions; with the teacher driving, its actions are the executed ones and the states follow them in the simulator", async () => {
    const T = loadTeacher(cpu, teacherDir);
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: 32, seed: 4 }));
    const agent = new DeployedAgent(student, T.teacher.actor, { task: 'cartpole-balance', actor: actorSpecOf(T.config.agent.behaviour, student.rssm.featureSize, 1), seed: 9 });
    const opts = { task: 'cartpole-balance', domain: 'heldout' as const, seed: 5, episodes: 2, episodeLength: 12 };
    const r = await latentCheck(cpu, T.teacher, agent, { ...opts, driver: 'teacher', trace: true });
    const tr = r.trace!;
    expect(tr.state.length).toBe(r.hErrorByStep.length);
    expect(tr.state.length).toBeGreaterThan(0);
    expect(tr.state.every((s) => s.length === 2 * 5) && tr.studentAction.every((a) => a.length === 2) && tr.teacherAction.every((a) => a.length === 2)).toBe(true);
    // the trace's action error is the report's per-step one
    tr.studentAction.forEach((a, t) => expect((Math.abs(a[0] - tr.teacherAction[t][0]) + Math.abs(a[1] - tr.teacherAction[t][1])) / 2).toBeCloseTo(r.actionErrorByStep[t], 5));
    // replaying the teacher's traced actions in a fresh env gives the traced states
    const vec = await VecEnv.create('cartpole-balance', { num: 2, workers: 0, seed: 5, episodeLength: 12 });
    let obs = await vec.reset([5, 6]);
    for (let t = 0; t < tr.state.length; t++) {
      expect(Array.from(tr.state[t])).toEqual(Array.from(obs.state));
      obs = await vec.step(tr.teacherAction[t]);
    }
    await vec.close();
    expect((await latentCheck(cpu, T.teacher, agent, { ...opts, driver: 'teacher' })).trace).toBeUndefined();
    agent.dispose();
    student.dispose();
    T.dispose();
  });
});

describe('distillation runs', () => {
  it('write a run directory (run.json kind distil, metrics of each term, curve, deployed agent, summary) and resume bit for bit', async () => {
    // with a learning-rate warmup over 4 of the 6 updates, so the resumed run must also pick up its schedule
    const warm = { overrides: { logEvery: 1, evalEvery: 3, evalEpisodes: 1, checkpointEvery: 2, opt: { warmup: 4 } } };
    const a = tmp('a');
    const ra = await distil(tinyRun(a, warm));
    expect(ra.updates).toBe(6);
    const p = distilPaths(a);
    const cfg = readRunConfig<DistilRunConfig>(a);
    expect(cfg.kind).toBe('distil');
    expect(cfg.teacher).toBe(teacherDir);
    expect(cfg.distil.steps).toBe(6);
    expect(cfg.distil.opt.warmup).toBe(4);
    expect(cfg.student.modality).toBe('image');
    expect(cfg.student.rssm).toEqual(readRunConfig<{ world: { rssm: unknown } }>(teacherDir).world.rssm);
    const rows = readMetricsLog(p.metrics);
    const train = rows.filter((r) => r.kind === 'distil');
    expect(train.map((r) => r.updates)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const k of ['loss', 'h', 'prior', 'post', 'imagH', 'imagPrior', 'gradNorm']) expect(Number.isFinite(train[0][k]), k).toBe(true);
    expect(rows.filter((r) => r.kind === 'eval').map((r) => r.updates)).toEqual([3, 6]);
    expect(rows.filter((r) => r.kind === 'teacher-eval').length).toBe(1);
    expect(existsSync(`${p.curve}.png`) && existsSync(`${p.curve}.svg`)).toBe(true);
    expect(AN.hasCheckpoint(p.deployed)).toBe(true);
    const summary = JSON.parse(readFileSync(p.summary, 'utf8'));
    expect(summary.distilSteps).toBe(6);
    expect(summary.evalReturns.length).toBe(1);
    // the held-out evaluation's background per episode, in the summary and in the metrics' eval rows
    expect(summary.evalBackgrounds).toHaveLength(1);
    expect(VISUAL_DISTRIBUTIONS.heldout.families).toContain(summary.evalBackgrounds[0]);
    for (const r of rows.filter((r) => r.kind === 'eval')) expect(r.backgrounds).toHaveLength(1);
    expect(Number.isFinite(summary.teacherStateReturn.mean)).toBe(true);
    expect(summary.latentCheck.steps).toBeGreaterThan(0);
    expect(Number.isFinite(summary.latentCheck.hError) && Number.isFinite(summary.latentCheck.actionError)).toBe(true);
    // The checkpoint holds the student and its optimiser only: nothing of the teacher.
    const manifest = JSON.parse(readFileSync(join(p.ckpt, 'checkpoint.json'), 'utf8'));
    const names = [...AN.loadSafetensors(join(p.ckpt, manifest.weights.file)).tensors.keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith('student/'))).toBe(true);

    // Interrupted after its first checkpoint (2 updates), then resumed: the same student, the same metrics.
    const b = tmp('b');
    const first = await distil(tinyRun(b, { ...warm, stopAfterCheckpoints: 1 }));
    expect(first.stoppedEarly).toBe(true);
    expect(first.updates).toBe(2);
    const rb = await distil({ dir: b, device: cpu, resume: true });
    expect(rb.updates).toBe(6);
    const strip = (rs: Record<string, any>[]) => rs.filter((r) => r.kind === 'distil' || r.kind === 'eval').map((r) => JSON.stringify(r));
    expect(strip(readMetricsLog(distilPaths(b).metrics))).toEqual(strip(rows));
    const da = DeployedAgent.load(cpu, p.deployed);
    const db = DeployedAgent.load(cpu, distilPaths(b).deployed);
    expect(await bits(db.student.rssm.parameters())).toEqual(await bits(da.student.rssm.parameters()));
    expect(await bits(db.student.encoder.parameters())).toEqual(await bits(da.student.encoder.parameters()));
    da.dispose();
    db.dispose();
    // Resumed once more after its last update (as when cut off between the final checkpoint and summary.json):
    // nothing is trained or evaluated again, and the summary keeps the last evaluation
    const before = JSON.parse(readFileSync(distilPaths(b).summary, 'utf8'));
    const again = await distil({ dir: b, device: cpu, resume: true, latentEpisodes: 0 });
    expect(again.updates).toBe(6);
    const after = JSON.parse(readFileSync(distilPaths(b).summary, 'utf8'));
    expect(after.evalMean).toBe(before.evalMean);
    expect(after.evalReturns).toEqual(before.evalReturns);
    expect(after.evalMean).not.toBeNull();
  });

  it('ablations by flag: without Eq. 4 no imagined terms are computed; without h and post their weights are 0', async () => {
    const cfg = makeDistilConfig('debug', {}, { noImagined: true, noH: true, noPost: true });
    expect(cfg.imagined).toBe(false);
    expect(cfg.weights).toEqual({ h: 0, prior: 1, post: 0, imagH: 0, imagPrior: 1 });
    const dir = tmp('ablation');
    await distil(tinyRun(dir, { steps: 2, ablations: { noImagined: true, noH: true }, overrides: { logEvery: 1, evalEvery: 100, evalEpisodes: 1, checkpointEvery: 100 }, latentEpisodes: 0 }));
    const row = readMetricsLog(distilPaths(dir).metrics).find((r) => r.kind === 'distil')!;
    expect(row.imagH).toBeUndefined();
    // loss = prior + post only (h still logged, weight 0)
    expect(row.loss).toBeCloseTo(row.prior + row.post, 3);
    expect(() => makeDistilConfig('debug', { weights: { prior: 0, post: 0 } }, { noImagined: true, noH: true })).toThrow(/every term is switched off/);
  });

  it('with the state term, every logged update has its per-dimension errors stateMse0..4, which add up to the term', async () => {
    const dir = tmp('state-recon');
    await distil(tinyRun(dir, { steps: 2, overrides: { stateRecon: 1, logEvery: 1, evalEvery: 100, evalEpisodes: 1, checkpointEvery: 100 }, latentEpisodes: 0 }));
    const rows = readMetricsLog(distilPaths(dir).metrics).filter((r) => r.kind === 'distil');
    expect(rows.length).toBe(2);
    for (const row of rows) {
      expect(Number.isFinite(row.stateRecon)).toBe(true);
      const mse = [0, 1, 2, 3, 4].map((k) => row[`stateMse${k}`]);
      expect(mse.every((v) => Number.isFinite(v) && v >= 0), JSON.stringify(mse)).toBe(true);
      // the term is L x 0.5 x the sum of the per-dimension errors (timeReduce 'sum', L = the debug preset's length)
      expect(row.stateRecon).toBeCloseTo(0.5 * makeDistilConfig('debug', {}).length * mse.reduce((a, v) => a + v, 0), 2);
      expect(row.stateMse5).toBeUndefined();
    }
  });

  it('stops naming a non-finite loss; the run is refused for a teacher without collected images', async () => {
    const dir = tmp('nan');
    // lr 1e30: after the first update the student's parameters overflow and the next losses are Inf/NaN
    // every step after the first is skipped: distillation stops after MAX_CONSECUTIVE_SKIPS of them in a row
    await expect(distil(tinyRun(dir, { steps: 40, overrides: { logEvery: 1, evalEvery: 100, checkpointEvery: 100, opt: { lr: 1e30 } } }))).rejects.toThrow(
      /non-finite .*(NaN|Infinity).* at distillation update \d+.*; the last good checkpoint is in .*ckpt/,
    );
    const notCollected = tmp('plain');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(notCollected);
    writeFileSync(join(notCollected, 'run.json'), JSON.stringify({ ...readRunConfig<Record<string, unknown>>(teacherDir), collect: undefined }));
    await expect(distil({ dir: tmp('x'), device: cpu, teacher: notCollected })).rejects.toThrow(/collected no images; train the teacher with --collect-images/);
    // sequences longer than any collected episode (51 records): refused before the run directory is written
    const long = tmp('long');
    await expect(distil(tinyRun(long, { overrides: { length: 60 } }))).rejects.toThrow(/no collected episode has L = 60 steps \(4 episodes, longest 51\)/);
    expect(existsSync(long)).toBe(false);
  });
});
