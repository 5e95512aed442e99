import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { keep, scope, tensor, type Device, type Tensor } from '@twist/kernels';
import { checkIsFirstValues, WorldModel, WorldModelTrainer, type Batch, type WorldModelConfig, type WorldModelMetrics } from '@twist/rssm';
import { Behaviour, type BehaviourMetrics } from './behaviour.js';
import type { AgentConfig } from './config.js';

/** The latent filter state of N acting environments: h, z and the previous action. */
interface PolicyState {
  deter: Tensor;
  stoch: Tensor;
  action: Tensor;
}

export type UpdateMetrics = WorldModelMetrics & Partial<BehaviourMetrics>;

/** Consecutive skipped (non-finite) steps of any of the agent's optimisers after which update() stops training. */
export const MAX_CONSECUTIVE_SKIPS = 10;

/**
 * A Dreamer agent: world model (state teacher or image model), its trainer, and behaviour learning. Every
 * Dreamer variant of the paper (Oracle, Dreamer w/ and w/o DR, State Recon.) is this class with another
 * world-model config; what differs is the data the loop feeds it.
 */
export class DreamerAgent {
  readonly wm: WorldModel;
  readonly wmTrainer: WorldModelTrainer;
  readonly behaviour: Behaviour;
  /** Throws from update() once an optimiser has skipped MAX_CONSECUTIVE_SKIPS steps in a row (see SkipWatch). */
  readonly skipWatch: A.SkipWatch;
  #policy: PolicyState | null = null;

  constructor(
    readonly device: Device,
    readonly wmCfg: WorldModelConfig,
    readonly cfg: AgentConfig,
  ) {
    K.checkDevice('DreamerAgent', device);
    this.wm = new WorldModel(device, wmCfg);
    this.wmTrainer = new WorldModelTrainer(this.wm);
    this.behaviour = new Behaviour(device, cfg.behaviour, this.wm.rssm.featureSize, wmCfg.actionSize, wmCfg.seed);
    this.skipWatch = new A.SkipWatch({ 'world-model': this.wmTrainer.opt, actor: this.behaviour.actorOpt, critic: this.behaviour.criticOpt }, MAX_CONSECUTIVE_SKIPS);
  }

  /**
   * One update: a world-model step on the batch (Eq. 2), then an actor-critic step imagined from its
   * posterior states (detached), or cfg.behaviour.repeats of them. Records only; backpressure keeps at most one batch unfinished.
   */
  async update(batch: Batch): Promise<UpdateMetrics> {
    // World-model warm-up (cfg.behaviour.warmup, 0 in V2): the actor and critic wait until the model has had
    // that many updates, so an early, underfit model cannot drive tanh(mean) into saturation for good.
    const learnBehaviour = this.wmTrainer.opt.step >= this.cfg.behaviour.warmup;
    const { metrics, latents } = this.wmTrainer.record(batch, { keepLatents: learnBehaviour });
    if (!learnBehaviour) {
      await this.device.throttle(1);
      await this.#checkSkips(metrics);
      return metrics;
    }
    // cfg.behaviour.repeats actor-critic updates from the same posterior states (1 in V2); the metrics are the last's.
    let bm!: BehaviourMetrics;
    for (let r = 0; r < (this.cfg.behaviour.repeats ?? 1); r++) {
      if (r > 0) {
        for (const t of Object.values(bm)) (t as Tensor | undefined)?.dispose();
        await this.device.throttle(1);
      }
      await this.behaviour.settle();
      bm = this.behaviour.update(this.wm, latents!);
    }
    latents!.deter.dispose();
    latents!.stoch.dispose();
    await this.device.throttle(1);
    const all = { ...metrics, ...bm };
    await this.#checkSkips(all);
    return all;
  }

