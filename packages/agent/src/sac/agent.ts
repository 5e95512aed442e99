import * as A from '@twist/autograd';
import { checkIsFirstValues } from '@twist/rssm';
import type { Var } from '@twist/autograd';
import * as K from '@twist/kernels';
import { cast, scope, tensor, type Device, type Tensor } from '@twist/kernels';
import { MAX_CONSECUTIVE_SKIPS } from '../agent.js';
import { SplitMix } from '../rng.js';
import type { SacBatch } from './batch.js';
import type { AdamSettings, SacConfig } from './config.js';
import { orthogonalInit } from './init.js';
import { actorLoss, criticLoss, tdTarget, temperatureLoss } from './losses.js';
import { SacActor, Temperature, TwinQ } from './networks.js';
import { polyakUpdate } from './polyak.js';

/** What the agent observes: the critics' state size, the actor's images, the action size. */
export interface SacObservation {
  stateSize: number;
  actionSize: number;
  imageSize: number;
  imageChannels: number;
}

/** Scalars of one update as device tensors (read with readMetrics when logging); actor terms on actor steps only. */
export interface SacMetrics {
  criticLoss: Tensor;
  q: Tensor;
  target: Tensor;
  criticGradNorm: Tensor;
  actorLoss?: Tensor;
  alphaLoss?: Tensor;
  alpha?: Tensor;
  /** -mean log pi(a~ | o): the policy's entropy estimate. */
  entropy?: Tensor;
  actorGradNorm?: Tensor;
}

export interface SacCounters {
  updates: number;
  rngOffset: number;
  augRng: string;
}

/**
 * Asymmetric SAC (Pinto et al. 2017's asymmetric actor-critic with DrQ's SAC, REFERENCE-FACTS section 4): the
 * actor pi(a | o) sees frame stacks of domain-randomised images through its own conv encoder; twin critics
 * Q1, Q2 (s, a) and their Polyak-averaged targets see the privileged state; the temperature alpha is learned
 * towards the entropy target -|A|.
 *
 * One update (DrQ `DRQAgent.update`, in its order):
 *  1. critics, every update: a' ~ pi(. | o') without gradients, y = tdTarget(r, c', Qbar(s', a'), log pi(a' | o'));
 *     L_Q = criticLoss(Q(s, a), y); Adam on the critics;
 *  2. actor and temperature, every `actorEvery` updates: a~ ~ pi(. | o) reparameterised, L_pi = actorLoss with the
 *     just-updated critics; Adam on the actor's parameters only (encoder and trunk: the actor loss is the only
 *     loss that trains the encoder); then L_alpha = temperatureLoss(log alpha, sg(log pi)); Adam on log alpha;
 *  3. targets, every `targetEvery` updates: Qbar <- tau Q + (1 - tau) Qbar.
 * No image augmentation inside the agent: the batch builder (batch.ts) shifts the stacks with `augRng`, which
 * lives here so a checkpoint carries it.
 */
export class SacAgent {
  readonly actor: SacActor;
  readonly critic: TwinQ;
  readonly criticTarget: TwinQ;
  readonly temperature: Temperature;
  readonly actorOpt: A.Adam;
  readonly criticOpt: A.Adam;
  readonly alphaOpt: A.Adam;
  /** Stops update() after MAX_CONSECUTIVE_SKIPS non-finite updates in a row (see SkipWatch). */
  readonly skipWatch: A.SkipWatch;
  readonly targetEntropy: number;
  /** Host RNG of the batch builder's random shifts. */
  readonly augRng: SplitMix;
  updates = 0;
  /** Philox offset of the policy's samples (updates and acting). */
  rngOffset = 0;
  readonly #seed: number;
  /** The frame stack of N acting environments: k tensors f32 [N, H, W, C], oldest first. */
  #frames: Tensor[] | null = null;

