import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { observeScanSupported, zeros, type Device, type Tensor } from '@twist/kernels';
import type { RSSMConfig } from './config.js';

/** A latent state: deterministic h [N, deter] and stochastic one-hot z [N, stoch, classes] (with their logits). */
export interface LatentState {
  deter: Var;
  stoch: Var;
  logits: Var;
}

/** Latents over a sequence, time on axis 1: [B, T, ...]. */
export interface SequenceLatents {
  deter: Var;
  stoch: Var;
  postLogits: Var;
  priorLogits: Var;
}

/** Imagined latents, time on axis 0: [H, N, ...]; actions[i] is the action taken in state i (leading to i+1). */
export interface ImaginedLatents {
  deter: Var;
  stoch: Var;
  priorLogits: Var;
  actions: Var;
}

export type Policy = (feature: Var, step: number) => Var;

/** Optional hints for RSSM.observe; none of them changes a result. */
export interface ObserveOptions {
  /**
   * A host copy of isFirst ([B, T] row-major, the same values as the tensor). Steps at which no sequence
   * starts skip the reset masks, which would multiply by 1 there: bit-identical results, fewer dispatches.
   * Data sampled as windows inside one episode each (isFirst only at t = 0) skips them at every step.
   */
  isFirstHost?: ArrayLike<number>;
  /** Overrides RSSM.observePath for this call (see there). */
  path?: ObservePath;
}

/**
 * How RSSM.observe runs its recurrence: 'fused', one scan op over all steps (A.observeScan: one dispatch forward,
 * one plus a few whole-sequence matmuls backward); 'unfused', the per-step ops (linear, gruCell, linear,
 * categoricalSample per step), kept as the tested reference. The same values within f32 rounding, the same samples.
 */
export type ObservePath = 'fused' | 'unfused';

/**
 * Checks host isFirst values: exactly `n` entries, each 0 or 1 (a 0.5 would half-reset the state silently).
 * `what` names the field in the message. The device tensor's values are not read (that would be a readback per
 * step); pass the host copy where one exists (the agent's loop does), so its values are checked here.
 */
export function checkIsFirstValues(what: string, host: ArrayLike<number>, n: number, count = String(n), layout = ''): void {
  if (host === null || typeof host !== 'object' || typeof host.length !== 'number') throw new Error(`${what} must be an array of ${n} numbers (0 or 1), got ${typeof host === 'string' ? `a string` : String(host)}`);
  if (host.length !== n) throw new Error(`${what} must have ${count} entries${layout ? ` (${layout})` : ''}, got ${host.length}`);
  for (let i = 0; i < n; i++) {
    const v = host[i];
    if (v !== 0 && v !== 1) throw new Error(`${what}[${i}] must be 0 or 1 (1 where an episode starts), got ${typeof v === 'number' ? String(v) : typeof v}`);
  }
}

/** Per time step: may a sequence start there? All true without a host copy of isFirst. */
function startsPerStep(host: ArrayLike<number> | undefined, B: number, T: number): boolean[] {
  if (!host) return new Array<boolean>(T).fill(true);
  checkIsFirstValues('RSSM.observe: isFirstHost', host, B * T, `B * T = ${B * T}`, '[B, T] row-major');
  const out = new Array<boolean>(T).fill(false);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (host[b * T + t] !== 0) out[t] = true;
  return out;
}

/**
 * DreamerV2's recurrent state-space model (paper Eq. 1):
 *   sequence model      h_t = GRU(h_{t-1}, ELU(W_in [z_{t-1}, a_{t-1}]))
 *   dynamics predictor  p(z_t | h_t)       logits = W_prior ELU(W_out h_t)
 *   representation      q(z_t | h_t, x_t)  logits = W_post ELU(W_obs [h_t, embed_t])
 * with z sampled by the straight-through categorical kernel. `observe` resets h, z and a to zero where an
 * episode starts, as DreamerV2 does by masking the previous state.
 */
