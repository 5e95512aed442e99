import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { keep, randomNormal, scope, shiftImages, shiftOffsets, tensor, type Device, type Tensor } from '@twist/kernels';
import { MAX_CONSECUTIVE_SKIPS, SplitMix, type Actor } from '@twist/agent';
import { readMetrics, type WorldModel } from '@twist/rssm';
import { learningRate, validateDistilConfig, type DistilConfig } from './config.js';
import { actionMatchLoss, distilLoss, imaginedLoss } from './losses.js';
import { studentTrainables } from './student.js';

/** The frozen teacher: its state world model and the actor learned in it (a DreamerAgent's wm and behaviour.actor). */
export interface Teacher {
  wm: WorldModel;
  actor: Actor;
}

/**
 * One batch of Algorithm 1 line 4: B sequences of L matched steps (a_t, o_t, s_t). images u8 [B, L, H, W, 3]
 * (the student's input), state f32 [B, L, S] (the teacher's), actions [B, L, A] (actions[:, t] led to step t),
 * isFirst [B, L] (1 at [:, 0] and at episode starts: both models reset their state there).
 */
export interface DistilBatch {
  images: Tensor;
  state: Tensor;
  actions: Tensor;
  isFirst: Tensor;
  /**
   * Optional host copy of isFirst (row-major [B, L]): with it both posteriors skip the reset of sequences
   * that do not start at a step (@twist/rssm's ObserveOptions.isFirstHost), which only saves work.
   */
  isFirstHost?: ArrayLike<number>;
}

/** One distillation update's metrics, as device tensors (read them with readDistilMetrics when logging). */
export interface DistilMetrics {
  loss: Tensor;
  /** Eq. 3 terms (unweighted, after the time/batch reduction of losses.ts). */
  h: Tensor;
  prior: Tensor;
  post: Tensor;
  /** Eq. 4 terms (when imagined is on). */
  imagH?: Tensor;
  imagPrior?: Tensor;
  /** The optional reconstruction term (when recon > 0). */
  recon?: Tensor;
  /** The optional privileged-state decoding term (when stateRecon > 0; not in the paper). */
  stateRecon?: Tensor;
  /** The optional action-matching term (when actionMatch > 0; not in the paper). */
  act?: Tensor;
  /**
   * With the state term, per state dimension i, mean over the batch's steps of (target_i - decoded_i)^2 [stateSize]:
   * with standardised targets (setStateStats) about 1 - R^2 of dimension i (1: no better than the data's mean).
   * Not part of the loss; the run logs it as stateMse0, stateMse1, ...
   */
  stateMse?: Tensor;
  /** Global gradient norm of the student's update (before clipping). */
  gradNorm: Tensor;
}

/** An update's metrics as numbers (they are read from the device): the scalars, and stateMse as stateMse0, stateMse1, ... */
export async function readDistilMetrics(m: DistilMetrics): Promise<Record<string, number>> {
  const { stateMse, ...scalars } = m;
  const vals: Record<string, number> = await readMetrics(scalars);
  if (stateMse) (await stateMse.toArray()).forEach((v, i) => (vals[`stateMse${i}`] = Number(v)));
  return vals;
}

/** Host and device RNG counters of a distiller: part of every checkpoint, so a resume draws the same numbers. */
export interface DistillerCounters {
  updates: number;
  /** Philox offsets of the teacher-actor samples and of the action noise (one stream per draw). */
  actorRngOffset: number;
  noiseRngOffset: number;
  /** Host RNG of the imagination-start subsets. */
  startRng: string;
  studentRssmRngOffset: number;
  teacherRssmRngOffset: number;
}

/**
 * Algorithm 1 as one step: the teacher (frozen; computed under noGrad, never given to an optimiser) and the
 * student image world model, with Adam over the student's encoder and RSSM only. The distiller owns its
 * optimiser; the models are the caller's.
 *
 * step(batch), lines 4-12:
 *   5.   teacher posterior over the states, student posterior over the images (both from zero states at
 *        isFirst), Eq. 3 between them;
 *   6-7. their posterior states (B x L, or a subset of imagStarts) as imagination starts;
 *   8-9. the teacher imagines H steps with a_i = clip(a_pi + N(0, noise^2), -1, 1), a_pi ~ pi(. | h_i, z_i)
 *        (its actor on its own imagined features), recording the actions;
 *   10.  the student imagines H steps from its own starts replaying those actions;
 *   11.  Eq. 4 between the rollouts;
 *   12.  one Adam step on L = L_distil + L_imagined (+ recon * Eq. 2's image term, + stateRecon * the state
 *        decoder's term, when those extensions are on).
 */
