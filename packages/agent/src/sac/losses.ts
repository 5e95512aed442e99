import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';

/**
 * SAC's three losses as DrQ writes them (`drq.py` update_critic / update_actor_and_alpha), on batch vectors [B]
 * and alpha = exp(log alpha) as a [1] Var. Pure functions: the agent decides what is a constant.
 */

/**
 * The critics' TD target (a constant: the caller computes its inputs without gradients):
 *   y = r + gamma c' (min(Qbar1(s', a'), Qbar2(s', a')) - alpha log pi(a' | o')),   a' ~ pi(. | o')
 * with c' = 0 where s' is terminal (time limits are not: DrQ's not_done ignores the max-episode cut).
 */
export function tdTarget(reward: Var, cont: Var, q1Next: Var, q2Next: Var, logpNext: Var, alpha: Var, discount: number): Var {
  const v = A.sub(A.minimum(q1Next, q2Next), A.mul(alpha, logpNext));
  return A.stopGradient(A.add(reward, A.mul(A.scale(cont, discount), v)));
}

/** mean((Q1(s, a) - y)^2) + mean((Q2(s, a) - y)^2) (DrQ: F.mse_loss on each twin, summed). */
export function criticLoss(q1: Var, q2: Var, y: Var): Var {
  return A.add(A.mean(A.square(A.sub(q1, y))), A.mean(A.square(A.sub(q2, y))));
}

/** mean(sg(alpha) log pi(a~ | o) - min(Q1, Q2)(s, a~)), a~ ~ pi(. | o) reparameterised. */
export function actorLoss(logp: Var, q1: Var, q2: Var, alpha: Var): Var {
  return A.mean(A.sub(A.mul(A.stopGradient(alpha), logp), A.minimum(q1, q2)));
}

/**
 * mean(alpha (-sg(log pi) - targetEntropy)), differentiated w.r.t. log alpha: alpha rises while the policy's
 * entropy -log pi is below the target, and falls while it is above.
 */
export function temperatureLoss(logAlpha: Var, logp: Var, targetEntropy: number): Var {
  const gap = A.stopGradient(A.affine(logp, -1, -targetEntropy));
  return A.mean(A.mul(A.exp(logAlpha), gap));
}
