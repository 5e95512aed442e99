import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@twist/autograd/node';
import { collectTeacherData } from '@twist/agent/node';
import { DeployedAgent, deployedDriver, distil, resolveDeployedDir } from '@twist/distil/node';
import { rejectInapplicable, UsageError, type OptionSpec, type Parsed } from '../args.js';
import { collectProgressPrinter, parseList } from './collect.js';
import { distilOptions, distilOverridesOf, distilProgressPrinter } from './distil.js';
import { openDevice } from './device.js';

/**
 * `twist dagger`: DAgger-style data rounds for a distilled student (an extension, not in the paper; see
 * packages/distil/README.md, "Data rounds"), as one resumable command. Round k (1-based):
 *   1. collect: the student of round k - 1 (--student for k = 1) drives a share p_k of the steps of new episodes from the
 *      rendered images, the teacher the rest (DAgger's mixture; the teacher labels every step from the state), the
 *      data of round k - 1 (--data for k = 1) included, into round-k/data;
 *   2. distil: the student of round k - 1 is distilled further on those data (a fresh optimiser, --lr-warmup to ease it
 *      in), --updates updates, evaluated on held-out domains at the end, into round-k/student.
 * Each round's two steps are ordinary `twist collect` / `twist distil` run directories. A round is done when its
 * round.json is written; `--resume DIR` redoes an unfinished collection (a collection is not resumable) and resumes an
 * unfinished distillation from its checkpoint. summary.json and summary.md list every round.
 */
const PICK = ['preset', 'lr', 'lr-warmup', 'action-match', 'augment-shift', 'noise', 'no-imagined', 'batch', 'length', 'horizon', 'eval-episodes', 'latent-episodes'] as const;

