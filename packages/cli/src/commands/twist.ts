import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { AGENT_PRESETS } from '@twist/agent';
import { evaluate, train, type EvalReport, type TrainProgress } from '@twist/agent/node';
import { writeFileAtomic } from '@twist/autograd/node';
import { teacherStateActor } from '@twist/distil';
import { DeployedAgent, distil, distilPaths, loadTeacher, writeDistilCurve } from '@twist/distil/node';
import { TASK_NAMES } from '@twist/envs';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';
import { openDevice } from './device.js';
import { distilOptions, distilOverridesOf, distilProgressPrinter } from './distil.js';
import { progressPrinter } from './progress.js';
import { parseConfigOverrides, type RunConfigOverrides } from './train.js';

/** Teacher budgets (env frames) by preset when --teacher-steps is not given: debug smoke, quick, the paper's 500K. */
const TEACHER_STEPS: Record<string, number> = { debug: 2_000, quick: 100_000, paper: 500_000 };

export const twistOptions: Record<string, OptionSpec> = {
  task: { type: 'string', choices: TASK_NAMES as unknown as string[], help: 'the task' },
  preset: { type: 'string', default: 'quick', choices: Object.keys(AGENT_PRESETS), help: 'sizes of teacher, student and distillation: debug, quick (2-core machine), paper' },
  out: { type: 'string', help: "pipeline folder: teacher/ (oracle run with matched image collection), distil/ (distillation run), eval/, summary.json; an existing one is continued" },
  seed: { type: 'integer', default: 0, help: 'seed of everything' },
  'teacher-steps': { type: 'integer', min: 1, help: 'teacher budget in env frames (default by preset: debug 2000, quick 100000, paper 500000)' },
  'distil-steps': { type: 'integer', min: 1, help: "distillation updates (default: the preset's; quick 3000, paper 50000)" },
  episodes: { type: 'integer', default: 10, min: 1, help: 'evaluation episodes per domain (held-out, train, none) and for the teacher on the state' },
  'eval-seed': { type: 'integer', default: 2_000_000, help: 'evaluation episode i uses env seed eval-seed + i (the same for every row)' },
  'episode-length': { type: 'integer', min: 2, help: "control steps per episode, in training and evaluation (default: the task's)" },
  envs: { type: 'integer', min: 1, help: "parallel environments of the teacher (default: the preset's)" },
  'teacher-config': { type: 'string', help: 'overrides of the teacher\'s presets as JSON, as train --config (e.g. \'{"agent":{"behaviour":{"returnNorm":true}}}\')' },
  workers: { type: 'integer', default: 0, min: 0, help: 'env worker threads of the teacher (0 = in-process)' },
  'no-imagined': distilOptions['no-imagined'],
  'no-h': distilOptions['no-h'],
  'no-post': distilOptions['no-post'],
  noise: distilOptions.noise,
  recon: distilOptions.recon,
  'state-recon': distilOptions['state-recon'],
  'state-recon-from': distilOptions['state-recon-from'],
  'action-match': distilOptions['action-match'],
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

const brief = (r: EvalReport) => ({ episodes: r.episodes, mean: r.mean, std: r.std, returns: r.returns });

/**
 * `twist twist`: the whole of TWIST. (1) the teacher: an Oracle (state Dreamer) trained with matched image
 * collection (every step rendered with train-distribution DR); (2) Algorithm 1: distillation into an image
 * student; (3) evaluation of the deployed agent (student encoder + teacher actor, from images) on held-out
 * domains, the train distribution and the plain look, beside the teacher on the state and the zero-action
 * and random policies on the same seeds; one summary.json. Each stage resumes if the folder exists.
 */
export async function twistCommand(a: Parsed, argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  for (const k of ['task', 'out'] as const) {
    if (a[k] === undefined) throw new UsageError(`twist twist: --${k} is required; e.g. twist twist --task cartpole-balance --preset quick --out runs/twist-cartpole`);
  }
  const out = String(a.out);
  const marker = join(out, 'twist.json');
  const preset = String(a.preset);
  const task = String(a.task);
  const seed = Number(a.seed);
  if (existsSync(out) && readdirSync(out).length && !existsSync(marker)) {
    throw new UsageError(`twist twist: ${out} exists, is not empty and is not a 'twist twist' folder (no twist.json); choose another --out`);
  }
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8'));
    for (const [k, v] of [['task', task], ['preset', preset], ['seed', seed]] as const) {
      if (m[k] !== v) throw new UsageError(`twist twist: ${out} is a pipeline with --${k} ${m[k]}, not ${v}; continue it with the same options or choose another --out`);
    }
  }
  const { overrides, ablations, studentOverrides } = distilOverridesOf(a);
  let teacherOverrides: RunConfigOverrides = a['teacher-config'] !== undefined ? parseConfigOverrides('twist twist: --teacher-config', String(a['teacher-config'])) : {};
  if (a.envs) teacherOverrides = { ...teacherOverrides, agent: { ...teacherOverrides.agent, loop: { ...teacherOverrides.agent?.loop, envs: Number(a.envs) } } };
  const teacherDir = join(out, 'teacher');
  const distilDir = join(out, 'distil');
  const command = ['twist', 'twist', ...argv].join(' ');
  const episodeLength = a['episode-length'] as number | undefined;
  mkdirSync(out, { recursive: true });
  writeFileAtomic(marker, JSON.stringify({ kind: 'twist', task, preset, seed, teacher: 'teacher', distil: 'distil', command }, null, 2) + '\n');

  const device = await openDevice(String(a.backend));
  try {
    // (1) teacher with matched collection
    const teacherSteps = (a['teacher-steps'] as number | undefined) ?? TEACHER_STEPS[preset];
    log(`[1/3] teacher: oracle on ${task} (${preset}) with matched image collection, ${teacherSteps} env steps -> ${teacherDir}`);
    const tShow = progressPrinter();
    const resumeTeacher = existsSync(join(teacherDir, 'run.json'));
    if (resumeTeacher && a['teacher-config'] !== undefined) {
      throw new UsageError(`twist twist: ${teacherDir} exists and keeps its own config; --teacher-config applies only to a new teacher (drop it to continue, or choose another --out)`);
    }
    const t = await train({
      dir: teacherDir,
      device,
      resume: resumeTeacher,
      method: 'oracle',
      task,
      ...(resumeTeacher ? {} : { preset, seed, episodeLength, collectImages: true, overrides: teacherOverrides }),
      steps: teacherSteps,
      workers: Number(a.workers),
      command,
      log: (s) => tShow.line(s),
      progress: (p: TrainProgress) => tShow.progress(p),
    });
    tShow.done();

    // (2) distillation (Algorithm 1)
    log(`[2/3] distillation into an image student -> ${distilDir}`);
    const dShow = distilProgressPrinter();
    const resumeDistil = existsSync(join(distilDir, 'run.json'));
    const d = await distil({
      dir: distilDir,
      device,
      resume: resumeDistil,
      teacher: teacherDir,
      ...(resumeDistil ? {} : { preset, seed, overrides, ablations, studentOverrides }),
      steps: a['distil-steps'] as number | undefined,
      command,
      log: (s) => dShow.line(s),
      progress: (p) => dShow.progress(p),
    });
    dShow.done();

    // (3) evaluation: the deployed agent in three visual domains, the teacher on the state, the references
    log(`[3/3] evaluation: ${a.episodes} episodes per row, seeds ${a['eval-seed']}..`);
    const e0 = performance.now();
    const evalOpts = { task, episodes: Number(a.episodes), seed: Number(a['eval-seed']), episodeLength };
    const deployed = DeployedAgent.load(device, distilPaths(distilDir).deployed);
    const rows: Record<string, EvalReport> = {};
    try {
      rows.heldout = await evaluate(device, deployed, { ...evalOpts, domain: 'heldout', references: true });
      rows.train = await evaluate(device, deployed, { ...evalOpts, domain: 'train', references: false });
      rows.none = await evaluate(device, deployed, { ...evalOpts, domain: 'none', references: false });
    } finally {
      deployed.dispose();
    }
    const T = loadTeacher(device, teacherDir);
    const tActor = teacherStateActor(T.teacher);
    let teacherEval: EvalReport;
    try {
      teacherEval = await evaluate(device, tActor, { ...evalOpts, domain: 'none', references: false });
    } finally {
      tActor.dispose();
      T.dispose();
    }
    const evalSeconds = (performance.now() - e0) / 1000;
    const refs = rows.heldout.references!;
    mkdirSync(join(out, 'eval'), { recursive: true });
    for (const [k, r] of Object.entries(rows)) writeFileAtomic(join(out, 'eval', `deployed-${k}.json`), JSON.stringify({ run: distilDir, method: 'twist', preset, ...r }, null, 2) + '\n');
    writeFileAtomic(join(out, 'eval', 'teacher-state.json'), JSON.stringify({ run: teacherDir, method: 'oracle', preset, ...teacherEval, references: refs }, null, 2) + '\n');
    writeDistilCurve(join(out, 'curve'), distilPaths(distilDir).metrics, `TWIST on ${task} (${preset}, seed ${seed})`);

    const summary = {
      task,
      method: 'twist',
      preset,
      seed,
      envSteps: t.envFrames,
      updates: t.updates,
      distilSteps: d.updates,
      teacherRun: resolve(teacherDir),
      distilRun: resolve(distilDir),
      wallSeconds: { teacher: t.wallSeconds, distil: d.wallSeconds, eval: evalSeconds, teacherPlusDistil: t.wallSeconds + d.wallSeconds },
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), adapter: device.label ?? null, node: process.version },
      evalDomain: 'heldout',
      evalSeeds: rows.heldout.seeds,
      evalReturns: rows.heldout.returns,
      evalMean: rows.heldout.mean,
      deployed: { heldout: brief(rows.heldout), train: brief(rows.train), none: brief(rows.none) },
      teacherStateReturn: brief(teacherEval),
      references: { zero: { mean: refs.zero.mean, returns: refs.zero.returns }, random: { mean: refs.random.mean, returns: refs.random.returns } },
      heldoutOverTeacher: teacherEval.mean !== 0 ? rows.heldout.mean / teacherEval.mean : null,
      latentCheck: d.latent ? (({ hErrorByStep: _h, actionErrorByStep: _a, ...b }) => b)(d.latent) : null,
      ablations,
      command,
    };
    writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    const f = (x: number) => x.toFixed(1);
    log(`TWIST on ${task} (${preset}), ${a.episodes} episodes per row, same seeds:`);
    log(`  deployed student (images), held-out domains  ${f(rows.heldout.mean)} +- ${f(rows.heldout.std)}`);
    log(`  deployed student (images), train domains     ${f(rows.train.mean)} +- ${f(rows.train.std)}`);
    log(`  deployed student (images), no randomisation  ${f(rows.none.mean)} +- ${f(rows.none.std)}`);
    log(`  teacher (oracle) on the state                ${f(teacherEval.mean)} +- ${f(teacherEval.std)}`);
    log(`  zero action ${f(refs.zero.mean)}, uniform random ${f(refs.random.mean)}`);
    log(`  wall-clock: teacher ${f(t.wallSeconds / 60)} min + distillation ${f(d.wallSeconds / 60)} min (${t.envFrames} env steps, ${d.updates} distillation updates)`);
    log(`  wrote ${join(out, 'summary.json')}`);
    return 0;
  } finally {
    device.destroy();
  }
}
