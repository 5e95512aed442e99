import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { randomUniform, type RngKey } from '@twist/kernels';
import type { ActionDist } from './action-dist.js';
import { checkEvent, checkLike, fmt, sizeOfShape } from './util.js';

export interface ActorOutputOptions {
  /** std = (maxStd - minStd) sigmoid(s / 2) + minStd; DreamerV2: min_std 0.1. */
  minStd?: number;
  /** DreamerV2: 2 sigmoid(s / 2) + min_std, i.e. maxStd = minStd + 2 = 2.1. */
  maxStd?: number;
}

/**
 * DreamerV2's continuous action distribution (`common/dists.py TruncNormalDist` under `tfd.Independent(., 1)`):
 * TN(mean, std; lo, hi) independently over the last axis, samples clipped to [lo + clip, hi - clip] (clip 1e-6)
 * with a straight-through gradient. Fused kernels on both backends (@twist/kernels truncnorm/).
 *
 * - sample(key): reparameterised, x = F^-1(u; mean, std) with u = randomUniform(device, shape, key); the gradient
 *   w.r.t. mean and std by implicit differentiation of the truncated CDF.
 * - mode(): the mean clamped to [lo, hi] (TFP's TruncatedNormal mode).
 * - logProb(x), entropy(): summed over the last axis, with gradients w.r.t. mean and std.
 */
export class TruncNormalDist implements ActionDist {
  readonly shape: readonly number[];

  constructor(
    readonly mean: Var,
    readonly std: Var,
    readonly lo = -1,
    readonly hi = 1,
    readonly clip = 1e-6,
  ) {
    const op = 'TruncNormalDist';
    checkEvent(op, 'mean', mean);
    checkLike(op, 'std', std, mean.shape, mean, 'mean');
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new Error(`${op}: bounds must be finite with lo < hi, got lo=${lo}, hi=${hi}`);
    if (!(clip >= 0 && clip < (hi - lo) / 2)) throw new Error(`${op}: clip must be in [0, (hi - lo) / 2) = [0, ${(hi - lo) / 2}), got ${clip}`);
    this.shape = mean.shape;
  }

  /**
   * From the actor head's output [..., 2A] = [m | s] (DreamerV2's 'out' and 'std' Dense heads side by side):
   * mean = tanh(m), std = (maxStd - minStd) sigmoid(s / 2) + minStd, on [-1, 1].
   */
  static fromActorOutput(out: Var, opts: ActorOutputOptions = {}): TruncNormalDist {
    const op = 'TruncNormalDist.fromActorOutput';
    checkEvent(op, 'out', out);
    const two = out.shape[out.shape.length - 1];
    if (two % 2 !== 0) throw new Error(`${op}: out must have shape [..., 2A] (mean and std pre-activations), got ${fmt(out.shape)} with an odd last axis`);
    const minStd = opts.minStd ?? 0.1;
    const maxStd = opts.maxStd ?? minStd + 2;
    if (!(Number.isFinite(minStd) && minStd > 0 && Number.isFinite(maxStd) && maxStd > minStd)) {
      throw new Error(`${op}: stds must be finite with 0 < minStd < maxStd, got minStd=${minStd}, maxStd=${maxStd}`);
    }
    const [m, s] = A.split(out, [two / 2, two / 2], -1);
    return new TruncNormalDist(A.tanh(m), A.affine(A.sigmoid(A.scale(s, 0.5)), maxStd - minStd, minStd));
  }

  /** Philox stream elements one sample of this shape draws (one uniform per element). */
  static rowsUsed(shape: readonly number[]): number {
    return sizeOfShape(shape);
  }

  get rowsUsed(): number {
    return TruncNormalDist.rowsUsed(this.shape);
  }

  sample(key: RngKey): Var {
    const u = A.constant(randomUniform(this.mean.device, this.shape, key));
    return A.truncNormalSample(this.mean, this.std, u, this.lo, this.hi, this.clip);
  }

  mode(): Var {
    return A.clamp(this.mean, this.lo, this.hi);
  }

  logProb(x: Var): Var {
    checkLike('TruncNormalDist.logProb', 'x', x, this.shape, this.mean, 'mean');
    return A.truncNormalLogProb(this.mean, this.std, x, this.lo, this.hi);
  }

  entropy(): Var {
    return A.truncNormalEntropy(this.mean, this.std, this.lo, this.hi);
  }
}
