/**
 * How good is a state world model where the actor needs it to be? Three measurements on fresh episodes of the
 * real environment (seeds the run never trained on), for a state (Oracle) world model:
 *
 *  1. posterior fit: the reward head and the decoder on the posterior of the real sequence (RMSE of reward and
 *     of each state dimension) - what the training losses measure, but on held-out episodes;
 *  2. open loop: from the posterior at a start step s, imagine H prior steps with the actions really taken and
 *     compare the imagined H-step reward sum with the real one (bias, mean absolute error, and the spread of
 *     the real sums for scale) and the decoded end state with the real one;
 *  3. action effect: from the same starts, imagine H steps of the constant action +d and of -d (d a seeded
 *     random unit direction; +-1 for one action dimension) and compare the model's difference of H-step reward
 *     sums with the real difference, got by restoring the simulator's state at s and stepping it twice. The
 *     actor's gradient (dynamics backpropagation) follows the model's action effect, so a model whose effect
 *     does not agree with the real one in sign drives the actor the wrong way, however small its losses;
 *  4. one-step action curvature: r(0) - (r(+d) + r(-d)) / 2 of the next reward, model against simulator. Tasks
 *     with a control cost (cartpole's (4 + (1 - a^2)) / 5) are concave in the action; a model that is flat
 *     there makes pushing hard look free, and bang-bang control follows.
 *
 * Episodes are acted by the agent's actor (its mode: the states it visits matter) and by uniform random
 * actions (the states it might visit). Nothing here trains; the agent's filter state is reset before and after.
 */
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { tensor, type Device } from '@twist/kernels';
import { getTask, makeEnv, type Env } from '@twist/envs';
import type { DreamerAgent } from './agent.js';
import { SplitMix } from './rng.js';

export interface DiagnoseOptions {
  task: string;
  /** Episodes per policy (actor and random). Default 2. */
  episodes?: number;
  /** Episode i of a policy uses env seed seed + i. Default 9_000_000 (not a training seed). */
  seed?: number;
  /** Agent steps observed per episode (the episode is cut there). Default 200. */
  steps?: number;
  /** Imagination horizon H. Default 15 (the actor's). */
  horizon?: number;
  /** Start steps per episode, spread evenly over [1, steps - H - 1]. Default 6. */
  starts?: number;
  /** Control steps per episode (default: the task's). */
  episodeLength?: number;
}

export interface ActionEffectPair {
  policy: 'actor' | 'random';
  episode: number;
  start: number;
  model: number;
  real: number;
}

export interface WorldModelDiagnosis {
  task: string;
  horizon: number;
  episodesPerPolicy: number;
  steps: number;
  stateLabels: string[];
  posterior: { rewardRmse: number; stateRmse: number[] };
  openLoop: { starts: number; rewardBias: number; rewardAbsError: number; realReturnStd: number; endStateRmse: number[] };
  actionEffect: { pairs: ActionEffectPair[]; correlation: number; signAgreement: number; meanModel: number; meanReal: number };
  /** One-step r(0) - (r(+d) + r(-d)) / 2 at the same starts: means and correlation, model against simulator. */
  curvature: { meanModel: number; meanReal: number; correlation: number };
}

interface Recorded {
  obs: Float32Array[];
  acts: Float32Array[];
  rews: number[];
  physics: { qpos: Float64Array; qvel: Float64Array; time: number }[];
}

const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : Number.NaN);
const flat = (xs: Float32Array[]) => {
  const out = new Float32Array(xs.length * xs[0].length);
  xs.forEach((x, i) => out.set(x, i * x.length));
  return out;
};

