import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { randomNormal, type RngKey } from '@twist/kernels';
import { checkEvent, checkLike, fmt, sizeOfShape } from '../dists/util.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * SAC's tanh-squashed Gaussian (DrQ `utils.SquashedNormal`: Normal(mu, std) through TanhTransform), independent
 * over the last axis [..., A]:
 *
 *   u = mu + std * eps,  eps ~ N(0, 1),  a = tanh(u)
 *   log pi(a) = sum_i [ log N(u_i; mu_i, std_i) - log(1 - tanh(u_i)^2) ]
 *             = sum_i [ -eps_i^2 / 2 - log std_i - log sqrt(2 pi) - 2 (log 2 - u_i - softplus(-2 u_i)) ]
 *
 * (the log-det of the tanh in TFP's stable form, as DrQ's `log_abs_det_jacobian`). With eps held fixed the
 * Gaussian term's gradient is -1/std w.r.t. std and 0 w.r.t. mu, the same as differentiating
 * log N(u(mu, std); mu, std) through u, so the reparameterised log-probability needs no atanh.
 */
export class SquashedNormal {
  readonly shape: readonly number[];

  constructor(
    readonly mu: Var,
    readonly logStd: Var,
  ) {
    const op = 'SquashedNormal';
    checkEvent(op, 'mu', mu);
    checkLike(op, 'logStd', logStd, mu.shape, mu, 'mu');
    this.shape = mu.shape;
  }

  /**
   * From the actor trunk's output [..., 2A] = [mu | s] (DrQ `Actor.forward`):
   * log std = min + (max - min) (tanh(s) + 1) / 2, so log std lies in (min, max).
   */
  static fromActorOutput(out: Var, logStdMin: number, logStdMax: number): SquashedNormal {
    const op = 'SquashedNormal.fromActorOutput';
    checkEvent(op, 'out', out);
    const two = out.shape[out.shape.length - 1];
    if (two % 2 !== 0) throw new Error(`${op}: out must have shape [..., 2A] (mean and log-std pre-activations), got ${fmt(out.shape)} with an odd last axis`);
    if (!(logStdMin < logStdMax)) throw new Error(`${op}: logStdMin must be < logStdMax, got ${logStdMin}, ${logStdMax}`);
    const [mu, s] = A.split(out, [two / 2, two / 2], -1);
    const half = 0.5 * (logStdMax - logStdMin);
    return new SquashedNormal(mu, A.affine(A.tanh(s), half, logStdMin + half));
  }

  /** Philox stream elements one sample draws: one normal per element (elements 0 .. rowsUsed - 1 of the key's stream). */
  get rowsUsed(): number {
    return sizeOfShape(this.shape);
  }

  /** A reparameterised sample and its log-probability [...] (gradients to mu and logStd through both). */
  sample(key: RngKey): { action: Var; logProb: Var } {
    return this.sampleWith(A.constant(randomNormal(this.mu.device, this.shape, key)));
  }

  /** As sample, with the standard-normal noise given (tests, gradient checks). */
  sampleWith(eps: Var): { action: Var; logProb: Var } {
    checkLike('SquashedNormal.sampleWith', 'eps', eps, this.shape, this.mu, 'mu');
    const u = A.add(this.mu, A.mul(A.exp(this.logStd), eps));
    const gauss = A.sub(A.affine(A.square(eps), -0.5, -LOG_SQRT_2PI), this.logStd);
    return { action: A.tanh(u), logProb: A.sum(A.sub(gauss, logDetTanh(u)), -1) };
  }

  /** tanh(mu): DrQ's `dist.mean`, the action at evaluation. */
  mode(): Var {
    return A.tanh(this.mu);
  }

  /**
   * log pi(a) of given actions a in (-1, 1) [...]: u = atanh(a) with a clamped to +-(1 - 1e-6), so values at the
   * boundary stay finite (samples whose tanh rounds to +-1 in f32 are better scored by sample()'s logProb).
   */
  logProb(a: Var): Var {
    checkLike('SquashedNormal.logProb', 'a', a, this.shape, this.mu, 'mu');
    const c = A.clamp(a, -1 + 1e-6, 1 - 1e-6);
    const u = A.scale(A.log(A.div(A.addScalar(c, 1), A.affine(c, -1, 1))), 0.5); // atanh
    const z = A.div(A.sub(u, this.mu), A.exp(this.logStd));
    const gauss = A.sub(A.affine(A.square(z), -0.5, -LOG_SQRT_2PI), this.logStd);
    return A.sum(A.sub(gauss, logDetTanh(u)), -1);
  }
}

/** log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)), stable for large |u|. */
function logDetTanh(u: Var): Var {
  return A.scale(A.sub(A.neg(A.addScalar(u, -Math.LN2)), A.softplus(A.scale(u, -2))), 2);
}
