/**
 * Distillation configuration (paper section IV-B, section V, Algorithm 1). The paper fixes L = 50 and H = 15;
 * everything else below is ours to choose (REFERENCE-FACTS section 3), and each choice is named where it is set.
 */
import { showValue } from '@twist/kernels';
export interface DistilWeights {
  /** Eq. 3, deterministic representation distillation: ||h_teacher - h_student||^2. */
  h: number;
  /** Eq. 3, prior distillation: KL[p_theta(z^ | h_student) || p_phi(z^ | h_teacher)]. */
  prior: number;
  /** Eq. 3, posterior distillation: KL[q_theta(z | h_student, o) || q_phi(z | h_teacher, s)]. */
  post: number;
  /** Eq. 4, h along the imagined rollouts. */
  imagH: number;
  /** Eq. 4, prior KL along the imagined rollouts. */
  imagPrior: number;
}

export interface DistilConfig {
  /** Sequences per batch B and their length L (paper: L = 50; the batch size is not given, we take V2's 16). */
  batch: number;
  length: number;
  /** Imagination horizon H of Eq. 4 (paper: 15). */
  horizon: number;
  /** Eq. 4 on (Algorithm 1 lines 6-11); off = the paper's ablation "without distillation in imagination". */
  imagined: boolean;
  /**
   * Action noise of the teacher's imagined rollouts: a = clip(N(a_pi, noise), -1, 1) (V2's action_noise;
   * sigma 0.3 after DreamerV1's expl_amount, since the paper gives no value). 0 = no noise.
   */
  noise: number;
  /** a_pi: a sample of the teacher's actor (the paper: "the action sampled from the policy"), or its mode. */
  policy: 'sample' | 'mode';
  /**
   * Imagination starts: 0 = every posterior state of the batch (B x L, as Algorithm 1 lines 6-8 and V2's
   * imagination do); n > 0 = a uniformly drawn subset of n of them (the same indices in teacher and student).
   */
  imagStarts: number;
  /**
   * Stop the gradient at the student's imagination starts (V2 detaches imagination starts too): then Eq. 4
   * trains the student's dynamics (GRU, prior) and Eq. 3 its encoder and posterior. The paper does not say.
   */
  detachStarts: boolean;
  /**
   * How a per-step term is reduced over time: 'sum' as Eq. 3 and 4 are written (sum over the L steps of a
   * sequence and over the H steps of a rollout), or 'mean'. Always the mean over sequences / rollouts.
   */
  timeReduce: 'sum' | 'mean';
  /** Per-term weights; an ablation sets a weight to 0, which removes the term from the loss. */
  weights: DistilWeights;
  /**
   * Also train the student's image decoder (Eq. 2's reconstruction term, unit-variance Gaussian) with this
   * weight. 0 (default): the paper's student learns from the teacher alone and its decoder is unused.
   */
  recon: number;
  /**
   * Also train a decoder of the privileged state from the student's feature [h, z] (the rssm image model's
   * stateRecon head, -log N(s; decoder(h, z), 1) up to its constant, i.e. 0.5 ||s - decoder(h, z)||^2 summed over the state's dimensions and reduced over time as
   * timeReduce says) with this weight. 0 (default): the paper's student learns from the teacher alone. An
   * extension beyond the paper (its "Dreamer State Recon." baseline's auxiliary, on the student): the matched
   * data hold the state of every image, and the term gives the student's encoder a direct signal for what the
   * teacher's latents encode only weakly (a balanced pole's tilt: results/twist-cartpole-balance-quick/).
   */
  stateRecon: number;
  /**
   * Also match the teacher actor's decisions on the two latents (an extension beyond the paper, 0 = off):
   *   L_act = mean_b sum_t || tanh m(f^student_{b,t}) - sg(tanh m(f^teacher_{b,t})) ||^2
   * with f = [h, z] the posterior feature of Eq. 3's filter and tanh m(.) the frozen teacher actor's mean (its
   * mode, what the deployed agent executes), reduced over time as timeReduce says. Why: Eq. 3 weighs every
   * direction of h alike, while the actor reads a few of them (a balanced pole's tilt); a student at a relative
   * h error of 0.06 still acts 0.5 away from the teacher (probes/latent-drift.mjs on v9's student), and the
   * gradient through the actor puts the error where the decisions are. The actor stays frozen: only the
   * student's latents receive its gradient.
   */
  actionMatch: number;
  /**
   * Random-shift augmentation of the student's images (an extension beyond the paper, 0 = off): each sequence
   * of a batch is shifted by (dy, dx) uniform in [-augmentShift, augmentShift] pixels with edge replication
   * (DrQ's pad-and-crop, Kostrikov et al. 2020, its pad 4 at 84 px; @twist/kernels shiftImages), one offset per
   * sequence so that a sequence stays one camera's. The teacher reads the state, so its targets are unchanged:
   * the student learns the same latents from shifted frames. Why: the quick student matched the teacher on the
   * training distribution's domains and fell short on held-out ones (results/twist-cartpole-balance-quick v15),
   * a generalisation gap that augmentation is the standard remedy for. Offsets come from Philox at (seed, update),
   * so a resumed run draws the same ones.
   */
  augmentShift: number;
  /**
   * Adam over the student's encoder and RSSM only. The paper gives no optimiser: we take the world model's
   * (DreamerV2 DMC: lr 3e-4, eps 1e-5, global-norm clip 100, weight decay 1e-6).
   * warmup (an extension, default 0: off, as DreamerV2): the learning rate of update k (1-based) is
   * lr * min(1, k / warmup). Why: Adam's first steps after a fresh start move every parameter by about lr
   * whatever its gradient (m / sqrt(v) ~ sign(g) with bias correction), which shakes a student that starts from
   * an earlier one (--init, a DAgger round: the optimiser starts fresh there) before its moments have settled.
   */
  opt: { lr: number; eps: number; clip: number; weightDecay: number; warmup: number };
  /** Distillation updates (gradient steps) of the run; the paper does not say how many. */
  steps: number;
  /** Log metrics (a read-back) every this many updates; non-finite losses are detected there. */
  logEvery: number;
  /** Evaluate the deployed agent on held-out domains every this many updates (and at the end). */
  evalEvery: number;
  evalEpisodes: number;
  /** Checkpoint (student, optimiser, RNGs, counters, and the deployed agent) every this many updates. */
  checkpointEvery: number;
}