/** Pearson correlation; NaN when either side has no variance. */
export function pearson(x: number[], y: number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

/** H agent steps of a constant action from a saved simulator state; the summed reward. */
export function branchReturn(env: Env, seed: number, physics: { qpos: ArrayLike<number>; qvel: ArrayLike<number> }, action: Float32Array, H: number): number {
  env.reset(seed);
  env.setPhysicsState({ qpos: physics.qpos, qvel: physics.qvel });
  let r = 0;
  for (let k = 0; k < H; k++) {
    const o = env.step(action);
    r += o.reward;
    if (o.done) break;
  }
  return r;
}

export async function diagnoseWorldModel(device: Device, agent: DreamerAgent, opts: DiagnoseOptions): Promise<WorldModelDiagnosis> {
  const wm = agent.wm;
  if (wm.cfg.modality !== 'state') throw new Error(`diagnose: needs a state world model (an oracle run); this model's modality is '${wm.cfg.modality}'`);
  const spec = getTask(opts.task);
  const S = wm.cfg.stateSize;
  const NA = wm.cfg.actionSize;
  if (spec.stateLabels.length !== S || spec.actionLabels.length !== NA) {
    throw new Error(`diagnose: task ${opts.task} has state ${spec.stateLabels.length} / action ${spec.actionLabels.length} dims, the model ${S} / ${NA}`);
  }
  const E = opts.episodes ?? 2;
  const seed0 = opts.seed ?? 9_000_000;
  const T = opts.steps ?? 200;
  const H = opts.horizon ?? agent.cfg.behaviour.horizon;
  const nStarts = opts.starts ?? 6;
  for (const [k, v, min] of [['episodes', E, 1], ['steps', T, H + 3], ['horizon', H, 1], ['starts', nStarts, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`diagnose: ${k} must be an integer >= ${min}, got ${v}`);
  }
  const envOpts = opts.episodeLength ? { episodeLength: opts.episodeLength } : {};
  const env = await makeEnv(opts.task as never, envOpts);
  const branch = await makeEnv(opts.task as never, envOpts);
  const dirRng = new SplitMix(seed0 + 1);
  const actRng = new SplitMix(seed0 + 2);
  const { deter: D, stoch: SS, classes: C } = wm.rssm.cfg;

  const post = { reward: [] as number[], state: new Array(S).fill(0), n: 0 };
  const open = { bias: [] as number[], real: [] as number[], end: new Array(S).fill(0) };
  const pairs: ActionEffectPair[] = [];
  const curv = { model: [] as number[], real: [] as number[] };
  try {
    for (const policy of ['actor', 'random'] as const) {
      for (let ep = 0; ep < E; ep++) {
        const seed = seed0 + (policy === 'actor' ? 0 : 1000) + ep;
        // ---- a real episode (cut at T steps): obs t, the action that led to it, its reward, the physics at t
        const rec: Recorded = { obs: [], acts: [], rews: [], physics: [] };
        let o = env.reset(seed);
        rec.obs.push(Float32Array.from(o.state));
        rec.acts.push(new Float32Array(NA));
        rec.rews.push(0);
        rec.physics.push(env.physicsState());
        agent.resetPolicy();
        for (let t = 1; t < T && !o.done; t++) {
          let a: Float32Array;
          if (policy === 'actor') {
            const x = tensor(device, Float32Array.from(o.state), [1, S]);
            try {
              a = Float32Array.from(await agent.act(x, [t === 1 ? 1 : 0], 'mode'));
            } finally {
              x.dispose();
            }
          } else {
            a = Float32Array.from({ length: NA }, () => actRng.uniform(-1, 1));
          }
          o = env.step(a);
          rec.obs.push(Float32Array.from(o.state));
          rec.acts.push(a);
          rec.rews.push(o.reward);
          rec.physics.push(env.physicsState());
        }
        agent.resetPolicy();
        const n = rec.obs.length;
        if (n < H + 3) continue; // ended too early to imagine from
        // ---- 1. posterior fit
        const lat = K.scope(() =>
          A.noGrad(() => {
            const batch = {
              obs: tensor(device, flat(rec.obs), [1, n, S]),
              actions: tensor(device, flat(rec.acts), [1, n, NA]),
              rewards: tensor(device, Float32Array.from(rec.rews), [1, n]),
              isFirst: tensor(device, Float32Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)), [1, n]),
            };
            const l = wm.observe(batch);
            const f = wm.rssm.feature(l);
            return { deter: l.deter.value, stoch: l.stoch.value, reward: wm.reward.forward(f).value, recon: wm.decoder.forward(f).value };
          }),
        );
        try {
          const rw = (await lat.reward.toArray()) as Float32Array;
          const rc = (await lat.recon.toArray()) as Float32Array;
          for (let t = 1; t < n; t++) post.reward.push((rw[t] - rec.rews[t]) ** 2);
          for (let t = 0; t < n; t++) for (let i = 0; i < S; i++) post.state[i] += (rc[t * S + i] - rec.obs[t][i]) ** 2;
          post.n += n;
          // ---- 2. and 3. from evenly spread starts
          const last = n - H - 1;
          const starts = [...new Set(Array.from({ length: nStarts }, (_, k) => 1 + Math.round((k * (last - 1)) / Math.max(1, nStarts - 1))))];
          const imagine = async (s: number, actions: Float32Array[], steps = H) => {
            const out = K.scope(() =>
              A.noGrad(() => {
                const deter = A.constant(K.slice(lat.deter, [0, s, 0], [1, 1, D]).reshape([1, D]));
                const stoch = A.constant(K.slice(lat.stoch, [0, s, 0, 0], [1, 1, SS, C]).reshape([1, SS, C]));
                const im = wm.rssm.imagine({ deter, stoch }, A.constant(tensor(device, flat(actions), [steps, 1, NA])), steps);
                const f = wm.rssm.feature(im);
                return { reward: wm.reward.forward(f).value, recon: wm.decoder.forward(f).value };
              }),
            );
            try {
              return { reward: sum((await out.reward.toArray()) as Float32Array), recon: (await out.recon.toArray()) as Float32Array };
            } finally {
              out.reward.dispose();
              out.recon.dispose();
            }
          };
          for (const s of starts) {
            const taken = rec.acts.slice(s + 1, s + 1 + H);
            const im = await imagine(s, taken);
            const real = sum(rec.rews.slice(s + 1, s + 1 + H));
            open.bias.push(im.reward - real);
            open.real.push(real);
            for (let i = 0; i < S; i++) open.end[i] += (im.recon[(H - 1) * S + i] - rec.obs[s + H][i]) ** 2;
            // a seeded unit direction (+-1 for one action dimension)
            const d = Float32Array.from({ length: NA }, () => dirRng.uniform(-1, 1));
            const norm = Math.hypot(...d) || 1;
            const plus = Float32Array.from(d, (v) => Math.max(-1, Math.min(1, NA === 1 ? Math.sign(v) || 1 : v / norm)));
            const minus = Float32Array.from(plus, (v) => -v);
            const m = (await imagine(s, Array.from({ length: H }, () => plus))).reward - (await imagine(s, Array.from({ length: H }, () => minus))).reward;
            const r = branchReturn(branch, seed, rec.physics[s], plus, H) - branchReturn(branch, seed, rec.physics[s], minus, H);
            pairs.push({ policy, episode: ep, start: s, model: m, real: r });
            const zero = new Float32Array(NA);
            const one = async (a: Float32Array) => (await imagine(s, [a], 1)).reward;
            curv.model.push((await one(zero)) - ((await one(plus)) + (await one(minus))) / 2);
            const realOne = (a: Float32Array) => branchReturn(branch, seed, rec.physics[s], a, 1);
            curv.real.push(realOne(zero) - (realOne(plus) + realOne(minus)) / 2);
          }
        } finally {
          for (const t of Object.values(lat)) t.dispose();
        }
      }
    }
  } finally {
    env.close();
    branch.close();
  }
  if (!pairs.length) throw new Error(`diagnose: every episode ended before ${H + 3} steps; nothing to measure`);
  const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
  const starts = open.bias.length;
  return {
    task: opts.task,
    horizon: H,
    episodesPerPolicy: E,
    steps: T,
    stateLabels: [...spec.stateLabels],
    posterior: { rewardRmse: Math.sqrt(mean(post.reward)), stateRmse: post.state.map((e) => Math.sqrt(e / post.n)) },
    openLoop: { starts, rewardBias: mean(open.bias), rewardAbsError: mean(open.bias.map(Math.abs)), realReturnStd: std(open.real), endStateRmse: open.end.map((e) => Math.sqrt(e / starts)) },
    actionEffect: {
      pairs,
      correlation: pearson(pairs.map((p) => p.model), pairs.map((p) => p.real)),
      signAgreement: pairs.filter((p) => Math.sign(p.model) === Math.sign(p.real)).length / pairs.length,
      meanModel: mean(pairs.map((p) => p.model)),
      meanReal: mean(pairs.map((p) => p.real)),
    },
    curvature: { meanModel: mean(curv.model), meanReal: mean(curv.real), correlation: pearson(curv.model, curv.real) },
  };
}
