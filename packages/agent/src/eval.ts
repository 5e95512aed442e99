import { getTask } from '@twist/envs';
import { VecEnv } from '@twist/envs/node';
import { tensor, type Device } from '@twist/kernels';
import { SplitMix } from './rng.js';
import { domainName, VisualDR, type DomainSpec } from './visual.js';

/** Something that acts on observations of N envs: the Dreamer agent, a deployed TWIST student, a baseline. */
export interface Actor {
  /** 'state' reads the privileged state, 'image' the rendered camera image. */
  readonly observes: 'state' | 'image';
  readonly imageSize?: number;
  act(obs: import('@twist/kernels').Tensor, isFirst: ArrayLike<number>, mode: 'sample' | 'mode'): Promise<Float32Array>;
  resetPolicy(): void;
}

export interface EvalOptions {
  task: string;
  domain: DomainSpec;
  episodes: number;
  /** Episode i uses env seed seed + i (the same seeds for the agent and for the reference policies). */
  seed: number;
  /** Also run the zero-action and uniform-random policies on the same seeds (default true). */
  references?: boolean;
  workers?: number;
  /** Control steps per episode (default: the task's). */
  episodeLength?: number;
}

export interface EvalReport {
  task: string;
  domain: string;
  episodes: number;
  seeds: number[];
  /** The agent's return of each episode (the actor's mode; DR applied once at episode start). */
  returns: number[];
  /**
   * Each episode's background texture family (VisualDomain.background.family, 'image' for a folder's PNG), when
   * the actor sees images in a randomised domain; see returnsByBackground.
   */
  backgrounds?: string[];
  mean: number;
  std: number;
  references?: { zero: { returns: number[]; mean: number }; random: { returns: number[]; mean: number } };
  wallSeconds: number;
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std };
};

/** Runs `episodes` episodes in parallel with a policy given per step; returns each episode's return. */
async function rollout(
  device: Device,
  opts: EvalOptions,
  render: { size: number } | null,
  policy: (obs: { state: Float32Array; image: Uint8Array[] | null }, isFirst: number[], t: number) => Promise<Float32Array>,
): Promise<{ returns: number[]; backgrounds: string[] | null }> {
  const N = opts.episodes;
  const dr = render ? new VisualDR(device, opts.domain, N, false, opts.seed, render.size) : null;
  const vec = await VecEnv.create(opts.task, { num: N, workers: opts.workers ?? 0, seed: opts.seed, ...(opts.episodeLength ? { episodeLength: opts.episodeLength } : {}), ...(dr ? { renderBatch: dr.render } : {}) });
  try {
    if (dr) for (let i = 0; i < N; i++) dr.startEpisode(i, i);
    const bg = dr ? Array.from({ length: N }, (_, i) => dr.backgroundOf(i)) : [];
    const backgrounds = bg.length && bg.every((b) => b !== null) ? (bg as string[]) : null;
    let obs = await vec.reset(Array.from({ length: N }, (_, i) => opts.seed + i));
    const returns = new Array(N).fill(0);
    const done = new Array(N).fill(false);
    let isFirst = new Array(N).fill(1);
    for (let t = 0; !done.every(Boolean); t++) {
      const a = await policy(obs, isFirst, t);
      // Finished envs keep receiving zero actions; their rewards are not counted.
      for (let i = 0; i < N; i++) if (done[i]) a.fill(0, i * vec.actionSize, (i + 1) * vec.actionSize);
      obs = await vec.step(a);
      for (let i = 0; i < N; i++) {
        if (done[i]) continue;
        returns[i] += obs.reward[i];
        if (obs.done[i]) done[i] = true;
      }
      isFirst = new Array(N).fill(0);
    }
    return { returns, backgrounds };
  } finally {
    await vec.close();
  }
}

/**
 * Evaluates an actor for N episodes with its mode (as the paper evaluates), in a visual domain drawn once per
 * episode at its start. With references, the zero-action and uniform-random policies run on the same seeds.
 */