const PAPER: DistilConfig = {
  batch: 16,
  length: 50,
  horizon: 15,
  imagined: true,
  noise: 0.3,
  policy: 'sample',
  imagStarts: 0,
  detachStarts: true,
  timeReduce: 'sum',
  weights: { h: 1, prior: 1, post: 1, imagH: 1, imagPrior: 1 },
  recon: 0,
  stateRecon: 0,
  actionMatch: 0,
  augmentShift: 0,
  opt: { lr: 3e-4, eps: 1e-5, clip: 100, weightDecay: 1e-6, warmup: 0 },
  steps: 50_000,
  logEvery: 10,
  evalEvery: 5_000,
  evalEpisodes: 10,
  checkpointEvery: 1_000,
};

export const DISTIL_PRESETS = {
  /** L = 50, H = 15, all B x L starts (the paper's sizes). */
  paper: PAPER,
  /**
   * The 2-core machine: L = 32 (the agent's quick preset samples 32 too; the paper 50), 256 of the 512
   * imagination starts, 3000 updates, evaluation every 1000.
   */
  quick: { ...PAPER, length: 32, imagStarts: 256, steps: 3_000, evalEvery: 1_000, evalEpisodes: 5, checkpointEvery: 500 },
  /** Tests and smoke runs: 4 x 16, H = 5, 32 starts, lr 1e-3. */
  debug: {
    ...PAPER,
    batch: 4,
    length: 16,
    horizon: 5,
    imagStarts: 32,
    opt: { ...PAPER.opt, lr: 1e-3 },
    steps: 200,
    logEvery: 5,
    evalEvery: 100,
    evalEpisodes: 2,
    checkpointEvery: 100,
  },
} satisfies Record<string, DistilConfig>;

export type DistilPresetName = keyof typeof DISTIL_PRESETS;

export type DistilOverrides = Partial<Omit<DistilConfig, 'weights' | 'opt'>> & {
  weights?: Partial<DistilWeights>;
  opt?: Partial<DistilConfig['opt']>;
};

/** The ablations of the paper's question 2 and of the issue, as config changes. */
export interface Ablations {
  /** Without Eq. 4 (distillation in imagination). */
  noImagined?: boolean;
  /** Without the deterministic-state term, in Eq. 3 and in Eq. 4. */
  noH?: boolean;
  /** Without Eq. 3's posterior term. */
  noPost?: boolean;
}