  /** Every MAX_CONSECUTIVE_SKIPS updates, one read of the optimisers' counters; throws when training went non-finite. */
  async #checkSkips(m: UpdateMetrics): Promise<void> {
    try {
      await this.skipWatch.check(this.wmTrainer.opt.step, m as unknown as Record<string, Tensor | undefined>);
    } catch (e) {
      for (const t of Object.values(m)) (t as Tensor | undefined)?.dispose();
      throw e;
    }
  }

  /** Forgets the filter state (a new batch of episodes begins, or the number of envs changes). */
  resetPolicy(): void {
    if (this.#policy) for (const t of Object.values(this.#policy)) t.dispose();
    this.#policy = null;
  }

  /**
   * One acting step for N environments: the posterior filter (obs step of the RSSM with the previous state
   * and action, both reset to zero where isFirst) on this observation, then the actor: a sample while
   * training (V2: expl_noise 0, the policy's own noise), the mode at evaluation. obs: state f32 [N, S] or
   * images u8 [N, H, W, C]. Reads back the actions (the environments need them) and nothing else.
   */
  async act(obs: Tensor, isFirst: ArrayLike<number>, mode: 'sample' | 'mode'): Promise<Float32Array> {
    const N = obs.shape[0];
    const { deter: D, stoch: S, classes: C } = this.wm.rssm.cfg;
    const Aa = this.wmCfg.actionSize;
    checkIsFirstValues('DreamerAgent.act: isFirst', isFirst, N, String(N), 'one per env');
    if (this.#policy && this.#policy.deter.shape[0] !== N) this.resetPolicy();
    const prev =
      this.#policy ??
      ({ deter: keep(K.zeros(this.device, [N, D])), stoch: keep(K.zeros(this.device, [N, S, C])), action: keep(K.zeros(this.device, [N, Aa])) } as PolicyState);
    const next = scope(() =>
      A.noGrad(() => {
        const keepMask = A.constant(tensor(this.device, Float32Array.from(isFirst, (f) => 1 - f), [N, 1]));
        const state = { deter: A.mul(A.constant(prev.deter), keepMask), stoch: A.mul(A.constant(prev.stoch), A.reshape(keepMask, [N, 1, 1])) };
        const a = A.mul(A.constant(prev.action), keepMask);
        const embed = this.wm.encoder.forward(this.wm.preprocess(obs));
        const { post } = this.wm.rssm.obsStep(state, a, embed);
        const dist = this.behaviour.dist(this.wm.rssm.feature(post));
        const action = mode === 'mode' ? dist.mode() : dist.sample(this.behaviour.key(N * Aa));
        return { deter: post.deter.value, stoch: post.stoch.value, action: action.value };
      }),
    );
    for (const t of Object.values(prev)) t.dispose();
    this.#policy = { deter: keep(next.deter), stoch: keep(next.stoch), action: keep(next.action) };
    return (await this.#policy.action.toArray()) as Float32Array;
  }

  /**
   * The environments executed these actions [N x A] instead of the ones act() returned (e.g. collection with
   * exploration noise): the next filter step conditions on them, as the replay and the world model's training do.
   */
  executed(actions: Float32Array): void {
    const p = this.#policy;
    if (!p) throw new Error('DreamerAgent.executed: call act() first (there is no filter state to correct)');
    const [N, Aa] = p.action.shape;
    if (actions.length !== N * Aa) throw new Error(`DreamerAgent.executed: actions must have length ${N} x ${Aa} = ${N * Aa}, got ${actions.length}`);
    p.action.dispose();
    p.action = keep(tensor(this.device, Float32Array.from(actions), [N, Aa]));
  }

  /** Modules and optimisers by name, for one checkpoint of the whole agent. */
  parts(): A.CheckpointParts {
    const b = this.behaviour.parts();
    return { modules: { model: this.wm, ...b.modules }, optimizers: { model: this.wmTrainer.opt, ...b.optimizers } };
  }

  /** Finishes host-side bookkeeping of the last update (the return scale); call before counters(). */
  settle(): Promise<void> {
    return this.behaviour.settle();
  }

  counters(): Record<string, unknown> {
    return { rssmRngOffset: this.wm.rssm.rngOffset, behaviour: this.behaviour.counters() };
  }

  restoreCounters(c: Record<string, any>): void {
    this.wm.rssm.rngOffset = Number(c.rssmRngOffset ?? 0);
    this.behaviour.restoreCounters(c.behaviour);
  }

  dispose(): void {
    this.resetPolicy();
    this.wm.dispose();
    this.wmTrainer.dispose();
    this.behaviour.dispose();
  }
}
