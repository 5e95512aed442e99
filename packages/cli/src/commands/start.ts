import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunConfig } from '@twist/agent';
import { collectTeacherData, readMetricsLog, readRunConfig, runPaths } from '@twist/agent/node';
import { writeFileAtomic } from '@twist/autograd/node';
import { distil, distilPaths, type DistilProgress } from '@twist/distil/node';
import { openDevice } from './device.js';
import { collectProgressPrinter } from './collect.js';
import { distilProgressPrinter } from './distil.js';

/** What `npm start` runs (scripts/main.mjs), at sizes an environment variable may shrink for tests. */
export interface StartOptions {
  /** Pipeline folder (replaced on every run): teacher/, data/, distil/, summary.json, summary.md. */
  dir: string;
  /** The committed weights-only Oracle teacher (copied into dir/teacher, never written). */
  teacher: string;
  /** Episodes of matched collection (teacher acting from the state, train DR re-drawn every step). */
  episodes: number;
  /**
   * Distillation updates: a fixed number, or null for as many as fit `budgetSeconds` (from the pipeline's
   * start to the end of its evaluation): the first probeSteps updates measure the rate, then the run is
   * resumed (bit for bit as uninterrupted) up to the number that leaves room for the evaluations.
   */
  distilSteps: number | null;
  budgetSeconds?: number;
  probeSteps?: number;
  /** At most this many updates when budgeted. */
  maxSteps?: number;
  /** The sequences of each batch (B x L) and the imagination starts. */
  batch: number;
  length: number;
  imagStarts: number;
  lr?: number;
  /** Evaluation episodes of every row (student on held-out domains, teacher on the state, zero and random). */
  evalEpisodes: number;
  /** Episodes of the student-vs-teacher latent check (0 skips it). */
  latentEpisodes: number;
  /** Control steps per episode (default: the task's 1000); tests shrink it. */
  episodeLength?: number;
  backend?: string;
  log?: (line: string) => void;
}

export interface StartResult {
  summary: Record<string, any>;
  seconds: Record<string, number>;
}