export class Distiller {
  readonly opt: A.Adam;
  /** Stops step() after MAX_CONSECUTIVE_SKIPS non-finite updates in a row (see SkipWatch). */
  readonly skipWatch: A.SkipWatch;
  readonly params: readonly Var[];
  updates = 0;
  actorRngOffset = 0;
  noiseRngOffset = 0;
  readonly startRng: SplitMix;
  readonly #actorSeed: number;
  readonly #noiseSeed: number;
  readonly #augmentSeed: number;
  #stateStats: { mean: Tensor; std: Tensor } | null = null;

  constructor(
    readonly teacher: Teacher,
    readonly student: WorldModel,
    readonly cfg: DistilConfig,
    seed = 0,
  ) {
    validateDistilConfig(cfg);
    const t = teacher.wm.rssm.cfg;
    const s = student.rssm.cfg;
    for (const k of ['deter', 'stoch', 'classes', 'unimix'] as const) {
      if (t[k] !== s[k]) throw new Error(`Distiller: the student's rssm.${k} (${s[k]}) differs from the teacher's (${t[k]}); build the student with makeStudentConfig`);
    }
    if (student.cfg.modality !== 'image') throw new Error(`Distiller: the student must be an image world model, got modality '${student.cfg.modality}'`);
    if (teacher.wm.cfg.actionSize !== student.cfg.actionSize) throw new Error(`Distiller: action sizes differ (teacher ${teacher.wm.cfg.actionSize}, student ${student.cfg.actionSize})`);
    if (cfg.stateRecon > 0 && !student.stateDecoder) throw new Error('Distiller: stateRecon > 0 needs a student with a state decoder (its config stateRecon: true; makeStudentConfig sets it)');
    this.params = studentTrainables(student, cfg.recon > 0, cfg.stateRecon > 0);
    const teacherParams = new Set([...teacher.wm.parameters(), ...teacher.actor.parameters()]);
    if (this.params.some((p) => teacherParams.has(p))) throw new Error('Distiller: the student shares parameters with the teacher');
    const o = cfg.opt;
    this.opt = new A.Adam(this.params, { lr: o.lr, eps: o.eps, clip: o.clip, weightDecay: o.weightDecay });
    this.skipWatch = new A.SkipWatch({ student: this.opt }, MAX_CONSECUTIVE_SKIPS);
    this.startRng = new SplitMix(seed + 2_147_483);
    this.#actorSeed = seed + 7_368_787;
    this.#noiseSeed = seed + 9_999_991;
    this.#augmentSeed = seed + 5_555_557;
  }

  get device(): Device {
    return this.student.device;
  }

  /** One update (Algorithm 1 lines 4-12) on a batch; records only, then waits until the device is within one batch. */
  async step(batch: DistilBatch): Promise<DistilMetrics> {
    const m = this.record(batch);
    await this.device.throttle(1);
    try {
      await this.skipWatch.check(this.updates, m as unknown as Record<string, Tensor | undefined>);
    } catch (e) {
      for (const t of Object.values(m)) (t as Tensor | undefined)?.dispose();
      throw e;
    }
    return m;
  }

  /** Records one update without waiting. Everything but the returned metrics is released. */
  record(batch: DistilBatch): DistilMetrics {
    const metrics = scope(() => this.#record(batch));
    this.updates++;
    return metrics;
  }

  #record(b: DistilBatch): DistilMetrics {
    const cfg = this.cfg;
    const T = this.teacher.wm;
    const S = this.student;
    const [B, L] = b.actions.shape;
    const check = (name: string, t: Tensor, want: number[]) => {
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
        throw new Error(`Distiller.step: batch.${name} must have shape [${want.join(',')}], got [${t.shape.join(',')}]`);
      }
    };
    check('actions', b.actions, [B, L, S.cfg.actionSize]);
    check('state', b.state, [B, L, T.cfg.stateSize]);
    check('images', b.images, [B, L, S.cfg.imageSize, S.cfg.imageSize, S.cfg.imageChannels]);
    check('isFirst', b.isFirst, [B, L]);
    const actions = A.constant(b.actions);
    const unimix = S.cfg.rssm.unimix;

