import { DISTIL_PRESETS, type Ablations, type DistilOverrides } from '@twist/distil';
import type { DeepPartial, WorldModelConfig } from '@twist/rssm';
import { distil, resolveDeployedDir, type DistilProgress } from '@twist/distil/node';
import { rejectInapplicable, UsageError, type OptionSpec, type Parsed } from '../args.js';
import { fmtTime, linePrinter } from './progress.js';
import { openDevice } from './device.js';

export const distilOptions: Record<string, OptionSpec> = {
  teacher: { type: 'string', help: 'teacher run directory: an oracle run trained with --collect-images' },
  out: { type: 'string', help: 'new distillation run directory (must not exist or be empty)' },
  resume: { type: 'string', help: 'continue this distillation run from its last checkpoint' },
  steps: { type: 'integer', min: 1, help: "distillation updates (default: the preset's; quick 3000, paper 50000); on --resume the run's" },
  preset: { type: 'string', choices: Object.keys(DISTIL_PRESETS), help: "distillation and student sizes (default: the teacher's preset)" },
  seed: { type: 'integer', help: "seed of the student and of the distillation's RNGs (default: the teacher's)" },
  'no-imagined': { type: 'boolean', help: 'ablation: without Eq. 4 (distillation of imagined rollouts)' },
  'no-h': { type: 'boolean', help: 'ablation: without the deterministic-state term (in Eq. 3 and Eq. 4)' },
  'no-post': { type: 'boolean', help: "ablation: without Eq. 3's posterior term" },
  noise: { type: 'number', min: 0, help: "std of the action noise of the teacher's imagined rollouts, clip(N(a, noise), -1, 1) (default 0.3)" },
  recon: { type: 'number', min: 0, help: "weight of an image reconstruction term for the student's decoder (default 0: off, as in the paper)" },
  'state-recon': { type: 'number', min: 0, help: "weight of a privileged-state decoding term for the student (a state decoder on [h, z], or on the frame's embed with --state-recon-from embed; default 0: off, as in the paper - an extension, see packages/distil/README.md)" },
  'action-match': { type: 'number', min: 0, help: "weight of an action-matching term: the frozen teacher actor's mean action on the student's posterior feature against its action on the teacher's (default 0: off, as in the paper - an extension, see packages/distil/README.md)" },
  'augment-shift': { type: 'integer', min: 0, help: "random-shift augmentation of the student's frames: each sequence moved by up to N pixels (edge replication, DrQ's pad-and-crop; default 0: off, as in the paper - an extension, see packages/distil/README.md)" },
  'state-recon-from': { type: 'string', choices: ['feature', 'embed'], help: "what --state-recon's decoder reads: 'feature' ([h, z], the default) or 'embed' (the image encoder's output of the frame alone, so the encoder must see the state)" },
  batch: { type: 'integer', min: 1, help: "sequences per batch (default: the preset's, 16)" },
  length: { type: 'integer', min: 2, help: "sequence length L (default: the preset's; paper 50, quick 32)" },
  horizon: { type: 'integer', min: 1, help: "imagination horizon H (default: the preset's; paper 15)" },
  lr: { type: 'number', help: "Adam learning rate of the student (default: the preset's, 3e-4)" },
  'lr-warmup': { type: 'integer', min: 0, help: 'ramp the learning rate linearly over the first N updates (lr * min(1, k / N)), so a fresh Adam does not shake a student that starts from an earlier one (--init; an extension, default 0: off)' },
  'eval-every': { type: 'integer', min: 1, help: "evaluate the deployed agent on held-out domains every N updates (default: the preset's)" },
  'eval-episodes': { type: 'integer', min: 1, help: "episodes of each of those evaluations (default: the preset's)" },
  'latent-episodes': { type: 'integer', default: 1, min: 0, help: 'episodes of the latent check (student vs teacher h and action error) at the end; 0 skips it' },
  init: { type: 'string', help: "start the student from an earlier student: a distil run (its deployed/) or a deployed agent's directory, of the same sizes (e.g. the next round after twist collect --driver); the optimiser starts fresh" },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

const NEW_ONLY = ['teacher', 'out', 'init', 'preset', 'seed', 'no-imagined', 'no-h', 'no-post', 'noise', 'recon', 'state-recon', 'state-recon-from', 'action-match', 'augment-shift', 'batch', 'length', 'horizon', 'lr', 'lr-warmup', 'eval-every', 'eval-episodes'];

/** The distillation overrides, ablations and student-config overrides given on a command line (shared by `twist twist`). */
export function distilOverridesOf(a: Parsed): { overrides: DistilOverrides; ablations: Ablations; studentOverrides: DeepPartial<WorldModelConfig> } {
  if (a.lr !== undefined && !(Number(a.lr) > 0)) throw new UsageError(`--lr must be > 0, got ${a.lr}`);
  if (a['state-recon-from'] !== undefined && !(Number(a['state-recon'] ?? 0) > 0)) {
    throw new UsageError(`--state-recon-from ${a['state-recon-from']} needs --state-recon W > 0 (it says what that term's decoder reads)`);
  }
  const num = (k: string) => (a[k] === undefined ? undefined : Number(a[k]));
  return {
    overrides: {
      noise: num('noise'),
      recon: num('recon'),
      stateRecon: num('state-recon'),
      actionMatch: num('action-match'),
      augmentShift: num('augment-shift'),
      batch: num('batch'),
      length: num('length'),
      horizon: num('horizon'),
      evalEvery: num('eval-every'),
      evalEpisodes: num('eval-episodes'),
      ...(a.lr !== undefined || a['lr-warmup'] !== undefined ? { opt: { lr: num('lr'), warmup: num('lr-warmup') } } : {}),
    },
    ablations: { noImagined: !!a['no-imagined'], noH: !!a['no-h'], noPost: !!a['no-post'] },
    studentOverrides: a['state-recon-from'] !== undefined ? { stateReconFrom: a['state-recon-from'] as 'feature' | 'embed' } : {},
  };
}

/** Progress of a distillation (the shared line printer of progress.ts). */
export function distilProgressPrinter(stream: NodeJS.WriteStream = process.stderr, out: (s: string) => void = console.log) {
  const lines = linePrinter(stream, out);
  return {
    ...lines,
    progress(p: DistilProgress): void {
      const pct = ((100 * p.updates) / p.steps).toFixed(1);
      lines.show(
        `[distil: ${p.phase}] ${p.updates}/${p.steps} updates (${pct}%)  ${p.updatesPerSecond.toFixed(2)} updates/s  last held-out return ${p.lastEval === null ? '--' : p.lastEval.toFixed(1)}  ETA ${fmtTime(p.etaSeconds)}`,
      );
    },
  };
}

/** `twist distil`: a new distillation run (--teacher --out) or a resumed one (--resume DIR). */
export async function distilCommand(a: Parsed, argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  const resume = a.resume as string | undefined;
  if (resume) {
    rejectInapplicable('distil', argv, NEW_ONLY, 'with --resume (the run keeps its own config; only --steps, --latent-episodes and --backend may change)');
  } else {
    for (const k of ['teacher', 'out'] as const) {
      if (a[k] === undefined) throw new UsageError(`twist distil: --${k} is required for a new run (or --resume DIR); e.g. twist distil --teacher runs/oracle-cartpole --out runs/twist-cartpole`);
    }
  }
  const { overrides, ablations, studentOverrides } = distilOverridesOf(a);
  const device = await openDevice(String(a.backend));
  const show = distilProgressPrinter();
  try {
    const r = await distil({
      dir: resume ?? String(a.out),
      device,
      resume: !!resume,
      teacher: a.teacher as string | undefined,
      preset: a.preset as string | undefined,
      seed: a.seed as number | undefined,
      steps: a.steps as number | undefined,
      ...(a.init !== undefined ? { init: resolveDeployedDir(String(a.init), 'twist distil: --init') } : {}),
      overrides,
      ablations,
      studentOverrides,
      latentEpisodes: Number(a['latent-episodes']),
      command: ['twist', 'distil', ...argv].join(' '),
      log: (s) => show.line(s),
      progress: (p) => show.progress(p),
    });
    show.done();
    if (r.stoppedEarly) return 0;
    const ev = r.lastEval;
    log(
      `done: ${r.updates} distillation updates, ${(r.wallSeconds / 60).toFixed(1)} min` +
        (ev ? `; deployed student on held-out domains ${ev.mean.toFixed(1)} (teacher on state ${r.teacherEval?.mean.toFixed(1)}, zero action ${r.references?.zero.mean.toFixed(1)}, random ${r.references?.random.mean.toFixed(1)})` : ''),
    );
    return 0;
  } finally {
    show.done();
    device.destroy();
  }
}
