import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import * as K from '@twist/kernels';
import { keep, scope, tensor, type Device, type Tensor } from '@twist/kernels';
import type { WorldModel } from '@twist/rssm';
import type { BehaviourConfig } from './config.js';
import type { ActionDist } from './dists/index.js';
import { Actor, Critic } from './networks.js';
import { SplitMix } from './rng.js';
import { discountWeights, lambdaReturn } from './returns.js';
import { ReturnNorm, type ReturnNormState } from './return-norm.js';

/** Scalars of one actor-critic update, as device tensors (read with readMetrics when logging). */
export interface BehaviourMetrics {
  actorLoss: Tensor;
  criticLoss: Tensor;
  actorEntropy: Tensor;
  imagReward: Tensor;
  imagValue: Tensor;
  target: Tensor;
  actorGradNorm: Tensor;
  criticGradNorm: Tensor;
  /** The return scale max(1, hi - lo) this update used (returnNorm only). */
  returnScale?: Tensor;
}

/** Posterior states to imagine from: deter [..., D] and stoch [..., S, C] (any leading dims; flattened). */
export interface Starts {
  deter: Tensor;
  stoch: Tensor;
}

/**
 * Behaviour learning in imagination (DreamerV2, paper section III): the actor and critic modules, their
 * optimisers (owned here, the trainer, not by the modules) and the slow critic.
 *
 * One update (V2 `ActorCritic.train`):
 *  1. imagine H steps from the starts with a_t ~ pi(. | sg(s_t)): states s_0 (start) .. s_H;
 *  2. r_t = reward head mode(s_t), v_t = slow critic(s_t) for t = 0..H; R = lambdaReturn(r, v) (R_0..R_{H-1});
 *     w_t = gamma^t (no continue head; V2's cumprod([1, disc[:-1]]));
 *  3. actor (dynamics):  L = -mean_{t<H-1} sg(w_t) (R_{t+1} + eta H[pi(. | sg(s_t))])
 *     actor (reinforce): L = -mean_{t<H-1} sg(w_t) (log pi(sg(a_t) | sg(s_t)) sg(R_{t+1} - v_slow(s_t)) + eta H)
 *     (a_t, taken in s_t, first changes R_{t+1}: R_t includes r_t of s_t itself);
 *  4. critic: L = mean_{t<H} sg(w_t) (critic(sg(s_t)) - sg(R_t))^2 / 2  (= -log N(sg(R_t); v, 1) + const);
 *  5. Adam on each (the world model gets no update: only actor/critic parameters are differentiated);
 *  6. every `slowTargetEvery` updates (including update 0) the slow critic becomes a copy of the critic.
 */
export class Behaviour {
  readonly actor: Actor;
  readonly critic: Critic;
  readonly slowCritic: Critic;
  readonly actorOpt: A.Adam;
  readonly criticOpt: A.Adam;
  /** Updates done (V2's `_updates`). */
  updates = 0;
  /** Philox counter of the actor's samples (imagination and acting). */
  rngOffset = 0;
  /** Host RNG that picks the imagination starts when imagStarts > 0. */
  readonly startRng: SplitMix;
  /** DreamerV3 percentile return scale (cfg.returnNorm), else null. */
  readonly returnNorm: ReturnNorm | null;
  readonly #seed: number;

  constructor(
    readonly device: Device,
    readonly cfg: BehaviourConfig,
    readonly featureSize: number,
    readonly actionSize: number,
    seed: number,
  ) {
    const ctx = { device, seed: seed + 7919 };
    this.#seed = seed + 104729;
    this.actor = new Actor(ctx, featureSize, actionSize, cfg.actorLayers, cfg.act, cfg.minStd, cfg.norm);
    this.critic = new Critic(ctx, featureSize, cfg.criticLayers, cfg.act, 'critic', cfg.norm);
    this.slowCritic = new Critic(ctx, featureSize, cfg.criticLayers, cfg.act, 'slowCritic', cfg.norm);
    const opt = (o: BehaviourConfig['actorOpt']) => ({ lr: o.lr, eps: o.eps, clip: o.clip, weightDecay: o.weightDecay });
    this.actorOpt = new A.Adam(this.actor.parameters(), opt(cfg.actorOpt));
    this.criticOpt = new A.Adam(this.critic.parameters(), opt(cfg.criticOpt));
    this.startRng = new SplitMix(seed + 15485863);
    this.returnNorm = cfg.returnNorm ? new ReturnNorm() : null;
  }

