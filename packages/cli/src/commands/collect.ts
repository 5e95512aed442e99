import { collectTeacherData, type CollectProgress } from '@twist/agent/node';
import { DeployedAgent, deployedDriver, resolveDeployedDir } from '@twist/distil/node';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';
import { openDevice } from './device.js';
import { fmtTime, linePrinter } from './progress.js';

export const collectOptions: Record<string, OptionSpec> = {
  teacher: { type: 'string', help: 'teacher run directory: a trained oracle (state) run, full or weights-only (twist export)' },
  out: { type: 'string', help: 'new run directory for the collected data (must not exist or be empty); twist distil --teacher takes it' },
  episodes: { type: 'integer', min: 1, help: 'episodes to collect' },
  domain: { type: 'string', default: 'train', choices: ['train'], help: 'visual DR of the images, re-drawn every step: the train distribution (as train --collect-images)' },
  seed: { type: 'integer', help: "env seeds and DR draws as a training run of this seed (episode k: env seed seed * 100003 + k); default the teacher's" },
  envs: { type: 'integer', min: 1, help: 'parallel environments, acted on in one batch (default min(episodes, 8))' },
  'image-size': { type: 'integer', help: "side of the rendered images, 32 or 64 (default: the teacher's collection size, else its world model's)" },
  'episode-length': { type: 'integer', min: 2, help: "control steps per episode (default: the teacher's)" },
  workers: { type: 'integer', default: 0, min: 0, help: 'env worker threads (0 = in-process)' },
  'action-noise': {
    type: 'string',
    default: '0',
    help: "std of Gaussian noise added to the teacher's sampled actions, clipped to [-1, 1]; a comma list gives episode k the level k % n (e.g. 0,0.3,0.6,1: a quarter each), so the data also covers states the teacher alone never visits",
  },
  'random-actions': {
    type: 'string',
    default: '0',
    help: "probability that a step's executed action is uniform on [-1, 1] instead of the teacher's (after --action-noise); a comma list gives episode k the level k % n (e.g. 0.25,0.5,0.75,1). Such actions say nothing about the state they were taken in, so a student cannot read the state from the action history (causal confusion); the paper's data hold them as the teacher's random prefill",
  },
  driver: {
    type: 'string',
    help: "a distilled student drives instead of the teacher: a distil run (its deployed/) or a deployed agent's directory; it acts from the rendered images (DAgger-style rounds: the data then hold the states its own errors lead to; not in the paper)",
  },
  'driver-share': { type: 'number', min: 0, help: "with --driver: the probability that a step's action is the driver's, else the teacher's (DAgger's mixture; default 1, the driver alone)" },
  'driver-policy': { type: 'string', default: 'sample', choices: ['sample', 'mode'], help: "the driver's actions: a sample of the actor (as the teacher collects) or its mode" },
  include: { type: 'string', help: 'an earlier collection of the same teacher: its episodes are copied first, so --out holds both (episode indices, seeds and DR draws continue after them)' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

/**
 * A comma list of numbers for `flag` of `twist cmd`, each passing `ok`; a bad entry is named with what was expected
 * (`what`, `example`). Shared by the list flags of collect and dagger.
 */
export function parseList(text: string, flag: string, ok: (v: number) => boolean, what: string, example: string, cmd = 'collect'): number[] {
  const parts = text.split(',').map((x) => x.trim());
  const out = parts.map(Number);
  const bad = parts.findIndex((x, i) => x === '' || !ok(out[i]));
  if (bad >= 0) throw new UsageError(`twist ${cmd}: ${flag} must be ${what} separated by commas (e.g. ${example}), got '${parts[bad]}' in '${text}'`);
  return out;
}

/** '0,0.3,1' -> [0, 0.3, 1] for --action-noise (stds >= 0), naming a bad entry. */
export const parseNoise = (text: string): number[] => parseList(text, '--action-noise', (v) => Number.isFinite(v) && v >= 0, 'stds >= 0', '0,0.3,0.6,1');

/** '0,0.5,1' -> [0, 0.5, 1] for --random-actions (probabilities), naming a bad entry. */
export const parseProbabilities = (text: string): number[] => parseList(text, '--random-actions', (v) => v >= 0 && v <= 1, 'probabilities in [0, 1]', '0.25,0.5,1');

/** Progress of a collection (the shared line printer of progress.ts). */
export function collectProgressPrinter(stream: NodeJS.WriteStream = process.stderr, out: (s: string) => void = console.log) {
  const lines = linePrinter(stream, out);
  return {
    ...lines,
    progress(p: CollectProgress): void {
      const pct = ((100 * p.policySteps) / p.totalPolicySteps).toFixed(1);
      lines.show(`[collect] ${p.policySteps}/${p.totalPolicySteps} policy steps (${pct}%), ${p.episodes}/${p.totalEpisodes} episodes  ${p.stepsPerSecond.toFixed(1)} steps/s  ETA ${fmtTime(p.etaSeconds)}`);
    },
  };
}

/** `twist collect`: a trained oracle teacher acts from the state while every step is rendered with train DR. */
export async function collectCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  for (const k of ['teacher', 'out', 'episodes'] as const) {
    if (a[k] === undefined) throw new UsageError(`twist collect: --${k} is required; e.g. twist collect --teacher runs/oracle-cartpole --out runs/oracle-cartpole-data --episodes 10`);
  }
  if (a['driver-policy'] !== 'sample' && a.driver === undefined) throw new UsageError('twist collect: --driver-policy applies with --driver only');
  if (a['driver-share'] !== undefined && a.driver === undefined) throw new UsageError('twist collect: --driver-share applies with --driver only');
  if (a['driver-share'] !== undefined && !(Number(a['driver-share']) <= 1)) throw new UsageError(`twist collect: --driver-share must be in [0, 1], got ${a['driver-share']}`);
  const dDir = a.driver === undefined ? null : resolveDeployedDir(String(a.driver), 'twist collect: --driver');
  const device = await openDevice(String(a.backend));
  const show = collectProgressPrinter();
  const driver = dDir ? deployedDriver(DeployedAgent.load(device, dDir), dDir, a['driver-policy'] as 'sample' | 'mode') : null;
  try {
    const r = await collectTeacherData({
      teacher: String(a.teacher),
      dir: String(a.out),
      device,
      episodes: Number(a.episodes),
      seed: a.seed as number | undefined,
      envs: a.envs as number | undefined,
      imageSize: a['image-size'] === undefined ? undefined : Number(a['image-size']),
      episodeLength: a['episode-length'] as number | undefined,
      workers: Number(a.workers),
      actionNoise: parseNoise(String(a['action-noise'])),
      randomActions: parseProbabilities(String(a['random-actions'])),
      ...(driver ? { driver } : {}),
      ...(a['driver-share'] !== undefined ? { driverShare: Number(a['driver-share']) } : {}),
      ...(a.include !== undefined ? { include: String(a.include) } : {}),
      log: (s) => show.line(s),
      progress: (p) => show.progress(p),
    });
    show.done();
    const mean = r.returns.reduce((x, y) => x + y, 0) / r.returns.length;
    log(
      `done: ${r.episodes} episodes, ${r.policySteps} policy steps (${r.envFrames} env frames) in ${(r.wallSeconds / 60).toFixed(1)} min ` +
        `(rendering ${r.renderSeconds.toFixed(1)} s); ${driver ? 'driver' : 'teacher'} return ${mean.toFixed(1)} (sampled actions); distil it with twist distil --teacher ${a.out} --out DIR`,
    );
    return 0;
  } finally {
    show.done();
    driver?.dispose();
    device.destroy();
  }
}
