/**
 * The learning test (issue 10): at the debug preset on cartpole-balance, distillation lowers the student's
 * h error against the teacher on HELD-OUT-domain images (texture families never seen in the collected data)
 * by at least a factor of 3 in 100 updates (measured 5.85 -> 0.61, x9.5, relative error 1.36 -> 0.15, and the
 * action error of the teacher's actor on the two latents 0.44 -> 0.14, on the CPU backend with these seeds;
 * deterministic there; the DR and 4-ray rendering of 5dc38f5; before it x8.7). About 25 s alone on the 2-core
 * machine (teacher ~9 s, 100 updates ~16 s); 104 s while a distillation run shared the machine, hence the
 * 300 s timeout.
 *
 * Measure: latentCheck with the teacher driving (so both measurements see the same trajectories), 8 held-out
 * episodes of 16 policy steps (32 control steps; the distillation sequence length is 16), mean over steps of
 * ||h_teacher - h_student||^2. The error cannot reach zero: h depends on the sampled z of each model.
 */
import { describe, expect, it } from 'vitest';
import { Replay, runPaths, type ReplayState } from '@twist/agent/node';
import { readMetrics, WorldModel } from '@twist/rssm';
import { actorSpecOf, Distiller, makeDistilConfig, makeStudentConfig } from '../src/index.js';
import { DeployedAgent, latentCheck, loadTeacher } from '../src/node.js';
import { cpu, tmp, trainTinyTeacher } from './harness.js';

const UPDATES = 100;
/** The teacher: 800 frames (8 episodes of 51 records, ~65 world-model and actor-critic updates). */
const TEACHER_FRAMES = 800;

describe('distillation learns', () => {
  it('lowers the h error against the teacher on held-out-domain images by >= 3x in 100 updates (debug preset)', async () => {
    const t0 = performance.now();
    const dir = await trainTinyTeacher(tmp('teacher'), TEACHER_FRAMES);
    const t1 = performance.now();
    const T = loadTeacher(cpu, dir);
    // Debug preset with B = 8 sequences (the preset's 4 is noisier) and lr 3e-3 (the preset's 1e-3 is slower).
    const cfg = makeDistilConfig('debug', { batch: 8, opt: { lr: 3e-3 } });
    const student = new WorldModel(cpu, makeStudentConfig(T.config.world, { preset: 'debug', imageSize: T.config.collect!.imageSize, seed: 11 }));
    const distiller = new Distiller(T.teacher, student, cfg, 0);
    const deployed = new DeployedAgent(student, T.teacher.actor, { task: 'cartpole-balance', actor: actorSpecOf(T.config.agent.behaviour, student.rssm.featureSize, 1) });
    const rs = T.info.replay as ReplayState;
    const replay = Replay.open(
      runPaths(dir).replay,
      { stateSize: 5, actionSize: 1, imageShape: [32, 32, 3], numEnvs: rs.config.numEnvs, capacity: rs.config.capacity, obs: 'image' },
      { ...rs, pending: null },
    );
    const check = () => latentCheck(cpu, T.teacher, deployed, { task: 'cartpole-balance', domain: 'heldout', seed: 77, episodes: 8, episodeLength: 32, driver: 'teacher' });
    const before = await check();
    const losses: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const b = replay.sample(cpu, cfg.batch, cfg.length, { obs: 'image' });
      const m = await distiller.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst });
      for (const t of Object.values(b)) t.dispose();
      if (i < 10 || i >= UPDATES - 10) losses.push((await readMetrics(m)).h);
      for (const t of Object.values(m)) t?.dispose();
    }
    const t2 = performance.now();
    const after = await check();
    console.log(
      `held-out h error ${before.hError.toFixed(3)} -> ${after.hError.toFixed(3)} (x${(before.hError / after.hError).toFixed(2)}), ` +
        `relative ${before.hRelError.toFixed(3)} -> ${after.hRelError.toFixed(3)}, action error ${before.actionError.toFixed(3)} -> ${after.actionError.toFixed(3)}; ` +
        `teacher ${((t1 - t0) / 1000).toFixed(1)} s, ${UPDATES} updates ${((t2 - t1) / 1000).toFixed(1)} s; batch h loss ${(losses.slice(0, 10).reduce((a, b) => a + b) / 10).toFixed(2)} -> ${(losses.slice(10).reduce((a, b) => a + b) / 10).toFixed(2)}`,
    );
    expect(before.steps).toBe(8 * 16);
    expect(after.hError).toBeLessThan(before.hError / 3);
    expect(after.actionError).toBeLessThan(before.actionError / 1.5);
    expect(losses.slice(10).reduce((a, b) => a + b)).toBeLessThan(losses.slice(0, 10).reduce((a, b) => a + b) / 1.5);
    deployed.dispose();
    distiller.dispose();
    student.dispose();
    T.dispose();
  }, 300_000);
});