/** A preset with overrides (key by key, weights and opt merged) and ablations applied, then validated. */
export function makeDistilConfig(preset: string, overrides: DistilOverrides = {}, ablations: Ablations = {}): DistilConfig {
  const base = (DISTIL_PRESETS as Record<string, DistilConfig>)[preset];
  if (!base) throw new Error(`distil config: unknown preset '${preset}'; valid presets: ${Object.keys(DISTIL_PRESETS).join(', ')}`);
  const cfg: DistilConfig = structuredClone(base);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (!(k in cfg)) throw new Error(`distil config: unknown key '${k}'; valid keys: ${Object.keys(cfg).join(', ')}`);
    if (k === 'weights' || k === 'opt') {
      for (const [kk, vv] of Object.entries(v as object)) {
        if (!(kk in cfg[k])) throw new Error(`distil config: unknown key '${k}.${kk}'; valid keys: ${Object.keys(cfg[k]).join(', ')}`);
        if (vv !== undefined) (cfg[k] as unknown as Record<string, unknown>)[kk] = vv;
      }
    } else (cfg as unknown as Record<string, unknown>)[k] = v;
  }
  if (ablations.noImagined) cfg.imagined = false;
  if (ablations.noH) cfg.weights = { ...cfg.weights, h: 0, imagH: 0 };
  if (ablations.noPost) cfg.weights = { ...cfg.weights, post: 0 };
  validateDistilConfig(cfg);
  return cfg;
}

export function validateDistilConfig(c: DistilConfig): void {
  const bad = (key: string, want: string, got: unknown): never => {
    throw new Error(`distil config: '${key}' must be ${want}, got ${showValue(got)}`);
  };
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  for (const k of ['batch', 'length', 'horizon', 'steps', 'logEvery', 'evalEvery', 'evalEpisodes', 'checkpointEvery'] as const) {
    if (!posInt(c[k])) bad(k, 'a positive integer', c[k]);
  }
  if (typeof c.imagined !== 'boolean') bad('imagined', 'a boolean', c.imagined);
  if (typeof c.detachStarts !== 'boolean') bad('detachStarts', 'a boolean', c.detachStarts);
  if (!(Number.isFinite(c.noise) && c.noise >= 0)) bad('noise', 'a finite number >= 0 (the std of the action noise)', c.noise);
  if (c.policy !== 'sample' && c.policy !== 'mode') bad('policy', "'sample' or 'mode'", c.policy);
  if (c.timeReduce !== 'sum' && c.timeReduce !== 'mean') bad('timeReduce', "'sum' or 'mean'", c.timeReduce);
  if (!(Number.isInteger(c.imagStarts) && c.imagStarts >= 0)) bad('imagStarts', 'a non-negative integer (0 = all B x L)', c.imagStarts);
  for (const [k, w] of Object.entries(c.weights)) if (!(Number.isFinite(w) && w >= 0)) bad(`weights.${k}`, 'a finite number >= 0', w);
  if (!(Number.isFinite(c.recon) && c.recon >= 0)) bad('recon', 'a finite number >= 0 (0 = no reconstruction)', c.recon);
  if (!(Number.isFinite(c.stateRecon) && c.stateRecon >= 0)) bad('stateRecon', 'a finite number >= 0 (0 = no state decoder)', c.stateRecon);
  if (!(Number.isFinite(c.actionMatch) && c.actionMatch >= 0)) bad('actionMatch', 'a finite number >= 0 (0 = off)', c.actionMatch);
  if (!(Number.isInteger(c.augmentShift) && c.augmentShift >= 0)) bad('augmentShift', 'a non-negative integer (pixels; 0 = off)', c.augmentShift);
  if (!(c.opt.lr > 0)) bad('opt.lr', '> 0', c.opt.lr);
  if (!(c.opt.eps > 0)) bad('opt.eps', '> 0', c.opt.eps);
  if (!(c.opt.clip >= 0)) bad('opt.clip', '>= 0', c.opt.clip);
  if (!(c.opt.weightDecay >= 0)) bad('opt.weightDecay', '>= 0', c.opt.weightDecay);
  if (!(Number.isInteger(c.opt.warmup) && c.opt.warmup >= 0)) bad('opt.warmup', 'a non-negative integer (updates; 0 = off)', c.opt.warmup);
  const active = Object.entries(c.weights).filter(([k, w]) => w > 0 && (c.imagined || !k.startsWith('imag')));
  if (active.length === 0 && c.recon === 0 && c.stateRecon === 0 && c.actionMatch === 0) bad('weights', 'at least one positive weight on an active term (every term is switched off)', c.weights);
}

/** The learning rate of distillation update k (1-based): opt.lr * min(1, k / opt.warmup), or opt.lr when warmup is 0. */
export function learningRate(opt: Pick<DistilConfig['opt'], 'lr' | 'warmup'>, update: number): number {
  if (!(Number.isInteger(update) && update >= 1)) throw new Error(`learningRate: update must be an integer >= 1 (1-based), got ${update}`);
  return opt.warmup > 0 ? opt.lr * Math.min(1, update / opt.warmup) : opt.lr;
}