export class RSSM extends A.Module {
  readonly imgIn: A.Linear;
  readonly gru: A.GRUCell;
  readonly imgOut: A.Linear;
  readonly priorHead: A.Linear;
  readonly obsOut: A.Linear;
  readonly postHead: A.Linear;
  /** Optional action embedding (cfg.actionEmbed > 0): act(LN(W a + b)). */
  readonly actEmbed: A.Linear | null = null;
  readonly actNorm: A.LayerNorm | null = null;
  /** Philox counter: advances with every sampled row so each draw is fresh and a seed reproduces a run. */
  rngOffset = 0;
  /** observe's default path (ObservePath); 'fused' unless set. */
  observePath: ObservePath = 'fused';
  /**
   * imagine's default path with given actions (a policy always runs per step): 'unfused' unless set. The fused
   * scan is correct (tested against the per-step loop) but not faster where it was measured: on lavapipe (2
   * cores, quick sizes, H = 15, forward + backward) 101 vs 97 ms at 16 starts, 316 vs 230 at 64, 1112 vs 650 at
   * 256 - its workgroups of 4 rows each load the whole weights every step, where the per-step matmuls over all
   * starts are GEMMs. Imagination starts are many (Eq. 4: 256 at the quick preset), unlike observe's B = 16
   * rows, so the per-step ops stay the default until a device where the scan wins is measured
   * (packages/distil/probes/imagine-paths.mjs measures both).
   */
  imaginePath: ObservePath = 'unfused';

  constructor(
    readonly ctx: A.InitContext,
    readonly cfg: RSSMConfig,
    readonly actionSize: number,
    readonly embedSize: number,
  ) {
    super();
    const { deter, hidden, stoch, classes } = cfg;
    const U = cfg.actionEmbed ?? 0;
    if (U > 0) {
      this.actEmbed = this.child('actEmbed', new A.Linear(ctx, actionSize, U, { name: 'rssm.actEmbed' }));
      this.actNorm = this.child('actNorm', new A.LayerNorm(ctx, U));
    }
    this.imgIn = this.child('imgIn', new A.Linear(ctx, stoch * classes + (U > 0 ? U : actionSize), hidden, { name: 'rssm.imgIn' }));
    this.gru = this.child('gru', new A.GRUCell(ctx, hidden, deter, { name: 'rssm.gru', updateBias: -1 }));
    this.imgOut = this.child('imgOut', new A.Linear(ctx, deter, hidden, { name: 'rssm.imgOut' }));
    this.priorHead = this.child('priorHead', new A.Linear(ctx, hidden, stoch * classes, { name: 'rssm.priorHead' }));
    this.obsOut = this.child('obsOut', new A.Linear(ctx, deter + embedSize, hidden, { name: 'rssm.obsOut' }));
    this.postHead = this.child('postHead', new A.Linear(ctx, hidden, stoch * classes, { name: 'rssm.postHead' }));
  }

  get featureSize(): number {
    return this.cfg.deter + this.cfg.stoch * this.cfg.classes;
  }

  /** The all-zeros start state for n sequences. */
  initial(device: Device, n: number): LatentState {
    const { deter, stoch, classes } = this.cfg;
    return {
      deter: A.constant(zeros(device, [n, deter])),
      stoch: A.constant(zeros(device, [n, stoch, classes])),
      logits: A.constant(zeros(device, [n, stoch, classes])),
    };
  }

  /** Dreamer's feature: [h, flatten(z)] -> [N, deter + stoch * classes]. */
  feature(s: { deter: Var; stoch: Var }): Var {
    const lead = s.deter.shape.slice(0, -1);
    return A.concat([s.deter, A.reshape(s.stoch, [...lead, this.cfg.stoch * this.cfg.classes])], -1);
  }

  /** The action as img_in sees it: raw, or act(LN(W a + b)) with cfg.actionEmbed. Any leading dims. */
  actionInput(a: Var): Var {
    if (!this.actEmbed) return a;
    return this.#act(this.actNorm!.forward(this.actEmbed.forward(a)));
  }