  /** Folds the previous update's returns into the return scale (returnNorm); call before update and counters. */
  async settle(): Promise<void> {
    await this.returnNorm?.settle();
  }

  /** A fresh Philox key for `rows` sampled rows of the actor. */
  key(rows: number): K.RngKey {
    const key = { seed: this.#seed, offset: this.rngOffset };
    this.rngOffset += rows;
    return key;
  }

  /** The policy's action distribution at a feature (gradients flow to the actor only if the caller lets them). */
  dist(feature: Var): ActionDist {
    return this.actor.dist(feature);
  }

  /** One actor-critic update from posterior starts of a world-model batch. Records only; never reads back. */
  update(wm: WorldModel, starts: Starts): BehaviourMetrics {
    const metrics = scope(() => this.#record(wm, starts));
    this.#updateSlowTarget();
    return metrics;
  }

  #record(wm: WorldModel, starts: Starts): BehaviourMetrics {
    const { horizon: H, discount, lambda, actorEntropy: eta } = this.cfg;
    const rssm = wm.rssm;
    const { deter: D, stoch: S, classes: C } = rssm.cfg;
    const total = starts.deter.size / D;
    let deter = starts.deter.reshape([total, D]);
    let stoch = starts.stoch.reshape([total, S, C]);
    if (this.cfg.imagStarts > 0 && this.cfg.imagStarts < total) {
      // A uniform subset of the B x T posterior states (without replacement): a partial Fisher-Yates shuffle.
      const n = this.cfg.imagStarts;
      const perm = Int32Array.from({ length: total }, (_, i) => i);
      for (let i = 0; i < n; i++) {
        const j = i + Math.floor(this.startRng.next() * (total - i));
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const idx = tensor(this.device, perm.slice(0, n), [n], 'i32');
      deter = K.gather(deter, idx, 0);
      stoch = K.gather(stoch, idx, 0);
    }
    const N = deter.shape[0];
    const start = { deter: A.constant(deter), stoch: A.constant(stoch) };

    // 1. imagination; the actor sees sg(feature), the action's gradient flows on through the dynamics.
    const dists: ActionDist[] = [];
    const policy = (feat: Var) => {
      const d = this.actor.dist(A.stopGradient(feat));
      dists.push(d);
      return d.sample(this.key(N * this.actionSize));
    };
    const imag = rssm.imagine(start, policy, H);
    const feats = A.concat([A.reshape(rssm.feature(start), [1, N, rssm.featureSize]), rssm.feature(imag)], 0); // [H+1, N, F]

    // 2. rewards, slow values, lambda-returns, weights
    const reward = A.reshape(wm.reward.forward(feats), [H + 1, N]);
    const value = this.slowCritic.forward(feats); // [H+1, N]
    const target = lambdaReturn(reward, value, discount, lambda); // [H, N]
    const w = A.constant(tensor(this.device, discountWeights(H + 1, discount), [H + 1, 1]));
    const wActor = A.slice(w, [0, 0], [H - 1, 1]);
    const wCritic = A.slice(w, [0, 0], [H, 1]);

    // 3. actor loss
    const ent = A.stack(dists.slice(0, H - 1).map((d) => d.entropy()), 0); // [H-1, N]
    // With returnNorm (V3): returns and baseline divided by scale = max(1, hi - lo) of the 5%/95% return
    // quantiles (EMA; see return-norm.ts). Without it, scale = 1 (V2).
    const scale = this.returnNorm ? this.returnNorm.scale : 1;
    const next = A.slice(target, [1, 0], [H - 1, N]);
    let objective: Var;
    if (this.cfg.actorGrad === 'dynamics') {
      objective = scale === 1 ? next : A.scale(next, 1 / scale);
    } else {
      const acts = A.unstack(A.stopGradient(imag.actions), 0);
      const logp = A.stack(dists.slice(0, H - 1).map((d, t) => d.logProb(acts[t])), 0);
      const baseline = A.slice(value, [0, 0], [H - 1, N]);
      const adv = A.sub(next, baseline);
      objective = A.mul(logp, A.stopGradient(scale === 1 ? adv : A.scale(adv, 1 / scale)));
    }
    if (this.returnNorm) this.returnNorm.observe(keep(A.noGrad(() => A.reshape(target, [H * N]).value)));
    const actorLoss = A.neg(A.mean(A.mul(wActor, A.add(objective, A.scale(ent, eta)))));

    // 4. critic loss on sg(features) and sg(targets)
    const featsSg = A.stopGradient(A.slice(feats, [0, 0, 0], [H, N, rssm.featureSize]));
    const v = this.critic.forward(featsSg);
    const criticLoss = A.scale(A.mean(A.mul(wCritic, A.square(A.sub(v, A.stopGradient(target))))), 0.5);

    // 5. separate optimisers
    const actorGradNorm = this.actorOpt.apply(A.grad(actorLoss, this.actorOpt.params));
    const criticGradNorm = this.criticOpt.apply(A.grad(criticLoss, this.criticOpt.params));
    return A.noGrad(() => ({
      actorLoss: actorLoss.value,
      criticLoss: criticLoss.value,
      actorEntropy: A.mean(ent).value,
      imagReward: A.mean(reward).value,
      imagValue: A.mean(value).value,
      target: A.mean(target).value,
      actorGradNorm,
      criticGradNorm,
      ...(this.returnNorm ? { returnScale: tensor(this.device, Float32Array.of(scale), []) } : {}),
    }));
  }

  /** V2 `update_slow_target`: after the update, copy when updates % every == 0 (fraction 1), then count. */
  #updateSlowTarget(): void {
    if (this.updates % this.cfg.slowTargetEvery === 0) {
      const src = this.critic.parameters();
      const dst = this.slowCritic.parameters();
      src.forEach((p, i) => K.copyInto(dst[i].value, p.value));
    }
    this.updates++;
  }

  /** Modules and optimisers by name, for checkpoints. */
  parts(): { modules: Record<string, A.Module>; optimizers: Record<string, A.Adam> } {
    return {
      modules: { actor: this.actor, critic: this.critic, slowCritic: this.slowCritic },
      optimizers: { actor: this.actorOpt, critic: this.criticOpt },
    };
  }

  /** Counters that are state too (a resumed run must continue them). Call `await settle()` first. */
  counters(): { updates: number; rngOffset: number; startRng: string; returnNorm?: ReturnNormState } {
    const c = { updates: this.updates, rngOffset: this.rngOffset, startRng: this.startRng.save() };
    if (!this.returnNorm) return c;
    if (this.returnNorm.pending) throw new Error('Behaviour.counters: returns of the last update are not folded in yet (await settle() before saving)');
    return { ...c, returnNorm: { ...this.returnNorm.state } };
  }

  restoreCounters(c: { updates: number; rngOffset: number; startRng: string; returnNorm?: ReturnNormState }): void {
    this.updates = c.updates;
    this.rngOffset = c.rngOffset;
    this.startRng.restore(c.startRng);
    if (this.returnNorm) {
      if (!c.returnNorm) throw new Error('Behaviour.restoreCounters: the checkpoint has no returnNorm state but the config enables returnNorm');
      this.returnNorm.restore(c.returnNorm);
    }
  }

  dispose(): void {
    this.actor.dispose();
    this.critic.dispose();
    this.slowCritic.dispose();
    this.actorOpt.dispose();
    this.criticOpt.dispose();
    this.returnNorm?.dispose();
  }
}
