import { AGENT_PRESETS, METHOD_NAMES } from '@twist/agent';
import { train, type TrainProgress } from '@twist/agent/node';
import { TASK_NAMES } from '@twist/envs';
import { rejectInapplicable, UsageError, type OptionSpec, type Parsed } from '../args.js';
import { openDevice } from './device.js';
import { progressPrinter } from './progress.js';

export const trainOptions: Record<string, OptionSpec> = {
  method: { type: 'string', choices: METHOD_NAMES, help: 'oracle (state teacher), dreamer, dreamer-dr, dreamer-state-recon, asym-sac (model-free: image actor, state critics)' },
  task: { type: 'string', choices: TASK_NAMES as unknown as string[], help: 'the task' },
  preset: { type: 'string', default: 'quick', choices: Object.keys(AGENT_PRESETS), help: 'sizes: debug, quick (2-core machine), paper' },
  steps: { type: 'integer', min: 1, help: 'env-step budget in frames (control steps; the paper: 500000); default 100000, on --resume the run\'s' },
  seed: { type: 'integer', default: 0, help: 'seed of everything in the run' },
  out: { type: 'string', help: 'new run directory (must not exist or be empty)' },
  resume: { type: 'string', help: 'continue this run directory from its last checkpoint' },
  envs: { type: 'integer', min: 1, help: 'parallel environments (default: the preset\'s)' },
  workers: { type: 'integer', default: 0, min: 0, help: 'env worker threads (0 = in-process)' },
  'episode-length': { type: 'integer', min: 2, help: 'control steps per episode (default: the task\'s; shorter for smoke runs)' },
  config: { type: 'string', help: 'overrides of the presets as JSON, e.g. \'{"agent":{"behaviour":{"warmup":1000}},"world":{"kl":{"free":0.5}}}\' (asym-sac: {"agent":{"sac":{...},"loop":{...}}})' },
  'collect-images': { type: 'boolean', help: 'TWIST matched collection: render every step of a state run with train-distribution DR into the replay' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

/** `twist train`: a new run (--method --task --out) or a resumed one (--resume DIR). */
/** Overrides of the presets as given on the command line: a JSON object with 'world' and/or 'agent' keys. */
export type RunConfigOverrides = { world?: any; agent?: { behaviour?: any; loop?: any } };

/** Parses a --config style JSON argument; `what` names the option in the usage error. */
export function parseConfigOverrides(what: string, text: string): RunConfigOverrides {
  let overrides: RunConfigOverrides;
  try {
    overrides = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} must be JSON (e.g. '{"agent":{"behaviour":{"warmup":1000}}}'): ${(e as Error).message}`);
  }
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides) || Object.keys(overrides).some((k) => k !== 'world' && k !== 'agent')) {
    throw new UsageError(`${what} must be an object with 'world' and/or 'agent' keys, got ${text}`);
  }
  return overrides;
}

export async function trainCommand(a: Parsed, argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  const resume = a.resume as string | undefined;
  if (resume) {
    rejectInapplicable('train', argv, ['out', 'preset', 'seed', 'envs', 'episode-length', 'collect-images', 'config'], 'with --resume (the run keeps its own; only --steps, --workers and --backend may change)');
  } else {
    for (const k of ['method', 'task', 'out'] as const) {
      if (a[k] === undefined) throw new UsageError(`twist train: --${k} is required for a new run (or --resume DIR); e.g. twist train --method oracle --task cartpole-balance --out runs/oracle-cartpole`);
    }
  }
  let overrides: RunConfigOverrides = a.config !== undefined ? parseConfigOverrides('twist train: --config', String(a.config)) : {};
  if (a.envs) overrides = { ...overrides, agent: { ...overrides.agent, loop: { ...overrides.agent?.loop, envs: Number(a.envs) } } };
  const device = await openDevice(String(a.backend));
  const show = progressPrinter();
  try {
    const result = await train({
      dir: resume ?? String(a.out),
      device,
      resume: !!resume,
      method: a.method as string | undefined,
      task: a.task as string | undefined,
      preset: String(a.preset),
      seed: Number(a.seed),
      steps: a.steps as number | undefined,
      workers: Number(a.workers),
      episodeLength: a['episode-length'] as number | undefined,
      collectImages: !!a['collect-images'],
      command: ['twist', 'train', ...argv].join(' '),
      overrides,
      log: (s) => show.line(s),
      progress: (p: TrainProgress) => show.progress(p),
    });
    show.done();
    const ev = result.lastEval;
    log(
      `done: ${result.envFrames} env steps, ${result.updates} updates, ${(result.wallSeconds / 60).toFixed(1)} min` +
        (ev ? `; last eval (${ev.domain}) mean return ${ev.mean.toFixed(1)}` : ''),
    );
    return 0;
  } finally {
    show.done();
    device.destroy();
  }
}