/** The distillation's sizes; the deployed student is evaluated once, at the end (evalEvery beyond the run). */
const overridesFor = (o: StartOptions, checkpointEvery: number, evalEvery: number) => ({
  batch: o.batch,
  length: o.length,
  imagStarts: o.imagStarts,
  evalEvery,
  evalEpisodes: o.evalEpisodes,
  checkpointEvery,
  logEvery: 10,
  ...(o.lr !== undefined ? { opt: { lr: o.lr } } : {}),
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The main job: TWIST from a committed teacher. (1) copy the quick Oracle (state Dreamer, weights only) and
 * collect matched data with it; (2) Algorithm 1 for a few hundred updates into an image student; (3) the
 * deployed agent (student encoder + student posterior + teacher actor, from images alone) on held-out visual
 * domains beside the teacher on the state and the zero-action and random policies, all on the same episode
 * seeds, and the latent check; the time of each stage. Writes summary.json and summary.md in dir.
 */
export async function startPipeline(o: StartOptions): Promise<StartResult> {
  const log = o.log ?? console.log;
  const start = performance.now();
  const seconds: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    seconds[name] = (now - t) / 1000;
    t = now;
  };
  rmSync(o.dir, { recursive: true, force: true }); // the main job's scratch space, not a user's run
  mkdirSync(o.dir, { recursive: true });
  const teacherDir = join(o.dir, 'teacher');
  const dataDir = join(o.dir, 'data');
  const distilDir = join(o.dir, 'distil');
  if (!existsSync(join(o.teacher, 'run.json'))) throw new Error(`the committed teacher ${o.teacher} is missing (no run.json)`);
  cpSync(o.teacher, teacherDir, { recursive: true });
  const tc = readRunConfig<RunConfig>(teacherDir);
  const device = await openDevice(o.backend ?? 'auto');
  try {
    lap('copy');
    log(`== 1/3 collection: the teacher (oracle, ${tc.preset} preset, trained ${tc.source?.envFrames ?? '?'} env steps) acts from the state on ${tc.task}; every step rendered with train-distribution DR, re-drawn per step: ${o.episodes} episodes -> ${dataDir}`);
    const cShow = collectProgressPrinter(process.stderr, log);
    const c = await collectTeacherData({ teacher: teacherDir, dir: dataDir, device, episodes: o.episodes, envs: o.episodes, episodeLength: o.episodeLength, log: (s) => cShow.line(s), progress: (p) => cShow.progress(p) });
    cShow.done();
    lap('collect');

    const budgeted = o.distilSteps === null;
    const probe = o.probeSteps ?? 40;
    log(
      `== 2/3 distillation (Eq. 3 + Eq. 4) of ${o.batch} x ${o.length} steps, ${o.imagStarts} imagination starts -> ${distilDir}: ` +
        (budgeted ? `as many updates as fit ${Math.round(o.budgetSeconds!)} s from the start (rate measured over the first ${probe})` : `${o.distilSteps} updates`),
    );
    const dShow = distilProgressPrinter(process.stderr, log);
    // phase times from the progress reports: the teacher's evaluation, the updates, the student's, the latent check
    const phase: Record<string, number> = {};
    let current: DistilProgress['phase'] | null = null;
    let since = performance.now();
    const progress = (p: DistilProgress) => {
      if (p.phase !== current) {
        const now = performance.now();
        if (current) phase[current] = (phase[current] ?? 0) + (now - since) / 1000;
        current = p.phase;
        since = now;
      }
      dShow.progress(p);
    };
    const closePhase = () => {
      if (current) phase[current] = (phase[current] ?? 0) + (performance.now() - since) / 1000;
      current = null;
    };
    const common = { dir: distilDir, device, latentEpisodes: o.latentEpisodes, command: 'npm start', log: (s: string) => dShow.line(s), progress };
    let total = o.distilSteps ?? 0;
    let d;
    if (!budgeted) {
      d = await distil({ ...common, teacher: dataDir, preset: tc.preset, steps: total, overrides: overridesFor(o, total, total) });
    } else {
      // the probe: stops after its first checkpoint (as if killed there), before any evaluation of the student
      const t0 = performance.now();
      const p = await distil({ ...common, teacher: dataDir, preset: tc.preset, steps: Math.max(o.maxSteps ?? 3000, probe + 1), overrides: overridesFor(o, probe, 1_000_000_000), stopAfterCheckpoints: 1 });
      closePhase();
      const rate = p.updates / (phase.distil + (phase.checkpoint ?? 0));
      // what is left after the updates: the student's evaluation and the latent check, priced from the teacher's
      // evaluation (the same episodes with the references; measured: 3.2x for the student, 1.3x for one latent
      // episode), and the resume's reloading
      const reserve = 5 * (phase['teacher-eval'] ?? 0) + 15;
      const left = o.budgetSeconds! - (performance.now() - start) / 1000 - reserve;
      total = Math.min(o.maxSteps ?? 3000, Math.max(p.updates + 1, p.updates + Math.floor(left * rate)));
      log(`probe: ${p.updates} updates at ${rate.toFixed(2)} updates/s (${((performance.now() - t0) / 1000).toFixed(1)} s with the teacher's evaluation); ${Math.round(left)} s left for updates -> ${total} updates in all`);
      d = await distil({ ...common, resume: true, steps: total });
    }
    closePhase();
    dShow.done();
    lap('distil');
    const dist = {
      teacherEval: phase['teacher-eval'] ?? 0,
      updates: (phase.distil ?? 0) + (phase.checkpoint ?? 0),
      studentEval: phase.eval ?? 0,
      latentCheck: phase['latent-check'] ?? 0,
    };

    // (3) the table: every row on the same episode seeds (the distillation's evaluation seeds)
    const ev = d.lastEval!;
    const te = d.teacherEval!;
    const refs = d.references!;
    const rows = readMetricsLog(distilPaths(distilDir).metrics).filter((r) => r.kind === 'distil');
    const first = rows[0];
    const last = rows.at(-1)!;
    const updatesPerSecond = d.updates / dist.updates;
    const summary = {
      task: tc.task,
      method: 'twist',
      what: 'npm start: distillation of a committed quick Oracle teacher for a few hundred updates (not the full 3000-update quick run); held-out return of the deployed student beside the teacher on the state and the zero-action and random policies, same seeds',
      teacher: { run: tc.source?.run ?? null, envSteps: tc.source?.envFrames ?? null, updates: tc.source?.updates ?? null, preset: tc.preset },
      collected: { episodes: c.episodes, policySteps: c.policySteps, envFrames: c.envFrames, meanReturn: mean(c.returns), renderSeconds: c.renderSeconds },
      distil: { updates: d.updates, budgetSeconds: budgeted ? o.budgetSeconds : null, batch: o.batch, length: o.length, imagStarts: o.imagStarts, horizon: d.config.distil.horizon, lr: d.config.distil.opt.lr, preset: d.config.preset, updatesPerSecond },
      evalDomain: 'heldout',
      evalSeeds: ev.seeds,
      deployedHeldout: { mean: ev.mean, std: ev.std, returns: ev.returns },
      teacherStateReturn: { mean: te.mean, returns: te.returns },
      references: { zero: { mean: refs.zero.mean, returns: refs.zero.returns }, random: { mean: refs.random.mean, returns: refs.random.returns } },
      heldoutOverTeacher: te.mean !== 0 ? ev.mean / te.mean : null,
      losses: { first: first ?? null, last: last ?? null },
      latentCheck: d.latent ? (({ hErrorByStep: _h, actionErrorByStep: _a, ...b }) => b)(d.latent) : null,
      seconds: { ...seconds, distilStages: dist },
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), adapter: device.label ?? null, node: process.version },
      runs: { teacher: resolve(teacherDir), data: resolve(dataDir), distil: resolve(distilDir) },
    };
    const f = (x: number) => x.toFixed(1);
    const n = ev.episodes;
    const table = [
      `| policy (cartpole-balance, ${n} episodes, the same seeds ${ev.seeds[0]}..${ev.seeds.at(-1)}) | return |`,
      '| --- | --- |',
      `| deployed student (images, held-out visual domains), after ${d.updates} distillation updates | ${f(ev.mean)} +- ${f(ev.std)} |`,
      `| teacher: Oracle on the state (${tc.preset}, ${tc.source?.envFrames ?? '?'} env steps) | ${f(te.mean)} |`,
      `| zero action | ${f(refs.zero.mean)} |`,
      `| uniform random actions | ${f(refs.random.mean)} |`,
    ];
    const lat = d.latent;
    const notes = [
      first && last ? `Eq. 3's h term on the training batches: ${f(first.h)} at update ${first.updates} -> ${f(last.h)} at update ${last.updates}; total loss ${f(first.loss)} -> ${f(last.loss)}.` : '',
      lat ? `Latent check (held-out domains, ${lat.steps} steps): mean ||h_teacher - h_student||^2 ${lat.hError.toFixed(2)} (relative ${lat.hRelError.toFixed(3)}), mean |a_teacher - a_student| ${lat.actionError.toFixed(3)}.` : '',
      `Times (s): copy ${f(seconds.copy)}, collection ${f(seconds.collect)}, distillation ${f(seconds.distil)} (teacher and reference evaluation ${f(dist.teacherEval)}, ${d.updates} updates ${f(dist.updates)} = ${updatesPerSecond.toFixed(2)} updates/s, student evaluation ${f(dist.studentEval)}, latent check ${f(dist.latentCheck)}).`,
    ].filter(Boolean);
    const md = [
      '# npm start: TWIST on cartpole-balance from the committed quick teacher',
      '',
      `Teacher: \`${o.teacher}\` (weights only; exported from ${tc.source?.run ?? '?'} at ${tc.source?.envFrames ?? '?'} env steps). ` +
        `Collected ${c.episodes} episodes (${c.policySteps} steps) with it; distilled for ${d.updates} updates` + (budgeted ? ` (as many as fit ${Math.round(o.budgetSeconds!)} s from the start, at the rate of the first ${probe}).` : '.'),
      '',
      ...table,
      '',
      ...notes,
      '',
      `${d.updates} updates of ${o.batch} x ${o.length} are a small fraction of a real distillation (the quick preset's is 3000 of 16 x 32): this shows the pipeline end to end on real data (collection, Eq. 3 + 4, deployment from images, held-out evaluation on the same seeds), not a trained student.`,
      '',
    ].join('\n');
    writeFileAtomic(join(o.dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    writeFileAtomic(join(o.dir, 'summary.md'), md);
    log('');
    for (const l of table) log(l);
    log('');
    for (const l of notes) log(l);
    log(`wrote ${join(o.dir, 'summary.json')} and summary.md; curve: ${runPaths(distilDir).curve}.png`);
    return { summary, seconds };
  } finally {
    device.destroy();
  }
}