  #act(x: Var): Var {
    return A.activation(x, this.cfg.act);
  }

  #sample(logits: Var): Var {
    const rows = logits.size / this.cfg.classes;
    const key = { seed: this.ctx.seed, offset: this.rngOffset };
    this.rngOffset += rows;
    return A.categoricalSample(logits, key, this.cfg.unimix);
  }

  /** Prior step: h' = GRU(h, ELU(W [z, a])), z' ~ p(z' | h'). */
  imgStep(prev: { deter: Var; stoch: Var }, action: Var): LatentState {
    const { stoch, classes } = this.cfg;
    const n = prev.deter.shape[0];
    // Linear + activation as one fused op each (the same values as activation(forward(x))).
    const x = this.imgIn.forwardAct(A.concat([A.reshape(prev.stoch, [n, stoch * classes]), this.actionInput(action)], -1), this.cfg.act);
    const deter = this.gru.forward(x, prev.deter);
    const logits = A.reshape(this.priorHead.forward(this.imgOut.forwardAct(deter, this.cfg.act)), [n, stoch, classes]);
    return { deter, stoch: this.#sample(logits), logits };
  }

  /** Posterior step: the prior step, then z ~ q(z | h', embed). Returns both. */
  obsStep(prev: { deter: Var; stoch: Var }, action: Var, embed: Var): { post: LatentState; prior: LatentState } {
    const { stoch, classes } = this.cfg;
    const n = prev.deter.shape[0];
    const prior = this.imgStep(prev, action);
    const x = this.obsOut.forwardAct(A.concat([prior.deter, embed], -1), this.cfg.act);
    const logits = A.reshape(this.postHead.forward(x), [n, stoch, classes]);
    return { post: { deter: prior.deter, stoch: this.#sample(logits), logits }, prior };
  }

  /**
   * Runs the posterior over sequences. embeds [B, T, E]; actions [B, T, A] where actions[:, t] is the action
   * that led to observation t (zero at an episode's first step); isFirst [B, T] is 1 at episode starts, where
   * the previous state and action are reset to zero. `start` continues from a given state (default zeros).
   * `opts.isFirstHost` (see ObserveOptions) only saves work.
   */
  observe(embeds: Var, actions: Var, isFirst: Tensor, start?: { deter: Var; stoch: Var }, opts: ObserveOptions = {}): SequenceLatents {
    const [B, T] = embeds.shape;
    const check = (name: string, t: { shape: readonly number[] }, want: number[]) => {
      if (t.shape.length !== want.length || t.shape.some((d, i) => want[i] >= 0 && d !== want[i])) {
        throw new Error(`RSSM.observe: ${name} must have shape [${want.map((d) => (d < 0 ? '*' : d)).join(',')}], got [${t.shape.join(',')}]`);
      }
    };
    check('embeds', embeds, [B, T, this.embedSize]);
    check('actions', actions, [B, T, this.actionSize]);
    check('isFirst', isFirst, [B, T]);
    const starts = startsPerStep(opts.isFirstHost, B, T);
    const { deter: D, stoch: S, classes: C } = this.cfg;
    const Z = S * C;
    const NA = this.actEmbed ? this.cfg.actionEmbed : this.actionSize; // the width of img_in's action rows
    // The same computation as obsStep at every step, rearranged to record fewer, larger ops (equal within f32
    // rounding; the parameters are the same tensors):
    //  - each input layer's weight is split into row blocks, W [x, y] = x W_x + y W_y, so the parts that do
    //    not depend on the recurrence (embeds into obsOut, actions into imgIn, with the biases) are one matmul
    //    over all B * T rows before the loop;
    //  - the prior head (imgOut, priorHead) is not in the recurrence either: one pass over the stacked h after
    //    the loop, and its straight-through sample, unused here, is not drawn (its RNG rows are skipped, so the
    //    posterior draws the same samples as obsStep would);
    //  - the posterior logits are recomputed from the stacked h after the loop (see the end).
    const rows = (w: Var, from: number, n: number) => A.slice(w, [from, 0], [n, w.shape[1]]);
    const wz = rows(this.imgIn.weight, 0, Z);
    const wa = rows(this.imgIn.weight, Z, NA);
    const wh = rows(this.obsOut.weight, 0, D);
    const we = rows(this.obsOut.weight, D, this.embedSize);
    // keep = 1 - isFirst, broadcast over features. Where no sequence starts (known from the host copy) a mask
    // would multiply by 1: it is skipped, leaving an identity view (no dispatch) in its place so the graph has
    // the same shape and the backward sums gradients in the same order (bit-identical gradients too).
    const anyStart = starts.some(Boolean);
    const keepAll = anyStart ? A.affine(A.constant(isFirst), -1, 1) : null;
    const masked = (x: Var, k: Var | null) => (k ? A.mul(x, k) : A.reshape(x, x.shape));
    // the masked action (zero at a reset, as obsStep sees it), embedded when cfg.actionEmbed > 0
    const acts = this.actionInput(masked(actions, keepAll && A.reshape(keepAll, [B, T, 1])));
    const perStep = (x: Var, w: Var, bias: Var | null) => A.reshape(A.matmul(A.reshape(x, [B * T, x.shape[2]]), w, { bias }), [B, T, w.shape[1]]);
    const actIn = perStep(acts, wa, this.imgIn.bias);
    const embIn = perStep(embeds, we, this.obsOut.bias);
    const H = this.cfg.hidden;
    const act = this.cfg.act;
    /** act(y W + x[:, t]) for x [B, T, H], as one fused op (linear with an addend box): the same values as act(sliceAdd(matmul(y, W), x)). */
    const stepIn = (y: Var, w: Var, x: Var, t: number) => A.linear(y, w, { addend: { x, begin: [0, t, 0] }, act });
    const path = opts.path ?? this.observePath;
    if (path !== 'fused' && path !== 'unfused') throw new Error(`RSSM.observe: path must be 'fused' or 'unfused', got ${String(path)}`);
    // (the fused kernels bind 14 storage buffers; an adapter allowing fewer runs the per-step ops)
    if (path === 'fused' && observeScanSupported(embeds.device)) {
      // The whole loop as one op: the same masks, layers and samples (step t's posterior rows at the offset
      // obsStep would use: after the prior's B * S rows of that step, which are skipped).
      const scan = A.observeScan(
        {
          actIn,
          embIn,
          isFirst: A.constant(isFirst),
          wz,
          wx: this.gru.wx,
          wh: this.gru.wh,
          gamma: this.gru.gamma,
          beta: this.gru.beta,
          wo: wh,
          wp: this.postHead.weight,
          bp: this.postHead.bias!,
          h0: start?.deter ?? null,
          z0: start?.stoch ?? null,
        },
        this.#scanOptions(this.rngOffset + B * S, 2 * B * S),
      );
      this.rngOffset += 2 * B * S * T;
      return { ...this.#heads(scan.deter, wh, embIn), stoch: scan.stoch };
    }
    let state: { deter: Var; stoch: Var } = start ?? this.initial(embeds.device, B);
    const deters: Var[] = [];
    const stochs: Var[] = [];
    for (let t = 0; t < T; t++) {
      // The zero start state is zero whatever the mask.
      const zeroState = t === 0 && !start;
      const keep = starts[t] && !zeroState ? A.reshape(A.slice(keepAll!, [0, t], [B, 1]), [B, 1]) : null;
      const prev = {
        deter: masked(state.deter, keep),
        stoch: masked(state.stoch, keep && A.reshape(keep, [B, 1, 1])),
      };
      // Prior step: h' = GRU(h, act(z W_z + a W_a + b)); z = 0 at the zero start contributes nothing.
      const xIn = zeroState ? this.#act(A.reshape(A.slice(actIn, [0, 0, 0], [B, 1, H]), [B, H])) : stepIn(A.reshape(prev.stoch, [B, Z]), wz, actIn, t);
      const deter = this.gru.forward(xIn, prev.deter);
      this.rngOffset += B * S; // the prior's sample rows, as obsStep draws them
      // Posterior: z ~ q(z | h', e), logits = W_post act(h' W_h + e W_e + b).
      const x = stepIn(deter, wh, embIn, t);
      const logits = A.reshape(this.postHead.forward(x), [B, S, C]);
      const stoch = this.#sample(logits);
      deters.push(deter);
      stochs.push(stoch);
      state = { deter, stoch };
    }
    return { ...this.#heads(A.stack(deters, 1), wh, embIn), stoch: A.stack(stochs, 1) };
  }

  /**
   * The prior and posterior logits over all B * T rows of the stacked h [B, T, D], one pass each after the loop.
   * The posterior logits are those of the loop recomputed (the same values up to f32 rounding), so the losses'
   * gradients reach the posterior layers as whole-sequence matmuls and the per-step logits carry only their
   * samples' straight-through gradient: cheaper than stacking them.
   */
  #heads(deter: Var, wh: Var, embIn: Var): { deter: Var; priorLogits: Var; postLogits: Var } {
    const [B, T, D] = deter.shape;
    const { stoch: S, classes: C, hidden: H, act } = this.cfg;
    const priorLogits = A.reshape(this.priorHead.forward(this.imgOut.forwardAct(deter, act)), [B, T, S, C]);
    const postIn = A.linear(A.reshape(deter, [B * T, D]), wh, { addend: { x: A.reshape(embIn, [B * T, H]), begin: [0, 0] }, act });
    const postLogits = A.reshape(this.postHead.forward(postIn), [B, T, S, C]);
    return { deter, priorLogits, postLogits };
  }

  /**
   * Imagines `horizon` prior steps from start states [N, ...]. Actions come from a policy of the feature
   * (actor-critic learning, TWIST's teacher rollouts) or are given as [horizon, N, A] (replaying the teacher's
   * actions in the student, paper Eq. 4). Returns the visited states 1..horizon, time on axis 0.
   */
  imagine(start: { deter: Var; stoch: Var }, policyOrActions: Policy | Var, horizon: number, opts: { path?: ObservePath } = {}): ImaginedLatents {
    if (!Number.isInteger(horizon) || horizon <= 0) throw new Error(`RSSM.imagine: horizon must be a positive integer, got ${horizon}`);
    const n = start.deter.shape[0];
    const path = opts.path ?? this.imaginePath;
    if (path !== 'fused' && path !== 'unfused') throw new Error(`RSSM.imagine: path must be 'fused' or 'unfused', got ${String(path)}`);
    if (!(typeof policyOrActions === 'function')) {
      const s = policyOrActions.shape;
      if (s.length !== 3 || s[0] < horizon || s[1] !== n || s[2] !== this.actionSize) {
        throw new Error(`RSSM.imagine: actions must have shape [${horizon},${n},${this.actionSize}], got [${s.join(',')}]`);
      }
      if (path === 'fused' && observeScanSupported(start.deter.device)) return this.#imagineReplay(start, policyOrActions, horizon);
    }
    let state: { deter: Var; stoch: Var } = start;
    const deters: Var[] = [];
    const stochs: Var[] = [];
    const logits: Var[] = [];
    const acts: Var[] = [];
    for (let i = 0; i < horizon; i++) {
      const a =
        typeof policyOrActions === 'function'
          ? policyOrActions(this.feature(state), i)
          : A.reshape(A.slice(policyOrActions, [i, 0, 0], [1, n, this.actionSize]), [n, this.actionSize]);
      const next = this.imgStep(state, a);
      deters.push(next.deter);
      stochs.push(next.stoch);
      logits.push(next.logits);
      acts.push(a);
      state = next;
    }
    return { deter: A.stack(deters, 0), stoch: A.stack(stochs, 0), priorLogits: A.stack(logits, 0), actions: A.stack(acts, 0) };
  }

  /** A.observeScan's options for this RSSM: its sizes, activation, unimix and GRU constants; step t samples at offset + t offsetStep. */
  #scanOptions(offset: number, offsetStep: number): A.ObserveScanOptions {
    const { stoch, classes, act, unimix } = this.cfg;
    return { stoch, classes, act, unimix, key: { seed: this.ctx.seed, offset }, offsetStep, updateBias: this.gru.opts.updateBias ?? -1, eps: this.gru.opts.eps ?? 1e-3 };
  }

  /**
   * imagine with given actions (Eq. 4's replay of the teacher's actions in the student) as one scan op: the
   * prior recurrence is the posterior scan of observe with the prior head in the posterior head's place -
   * h' = GRU(h, act(z W_z + a W_a + b_in)), logits = W_prior act(h' W_out + b_out) + b_prior, z' sampled from
   * them - so A.observeScan runs it (one dispatch forward, one plus a few whole-sequence matmuls backward)
   * with EMB = b_out at every step, WO = imgOut's weight, WP / BP = the prior head's, no resets (isFirst 0)
   * and the start state as H0 / Z0. Step i's sample rows are imgStep's (offset rngOffset + i n S), so the
   * samples are those of the per-step path; the prior logits are recomputed after the scan from the stacked
   * h' (whole-sequence matmuls; the in-scan logits carry only their samples' straight-through gradient), as
   * observe does for the posterior's. The same values as the per-step path within f32 rounding.
   */
  #imagineReplay(start: { deter: Var; stoch: Var }, actions: Var, horizon: number): ImaginedLatents {
    const n = start.deter.shape[0];
    const { deter: D, stoch: S, classes: C, hidden: H, act } = this.cfg;
    const Z = S * C;
    const NA = this.actEmbed ? this.cfg.actionEmbed : this.actionSize;
    const dev = start.deter.device;
    const given = actions.shape[0] === horizon ? actions : A.slice(actions, [0, 0, 0], [horizon, n, this.actionSize]);
    const aNT = A.permute(given, [1, 0, 2]); // [n, horizon, A]: the scan's [B, T] layout
    const rows = (w: Var, from: number, k: number) => A.slice(w, [from, 0], [k, w.shape[1]]);
    const wz = rows(this.imgIn.weight, 0, Z);
    const wa = rows(this.imgIn.weight, Z, NA);
    const actIn = A.reshape(A.matmul(A.reshape(this.actionInput(aNT), [n * horizon, NA]), wa, { bias: this.imgIn.bias }), [n, horizon, H]);
    const embIn = A.add(A.constant(zeros(dev, [n, horizon, H])), A.reshape(this.imgOut.bias!, [1, 1, H]));
    const scan = A.observeScan(
      {
        actIn,
        embIn,
        isFirst: A.constant(zeros(dev, [n, horizon])),
        wz,
        wx: this.gru.wx,
        wh: this.gru.wh,
        gamma: this.gru.gamma,
        beta: this.gru.beta,
        wo: this.imgOut.weight,
        wp: this.priorHead.weight,
        bp: this.priorHead.bias!,
        h0: start.deter,
        z0: start.stoch,
      },
      this.#scanOptions(this.rngOffset, n * S),
    );
    this.rngOffset += n * S * horizon;
    const priorLogits = A.reshape(this.priorHead.forward(this.imgOut.forwardAct(scan.deter, act)), [n, horizon, S, C]);
    return {
      deter: A.permute(scan.deter, [1, 0, 2]),
      stoch: A.permute(scan.stoch, [1, 0, 2, 3]),
      priorLogits: A.permute(priorLogits, [1, 0, 2, 3]),
      actions: given,
    };
  }
}