export const daggerOptions: Record<string, OptionSpec> = {
  data: { type: 'string', help: "the collection the first round includes and whose teacher labels every round's steps (a twist collect or twist dagger round's data/ directory)" },
  student: { type: 'string', help: "the student that drives the first round's collection and that the first distillation starts from: a distil run or a deployed agent's directory" },
  out: { type: 'string', help: 'new directory of the rounds (must not exist or be empty)' },
  resume: { type: 'string', help: 'continue these rounds: an unfinished collection is redone, an unfinished distillation resumed; --rounds may raise their number' },
  rounds: { type: 'integer', min: 1, help: 'rounds to run (on --resume: the new total, at least the rounds done)' },
  shares: { type: 'string', default: '0.75', help: "the driver's share of the steps per round, a comma list (round k takes entry k, the last one repeating), e.g. 0.75,0.85,0.9" },
  episodes: { type: 'integer', default: 64, min: 1, help: 'new episodes collected per round' },
  envs: { type: 'integer', min: 1, help: 'parallel environments of a collection (default min(episodes, 8))' },
  workers: { type: 'integer', default: 0, min: 0, help: 'env worker threads of a collection (0 = in-process)' },
  'driver-policy': { type: 'string', default: 'sample', choices: ['sample', 'mode'], help: "the driver's actions: a sample of the actor or its mode" },
  updates: { type: 'integer', default: 500, min: 1, help: 'distillation updates per round' },
  'eval-every': { type: 'integer', min: 1, help: 'held-out evaluation of each round\'s student every N updates (default: once, at the end of the round)' },
  ...Object.fromEntries(PICK.map((k) => [k, distilOptions[k]])),
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

const NEW_ONLY = ['data', 'student', 'out', 'shares', 'episodes', 'envs', 'workers', 'driver-policy', 'updates', 'eval-every', ...PICK.filter((k) => k !== 'latent-episodes')];
const FORMAT = 'twist-ts/dagger/1';

/** The plan of the rounds, as dagger.json keeps it (the distillation's settings as the command line gave them). */
interface DaggerPlan {
  format: string;
  kind: 'dagger';
  data: string;
  student: string;
  rounds: number;
  shares: number[];
  episodes: number;
  envs?: number;
  workers: number;
  driverPolicy: 'sample' | 'mode';
  updates: number;
  evalEvery: number;
  /** The distillation options given (PICK), passed to every round's twist distil. */
  distil: Parsed;
  command: string;
}

/** One finished round, as round-k/round.json keeps it. */
export interface DaggerRound {
  round: number;
  share: number;
  /** Episodes in the round's data (the included ones and the new ones). */
  episodes: number;
  newEpisodes: number;
  /** Mean return of the new episodes under the mixture (sampled actions). */
  mixtureReturn: number;
  collectMinutes: number;
  distilUpdates: number;
  distilMinutes: number;
  /** The round's student on held-out domains at the end of its distillation. */
  heldout: number | null;
  heldoutHistory: { updates: number; mean: number }[];
  teacherStateReturn: number | null;
  references: { zero: number; random: number } | null;
  data: string;
  student: string;
}

/** '0.75,0.9' -> [0.75, 0.9], each in [0, 1], naming a bad entry. */
export const parseShares = (text: string): number[] => parseList(text, '--shares', (v) => v >= 0 && v <= 1, 'probabilities in [0, 1]', '0.75,0.85,0.9', 'dagger');

/** The driver's share of round k (1-based): entry k of the list, the last one repeating. */
export const shareOf = (shares: readonly number[], k: number): number => shares[Math.min(k, shares.length) - 1];

const roundDir = (dir: string, k: number) => join(dir, `round-${k}`);
const readJson = <T,>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

/** The rounds of a dagger directory that are done (round.json written), in order. */
export function daggerRounds(dir: string): DaggerRound[] {
  const out: DaggerRound[] = [];
  for (let k = 1; existsSync(join(roundDir(dir, k), 'round.json')); k++) out.push(readJson<DaggerRound>(join(roundDir(dir, k), 'round.json')));
  return out;
}

/** summary.md: one row per round. */
function summaryMarkdown(plan: DaggerPlan, rounds: DaggerRound[]): string {
  const f = (x: number | null | undefined) => (x == null ? '--' : x.toFixed(1));
  const last = rounds[rounds.length - 1];
  return [
    `# DAgger rounds of a distilled student (\`twist dagger\`; an extension, not in the paper)`,
    '',
    `Data of round 0: \`${plan.data}\`; student of round 0: \`${plan.student}\`; ${plan.episodes} new episodes per round, ${plan.updates} distillation updates per round.`,
    `Command: \`${plan.command}\``,
    '',
    '| round | driver share | episodes (new) | mixture return | collect min | updates | distil min | held-out return at the end |',
    '|---|---|---|---|---|---|---|---|',
    ...rounds.map((r) => `| ${r.round} | ${r.share} | ${r.episodes} (${r.newEpisodes}) | ${f(r.mixtureReturn)} | ${r.collectMinutes.toFixed(1)} | ${r.distilUpdates} | ${r.distilMinutes.toFixed(1)} | ${f(r.heldout)} |`),
    '',
    last ? `References on the evaluation seeds: teacher on the state ${f(last.teacherStateReturn)}, zero action ${f(last.references?.zero)}, random ${f(last.references?.random)}.` : 'No round is done yet.',
    '',
  ].join('\n');
}

function writeSummary(dir: string, plan: DaggerPlan): DaggerRound[] {
  const rounds = daggerRounds(dir);
  writeFileAtomic(join(dir, 'summary.json'), JSON.stringify({ kind: 'dagger', plan, rounds }, null, 2) + '\n');
  writeFileAtomic(join(dir, 'summary.md'), summaryMarkdown(plan, rounds));
  return rounds;
}

/** `twist dagger`: new rounds (--data --student --out) or more of them (--resume DIR). */
export async function daggerCommand(a: Parsed, argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  const resume = a.resume as string | undefined;
  let plan: DaggerPlan;
  let dir: string;
  if (resume) {
    rejectInapplicable('dagger', argv, NEW_ONLY, 'with --resume (the rounds keep their own plan; only --rounds, --latent-episodes and --backend may change)');
    dir = resolve(resume);
    const p = join(dir, 'dagger.json');
    if (!existsSync(p)) throw new UsageError(`twist dagger: ${resume} is not a dagger directory (no dagger.json)`);
    plan = readJson<DaggerPlan>(p);
    if (plan.format !== FORMAT) throw new UsageError(`twist dagger: ${p} has format ${JSON.stringify(plan.format)}, expected '${FORMAT}'`);
    const done = daggerRounds(dir).length;
    if (a.rounds !== undefined) {
      if (Number(a.rounds) < done) throw new UsageError(`twist dagger: --rounds ${a.rounds} is fewer than the ${done} rounds ${resume} has done`);
      plan = { ...plan, rounds: Number(a.rounds) };
    }
    if (a['latent-episodes'] !== undefined) plan = { ...plan, distil: { ...plan.distil, 'latent-episodes': a['latent-episodes'] } };
    writeFileAtomic(p, JSON.stringify(plan, null, 2) + '\n');
  } else {
    for (const k of ['data', 'student', 'out', 'rounds'] as const) {
      if (a[k] === undefined) throw new UsageError(`twist dagger: --${k} is required for new rounds (or --resume DIR); e.g. twist dagger --data runs/collect --student runs/twist --out runs/dagger --rounds 3 --shares 0.75,0.85,0.9`);
    }
    const shares = parseShares(String(a.shares));
    // both are checked before anything is written: a run directory with a collection, a student to drive and start from
    if (!existsSync(join(String(a.data), 'run.json'))) throw new UsageError(`twist dagger: --data ${a.data} is not a run directory (no run.json); give a twist collect directory`);
    const student = resolveDeployedDir(String(a.student), 'twist dagger: --student');
    distilOverridesOf(a); // refuses bad distillation options now, not at the first round's distillation
    dir = resolve(String(a.out));
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new UsageError(`twist dagger: ${a.out} already exists and is not an empty directory; continue it with --resume ${a.out}, or choose another --out`);
    }
    const picked: Parsed = {};
    for (const k of PICK) if (a[k] !== undefined) picked[k] = a[k];
    plan = {
      format: FORMAT,
      kind: 'dagger',
      data: resolve(String(a.data)),
      student,
      rounds: Number(a.rounds),
      shares,
      episodes: Number(a.episodes),
      ...(a.envs !== undefined ? { envs: Number(a.envs) } : {}),
      workers: Number(a.workers),
      driverPolicy: a['driver-policy'] as 'sample' | 'mode',
      updates: Number(a.updates),
      evalEvery: Number(a['eval-every'] ?? a.updates),
      distil: picked,
      command: ['twist', 'dagger', ...argv].join(' '),
    };
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'dagger.json'), JSON.stringify(plan, null, 2) + '\n');
  }

  const device = await openDevice(String(a.backend));
  try {
    const { overrides, ablations, studentOverrides } = distilOverridesOf({ ...plan.distil, 'eval-every': plan.evalEvery });
    for (let k = daggerRounds(dir).length + 1; k <= plan.rounds; k++) {
      const rd = roundDir(dir, k);
      const prev = k === 1 ? null : readJson<DaggerRound>(join(roundDir(dir, k - 1), 'round.json'));
      const dataPrev = prev ? prev.data : plan.data;
      const studentPrev = prev ? resolveDeployedDir(prev.student, 'twist dagger: the previous round\'s student') : plan.student;
      const share = shareOf(plan.shares, k);
      const data = join(rd, 'data');
      const studentDir = join(rd, 'student');
      const collectJson = join(rd, 'collect.json');
      mkdirSync(rd, { recursive: true });
      // 1. the collection (redone from the start when a crash left it unfinished: collections do not resume)
      if (!existsSync(collectJson)) {
        if (existsSync(data)) {
          log(`round ${k}: ${data} is an unfinished collection; collecting it again`);
          rmSync(data, { recursive: true, force: true });
        }
        log(`round ${k}/${plan.rounds}: collecting ${plan.episodes} episodes, ${studentPrev} driving ${share} of the steps, ${dataPrev} included`);
        const show = collectProgressPrinter();
        const driver = deployedDriver(DeployedAgent.load(device, studentPrev), studentPrev, plan.driverPolicy);
        try {
          const r = await collectTeacherData({
            teacher: dataPrev,
            include: dataPrev,
            dir: data,
            device,
            episodes: plan.episodes,
            envs: plan.envs,
            workers: plan.workers,
            driver,
            driverShare: share,
            log: (s) => show.line(s),
            progress: (p) => show.progress(p),
          });
          show.done();
          const mixture = r.returns.reduce((x, y) => x + y, 0) / r.returns.length;
          writeFileAtomic(collectJson, JSON.stringify({ newEpisodes: r.episodes, returns: r.returns, mixtureReturn: mixture, wallSeconds: r.wallSeconds, share, driver: studentPrev, included: dataPrev }, null, 2) + '\n');
          log(`round ${k}: collected ${r.episodes} episodes in ${(r.wallSeconds / 60).toFixed(1)} min; mixture return ${mixture.toFixed(1)}`);
        } finally {
          show.done();
          driver.dispose();
        }
      }
      const col = readJson<{ newEpisodes: number; mixtureReturn: number; wallSeconds: number }>(collectJson);
      // 2. the distillation (resumed from its checkpoint when one was cut off)
      const summaryPath = join(studentDir, 'summary.json');
      if (!existsSync(summaryPath)) {
        const resuming = existsSync(join(studentDir, 'run.json'));
        log(`round ${k}/${plan.rounds}: ${resuming ? 'resuming the distillation of' : 'distilling'} ${studentDir} (${plan.updates} updates from ${studentPrev})`);
        const show = distilProgressPrinter();
        try {
          const r = await distil({
            dir: studentDir,
            device,
            resume: resuming,
            ...(resuming
              ? {}
              : {
                  teacher: data,
                  preset: plan.distil.preset as string | undefined,
                  steps: plan.updates,
                  init: studentPrev,
                  overrides,
                  ablations,
                  studentOverrides,
                }),
            latentEpisodes: Number(plan.distil['latent-episodes'] ?? 1),
            command: `${plan.command} (round ${k})`,
            log: (s) => show.line(s),
            progress: (p) => show.progress(p),
          });
          show.done();
          if (r.stoppedEarly) return 0;
        } finally {
          show.done();
        }
      }
      const s = readJson<any>(summaryPath);
      const dataCfg = readJson<any>(join(data, 'run.json'));
      const round: DaggerRound = {
        round: k,
        share,
        episodes: Number(dataCfg.source?.collected?.episodes ?? col.newEpisodes) + Number(dataCfg.source?.collected?.included?.episodes ?? 0),
        newEpisodes: col.newEpisodes,
        mixtureReturn: col.mixtureReturn,
        collectMinutes: col.wallSeconds / 60,
        distilUpdates: s.distilSteps,
        distilMinutes: s.wallSeconds / 60,
        heldout: s.evalMean,
        heldoutHistory: s.evalHistory ?? [],
        teacherStateReturn: s.teacherStateReturn?.mean ?? null,
        references: s.references ?? null,
        data,
        student: studentDir,
      };
      writeFileAtomic(join(rd, 'round.json'), JSON.stringify(round, null, 2) + '\n');
      writeSummary(dir, plan);
      log(`round ${k}/${plan.rounds} done: held-out return ${round.heldout?.toFixed(1) ?? '--'} (teacher on the state ${round.teacherStateReturn?.toFixed(1) ?? '--'}, zero action ${round.references?.zero.toFixed(1) ?? '--'})`);
    }
    const rounds = writeSummary(dir, plan);
    log(`done: ${rounds.length} rounds in ${dir} (summary.md); held-out return by round: ${rounds.map((r) => r.heldout?.toFixed(1) ?? '--').join(', ')}`);
    return 0;
  } finally {
    device.destroy();
  }
}