    // Line 5: both posteriors over the same steps; the teacher's without a graph.
    const hint = { isFirstHost: b.isFirstHost };
    const tLat = A.noGrad(() => T.rssm.observe(T.encoder.forward(T.preprocess(b.state)), actions, b.isFirst, undefined, hint));
    let x = S.preprocess(b.images);
    if (cfg.augmentShift > 0) {
      // (optional) random-shift augmentation of the student's frames, one offset per sequence (DistilConfig.augmentShift);
      // update k draws hash(seed, k), so a resumed run repeats them
      const offsets = tensor(this.device, shiftOffsets(B, cfg.augmentShift, this.#augmentSeed, this.updates), [B, 2], 'i32');
      x = A.constant(shiftImages(x.value, offsets));
    }
    const sEmbed = S.encoder.forward(x);
    const sLat = S.rssm.observe(sEmbed, actions, b.isFirst, undefined, hint);
    const d = distilLoss(tLat, sLat, { timeReduce: cfg.timeReduce, unimix, weights: cfg.weights });
    const terms: [Var, number][] = [[d.loss, 1]];
    const out: Partial<Record<keyof DistilMetrics, Var>> = { h: d.h, prior: d.prior, post: d.post };

    if (cfg.actionMatch > 0) {
      // Optional, not in the paper: the frozen actor's mean action on both posterior features (actionMatchLoss).
      const aT = A.noGrad(() => this.teacher.actor.dist(T.rssm.feature(tLat)).mean);
      const aS = this.teacher.actor.dist(S.rssm.feature(sLat)).mean;
      const act = actionMatchLoss(aT, aS, { timeReduce: cfg.timeReduce });
      terms.push([act, cfg.actionMatch]);
      out.act = act;
    }
    if (cfg.imagined) {
      // Lines 6-7: the posterior states of the batch as starts (the same indices in both models).
      const { deter: D, stoch: V, classes: C } = S.rssm.cfg;
      const total = B * L;
      let idx: Tensor | null = null;
      if (cfg.imagStarts > 0 && cfg.imagStarts < total) {
        const n = cfg.imagStarts;
        const perm = Int32Array.from({ length: total }, (_, i) => i);
        for (let i = 0; i < n; i++) {
          const j = i + Math.floor(this.startRng.next() * (total - i));
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        idx = tensor(this.device, perm.slice(0, n), [n], 'i32');
      }
      const pick = (v: Var, shape: number[]) => {
        const flat = A.reshape(v, [total, ...shape]);
        return idx ? A.gather(flat, idx, 0) : flat;
      };
      const N = idx ? idx.shape[0] : total;
      const H = cfg.horizon;
      const Aa = S.cfg.actionSize;
      const tImag = A.noGrad(() => {
        const start = { deter: pick(A.stopGradient(tLat.deter), [D]), stoch: pick(A.stopGradient(tLat.stoch), [V, C]) };
        // Line 8: the teacher's actor on its own imagined features, plus clipped Gaussian action noise.
        const policy = (feature: Var) => {
          const dist = this.teacher.actor.dist(feature);
          let a = cfg.policy === 'mode' ? dist.mode() : dist.sample({ seed: this.#actorSeed, offset: this.actorRngOffset++ });
          if (cfg.noise > 0) {
            const eps = A.constant(randomNormal(this.device, [N, Aa], { seed: this.#noiseSeed, offset: this.noiseRngOffset++ }, 0, cfg.noise));
            a = A.clamp(A.add(a, eps), -1, 1);
          }
          return a;
        };
        return T.rssm.imagine(start, policy, H);
      });
      // Line 9-10: the same actions (a constant [H, N, A]) replayed in the student from its own starts.
      const sDeter = pick(cfg.detachStarts ? A.stopGradient(sLat.deter) : sLat.deter, [D]);
      const sStoch = pick(cfg.detachStarts ? A.stopGradient(sLat.stoch) : sLat.stoch, [V, C]);
      const sImag = S.rssm.imagine({ deter: sDeter, stoch: sStoch }, A.stopGradient(tImag.actions), H);
      // Line 11: Eq. 4.
      const im = imaginedLoss(tImag, sImag, { timeReduce: cfg.timeReduce, unimix, weights: cfg.weights });
      terms.push([im.loss, 1]);
      out.imagH = im.imagH;
      out.imagPrior = im.imagPrior;
    }
    if (cfg.recon > 0) {
      // Optional: Eq. 2's image term, -log N(x; decoder(h, z), 1) summed over pixels (the paper's student has none).
      const recon = A.gaussianNLL(S.decoder.forward(S.rssm.feature(sLat)), x, 3);
      terms.push([recon, cfg.recon]);
      out.recon = recon;
    }
    if (cfg.stateRecon > 0) {
      // Optional, not in the paper: 0.5 ||s_t - stateDecoder(.)||^2 (-log N(s_t; ., 1) without its constant), the
      // decoder reading [h_t, z_t] or the frame's embed (the student's stateReconFrom); gaussianNLL means it over
      // the B x L steps, so 'sum' multiplies by L (per sequence, as Eq. 3's terms).
      // the target: the standardised state when the statistics were set (setStateStats), else the state itself
      const st = this.#stateStats;
      const target = st ? A.div(A.sub(A.constant(b.state), A.constant(st.mean)), A.constant(st.std)) : A.constant(b.state);
      const decoded = S.decodeState(sEmbed, S.rssm.feature(sLat));
      const nll = A.gaussianNLL(decoded, target, 1);
      const stateRecon = cfg.timeReduce === 'sum' ? A.scale(nll, L) : nll;
      terms.push([stateRecon, cfg.stateRecon]);
      out.stateRecon = stateRecon;
      out.stateMse = A.noGrad(() => A.mean(A.square(A.sub(decoded, target)), [0, 1]));
    }
    // Line 12: only the student's parameters are differentiated and stepped.
    const loss = A.weightedSum(terms);
    // this update's learning rate (opt.warmup; this.updates counts the updates before it, restored on resume)
    this.opt.opts.lr = learningRate(cfg.opt, this.updates + 1);
    const gradNorm = this.opt.apply(A.grad(loss, this.opt.params));
    const vals = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, (v as Var).value])) as Record<string, Tensor>;
    return { loss: loss.value, gradNorm, ...vals } as DistilMetrics;
  }

  counters(): DistillerCounters {
    return {
      updates: this.updates,
      actorRngOffset: this.actorRngOffset,
      noiseRngOffset: this.noiseRngOffset,
      startRng: this.startRng.save(),
      studentRssmRngOffset: this.student.rssm.rngOffset,
      teacherRssmRngOffset: this.teacher.wm.rssm.rngOffset,
    };
  }

  restoreCounters(c: DistillerCounters): void {
    this.updates = c.updates;
    this.actorRngOffset = c.actorRngOffset;
    this.noiseRngOffset = c.noiseRngOffset;
    this.startRng.restore(c.startRng);
    this.student.rssm.rngOffset = c.studentRssmRngOffset;
    this.teacher.wm.rssm.rngOffset = c.teacherRssmRngOffset;
  }

  /** The student and its optimiser, for one checkpoint (the teacher is not part of it: it is its run's). */
  parts(): A.CheckpointParts {
    return { modules: { student: this.student }, optimizers: { student: this.opt } };
  }

  /**
   * The stateRecon term's targets become the standardised state (s - mean) / std, per dimension (the run passes
   * the collected data's statistics): without them a dimension's weight in the term is its variance, and a
   * balanced pole's sin(angle) (std 0.14 in v3's cartpole data, the cart position's 0.57) would weigh ~6% of it.
   */
  setStateStats(mean: ArrayLike<number>, std: ArrayLike<number>): void {
    const n = this.teacher.wm.cfg.stateSize;
    if (mean.length !== n || std.length !== n) throw new Error(`Distiller.setStateStats: mean and std must have the state's ${n} entries, got ${mean.length} and ${std.length}`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(mean[i])) throw new Error(`Distiller.setStateStats: mean[${i}] must be finite, got ${mean[i]}`);
      if (!(Number.isFinite(std[i]) && std[i] > 0)) throw new Error(`Distiller.setStateStats: std[${i}] must be a finite number > 0, got ${std[i]}`);
    }
    this.#disposeStats();
    this.#stateStats = {
      mean: keep(tensor(this.device, Float32Array.from(mean), [1, 1, n])),
      std: keep(tensor(this.device, Float32Array.from(std), [1, 1, n])),
    };
  }

  #disposeStats(): void {
    this.#stateStats?.mean.dispose();
    this.#stateStats?.std.dispose();
    this.#stateStats = null;
  }

  /** Frees the optimiser state and the state statistics (the models are the caller's). */
  dispose(): void {
    this.opt.dispose();
    this.#disposeStats();
  }
}