  constructor(
    readonly device: Device,
    readonly obs: SacObservation,
    readonly cfg: SacConfig,
    seed: number,
  ) {
    const ctx = { device, seed: seed + 7919 };
    this.#seed = seed + 104729;
    this.actor = new SacActor(ctx, cfg, obs, obs.actionSize);
    this.critic = new TwinQ(ctx, obs.stateSize, obs.actionSize, cfg.criticLayers, 'critic');
    this.criticTarget = new TwinQ(ctx, obs.stateSize, obs.actionSize, cfg.criticLayers, 'criticTarget');
    if (cfg.init === 'orthogonal') {
      orthogonalInit(this.actor, seed + 1);
      orthogonalInit(this.critic, seed + 2);
    }
    // DrQ: critic_target.load_state_dict(critic.state_dict())
    this.criticTarget.parameters().forEach((p, i) => K.copyInto(p.value, this.critic.parameters()[i].value));
    this.temperature = new Temperature(device, cfg.initTemperature);
    const adam = (o: AdamSettings) => ({ lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: 0, clip: 0 });
    this.actorOpt = new A.Adam(this.actor.parameters(), adam(cfg.actorOpt));
    this.criticOpt = new A.Adam(this.critic.parameters(), adam(cfg.criticOpt));
    this.alphaOpt = new A.Adam(this.temperature.parameters(), adam(cfg.alphaOpt));
    this.skipWatch = new A.SkipWatch({ actor: this.actorOpt, critic: this.criticOpt, temperature: this.alphaOpt }, MAX_CONSECUTIVE_SKIPS);
    this.targetEntropy = cfg.targetEntropy === 'auto' ? -obs.actionSize : cfg.targetEntropy;
    this.augRng = new SplitMix(seed + 15485863);
  }

  /** The actor's input shape of one observation: [H, W, 3k] frame stacks, or [S]. */
  get obsShape(): number[] {
    const { imageSize: H, imageChannels: C, stateSize } = this.obs;
    return this.cfg.actorInput === 'image' ? [H, H, C * this.cfg.frameStack] : [stateSize];
  }