export async function evaluate(device: Device, actor: Actor, opts: EvalOptions): Promise<EvalReport> {
  if (!(Number.isInteger(opts.episodes) && opts.episodes > 0)) throw new Error(`evaluate: episodes must be a positive integer, got ${opts.episodes}`);
  const t0 = performance.now();
  const image = actor.observes === 'image';
  actor.resetPolicy();
  const { returns, backgrounds } = await rollout(device, opts, image ? { size: actor.imageSize ?? 64 } : null, async (obs, isFirst) => {
    const N = isFirst.length;
    const x = image
      ? tensor(device, concatImages(obs.image!), [N, actor.imageSize ?? 64, actor.imageSize ?? 64, 3], 'u8')
      : tensor(device, obs.state, [N, obs.state.length / N]);
    let a: Float32Array;
    try {
      a = await actor.act(x, isFirst, 'mode');
    } finally {
      x.dispose();
    }
    const at = a.findIndex((v) => !Number.isFinite(v));
    if (at >= 0) {
      const A = a.length / N;
      throw new Error(`evaluate: the policy's action ${Math.floor(at / A)}[${at % A}] is ${a[at]} (its parameters or latent state are not finite), on ${opts.task}`);
    }
    return a;
  });
  actor.resetPolicy();
  const report: EvalReport = {
    task: opts.task,
    domain: domainName(opts.domain),
    episodes: opts.episodes,
    seeds: Array.from({ length: opts.episodes }, (_, i) => opts.seed + i),
    returns,
    ...(backgrounds ? { backgrounds } : {}),
    ...stats(returns),
    wallSeconds: 0,
  };
  if (opts.references !== false) {
    const zero = await referenceReturns(device, opts, 'zero');
    const random = await referenceReturns(device, opts, 'random');
    report.references = { zero: { returns: zero, mean: stats(zero).mean }, random: { returns: random, mean: stats(random).mean } };
  }
  report.wallSeconds = (performance.now() - t0) / 1000;
  return report;
}

/** Returns of the zero-action or uniform-random policy on the evaluation's seeds (they ignore the pixels). */
export async function referenceReturns(device: Device, opts: EvalOptions, kind: 'zero' | 'random'): Promise<number[]> {
  const rng = new SplitMix(opts.seed * 7 + 3);
  const r = await rollout(device, opts, null, async (_obs, isFirst) => {
    const n = isFirst.length;
    const A = actionSizeOf(opts.task);
    return kind === 'zero' ? new Float32Array(n * A) : Float32Array.from({ length: n * A }, () => rng.uniform(-1, 1));
  });
  return r.returns;
}

export interface BackgroundRow {
  background: string;
  episodes: number;
  mean: number;
  min: number;
  max: number;
  /** The zero-action policy's mean on the same episodes (when the report has references). */
  zeroMean?: number;
}

/**
 * An evaluation's returns grouped by the background each episode was drawn with (sorted by name): which
 * visual domains a policy fails in. Null when the report has no backgrounds (a state actor, domain 'none').
 */
export function returnsByBackground(report: Pick<EvalReport, 'returns' | 'backgrounds' | 'references'>): BackgroundRow[] | null {
  const bg = report.backgrounds;
  if (!bg) return null;
  if (bg.length !== report.returns.length) throw new Error(`returnsByBackground: ${bg.length} backgrounds for ${report.returns.length} returns`);
  const groups = new Map<string, number[]>();
  bg.forEach((b, i) => {
    const g = groups.get(b);
    if (g) g.push(i);
    else groups.set(b, [i]);
  });
  return [...groups.keys()].sort().map((b) => {
    const idx = groups.get(b)!;
    const rs = idx.map((i) => report.returns[i]);
    const zero = report.references?.zero.returns;
    return {
      background: b,
      episodes: rs.length,
      mean: rs.reduce((a, x) => a + x, 0) / rs.length,
      min: Math.min(...rs),
      max: Math.max(...rs),
      ...(zero ? { zeroMean: idx.reduce((a, i) => a + zero[i], 0) / idx.length } : {}),
    };
  });
}

export function actionSizeOf(task: string): number {
  return getTask(task, 'evaluate').actionLabels.length;
}

/** N images of equal size, one after another, as one array for one upload. */
export function concatImages(images: readonly Uint8Array[]): Uint8Array {
  const per = images[0].length;
  const out = new Uint8Array(images.length * per);
  images.forEach((im, i) => out.set(im, i * per));
  return out;
}