  /** A fresh Philox key for `rows` sampled elements. */
  key(rows: number): K.RngKey {
    const key = { seed: this.#seed, offset: this.rngOffset };
    this.rngOffset += rows;
    return key;
  }

  /** The actor network's input: u8 images as pixels / 255 (DrQ), states as they are. */
  preprocess(obs: Tensor): Var {
    return A.constant(obs.dtype === 'u8' ? cast(obs, 'f32', 1 / 255) : obs);
  }

  /** One SAC update on a batch of transitions. Records only; backpressure keeps at most one batch unfinished. */
  async update(batch: SacBatch): Promise<SacMetrics> {
    const metrics = scope(() => this.#record(batch));
    if (this.updates % this.cfg.targetEvery === 0) polyakUpdate(this.criticTarget, this.critic, this.cfg.tau);
    this.updates++;
    await this.device.throttle(1);
    try {
      await this.skipWatch.check(this.updates, metrics as unknown as Record<string, Tensor | undefined>);
    } catch (e) {
      for (const t of Object.values(metrics)) (t as Tensor | undefined)?.dispose();
      throw e;
    }
    return metrics;
  }

  #record(b: SacBatch): SacMetrics {
    const B = b.state.shape[0];
    const Aa = this.obs.actionSize;
    const state = A.constant(b.state);
    const alphaNow = A.noGrad(() => A.constant(K.exp(this.temperature.logAlpha.value)));

    // 1. critics
    const y = A.noGrad(() => {
      const next = this.actor.dist(this.preprocess(b.nextObs)).sample(this.key(B * Aa));
      const [q1n, q2n] = this.criticTarget.forward(A.constant(b.nextState), next.action);
      return tdTarget(A.constant(b.reward), A.constant(b.cont), q1n, q2n, next.logProb, alphaNow, this.cfg.discount);
    });
    const [q1, q2] = this.critic.forward(state, A.constant(b.action));
    const lq = criticLoss(q1, q2, y);
    const criticGradNorm = this.criticOpt.apply(A.grad(lq, this.criticOpt.params));
    const m: SacMetrics = A.noGrad(() => ({ criticLoss: lq.value, q: A.mean(q1).value, target: A.mean(y).value, criticGradNorm }));
    if (this.updates % this.cfg.actorEvery !== 0) return m;

    // 2. actor (through the critics just stepped, which get no step from this loss), then the temperature
    const pi = this.actor.dist(this.preprocess(b.obs)).sample(this.key(B * Aa));
    const [qa1, qa2] = this.critic.forward(state, pi.action);
    const lpi = actorLoss(pi.logProb, qa1, qa2, alphaNow);
    const actorGradNorm = this.actorOpt.apply(A.grad(lpi, this.actorOpt.params));
    const la = temperatureLoss(this.temperature.logAlpha, pi.logProb, this.targetEntropy);
    this.alphaOpt.apply(A.grad(la, this.alphaOpt.params));
    return A.noGrad(() => ({
      ...m,
      actorLoss: lpi.value,
      alphaLoss: la.value,
      alpha: alphaNow.value,
      entropy: A.neg(A.mean(pi.logProb)).value,
      actorGradNorm,
    }));
  }

  /** Forgets the frame stacks (a new batch of episodes begins, or the number of envs changes). */
  resetPolicy(): void {
    for (const t of this.#frames ?? []) t.dispose();
    this.#frames = null;
  }

  /**
   * One acting step for N environments: the newest frame joins each env's stack (where isFirst, it fills the
   * whole stack, as DrQ's FrameStack at reset), then a sample of pi (training) or tanh(mu) (evaluation). obs:
   * images u8 [N, H, W, C] or states f32 [N, S]. Reads back the actions only.
   */
  async act(obs: Tensor, isFirst: ArrayLike<number>, mode: 'sample' | 'mode'): Promise<Float32Array> {
    const N = obs.shape[0];
    const Aa = this.obs.actionSize;
    checkIsFirstValues('SacAgent.act: isFirst', isFirst, N, String(N), 'one per env');
    const image = this.cfg.actorInput === 'image';
    if (image !== (obs.dtype === 'u8')) throw new Error(`SacAgent.act: the actor sees ${this.cfg.actorInput === 'image' ? 'u8 images [N, H, W, C]' : 'f32 states [N, S]'}, got a ${obs.dtype} tensor of shape [${obs.shape.join(',')}]`);
    if (this.#frames && this.#frames[0].shape[0] !== N) this.resetPolicy();
    const prev = this.#frames;
    const { action, frames } = scope(() =>
      A.noGrad(() => {
        let x: Var;
        let frames: Tensor[] | null = null;
        if (image) {
          const cur = cast(obs, 'f32', 1 / 255);
          const k = this.cfg.frameStack;
          if (!prev) frames = Array.from({ length: k }, (_, j) => (j === k - 1 ? cur : K.copy(cur)));
          else {
            // new[j] = old[j + 1] where the episode goes on, cur where it starts (isFirst 1); new[k - 1] = cur
            const f = tensor(this.device, Float32Array.from(isFirst), [N, 1, 1, 1]);
            const stay = K.affine(f, -1, 1);
            frames = [...prev.slice(1).map((old) => K.add(K.mul(old, stay), K.mul(cur, f))), cur];
          }
          x = A.constant(k === 1 ? frames[0] : K.concat(frames, -1));
        } else x = A.constant(obs);
        const dist = this.actor.dist(x);
        return { action: (mode === 'mode' ? dist.mode() : dist.sample(this.key(N * Aa)).action).value, frames };
      }),
    );
    for (const t of prev ?? []) t.dispose();
    this.#frames = frames;
    try {
      return (await action.toArray()) as Float32Array;
    } finally {
      action.dispose();
    }
  }

  /** Modules and optimisers by name, for one checkpoint of the whole agent. */
  parts(): A.CheckpointParts {
    return {
      modules: { actor: this.actor, critic: this.critic, criticTarget: this.criticTarget, temperature: this.temperature },
      optimizers: { actor: this.actorOpt, critic: this.criticOpt, alpha: this.alphaOpt },
    };
  }

  /** Nothing is read back asynchronously (the Dreamer agent's return scale is); here for the loop's interface. */
  settle(): Promise<void> {
    return Promise.resolve();
  }

  counters(): SacCounters {
    return { updates: this.updates, rngOffset: this.rngOffset, augRng: this.augRng.save() };
  }

  restoreCounters(c: Partial<SacCounters>): void {
    if (typeof c?.updates !== 'number' || typeof c.rngOffset !== 'number' || typeof c.augRng !== 'string') {
      throw new Error(`SacAgent.restoreCounters: expected { updates, rngOffset, augRng } from a SAC checkpoint, got ${JSON.stringify(c)}`);
    }
    this.updates = c.updates;
    this.rngOffset = c.rngOffset;
    this.augRng.restore(c.augRng);
  }

  dispose(): void {
    this.resetPolicy();
    for (const m of [this.actor, this.critic, this.criticTarget, this.temperature]) m.dispose();
    for (const o of [this.actorOpt, this.criticOpt, this.alphaOpt]) o.dispose();
  }
}
