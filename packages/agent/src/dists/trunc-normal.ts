import * as A from '@twist/autograd';
import { Var } from '@twist/autograd';
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
 * The actor head a TruncNormalDist can stand for (fromActorOutput): its output out [..., 2A] = [m | s], with
 * mean = tanh(m) and std = (maxStd - minStd) sigmoid(s / 2) + minStd.
 */
export interface ActorHead {
  out: Var;
  minStd: number;
  maxStd: number;
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
 *
 * Made from the actor head (fromActorOutput, or the constructor given an ActorHead), sample and entropy run the
 * head-fused kernels on its output (one dispatch each way instead of the head's split, tanh, scale, sigmoid and
 * affine and their gradients; the same values up to the f32 rounding of those steps), and mean and std are
 * formed by those unfused ops only when read (mode, logProb, or a caller).
 */
export class TruncNormalDist implements ActionDist {
  readonly shape: readonly number[];
  readonly head: ActorHead | null;
  #mean: Var | null;
  #std: Var | null;

  /** From mean and std [..., A], or from an actor head (see ActorHead; std is then not given). */
  constructor(
    meanOrHead: Var | ActorHead,
    std?: Var,
    readonly lo = -1,
    readonly hi = 1,
    readonly clip = 1e-6,
  ) {
    const op = 'TruncNormalDist';
    // An actor head is a plain { out, minStd, maxStd } object; anything else is checked as the mean.
    const isHead = !(meanOrHead instanceof Var) && typeof meanOrHead === 'object' && meanOrHead !== null && 'out' in meanOrHead;
    if (!isHead) {
      const meanV = meanOrHead as Var;
      checkEvent(op, 'mean', meanV);
      checkLike(op, 'std', std, meanV.shape, meanV, 'mean');
      this.head = null;
      this.#mean = meanV;
      this.#std = std;
      this.shape = meanV.shape;
    } else {
      const { out, minStd, maxStd } = meanOrHead as ActorHead;
      checkEvent(op, 'head.out', out);
      const two = out.shape[out.shape.length - 1];
      if (two % 2 !== 0) throw new Error(`${op}: head.out must have shape [..., 2A] (mean and std pre-activations), got ${fmt(out.shape)} with an odd last axis`);
      if (!(Number.isFinite(minStd) && minStd > 0 && Number.isFinite(maxStd) && maxStd > minStd)) {
        throw new Error(`${op}: stds must be finite with 0 < minStd < maxStd, got minStd=${minStd}, maxStd=${maxStd}`);
      }
      if (std !== undefined) throw new Error(`${op}: give mean and std, or an actor head alone, not both`);
      this.head = { out, minStd, maxStd };
      this.#mean = null;
      this.#std = null;
      this.shape = [...out.shape.slice(0, -1), two / 2];
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new Error(`${op}: bounds must be finite with lo < hi, got lo=${lo}, hi=${hi}`);
    if (!(clip >= 0 && clip < (hi - lo) / 2)) throw new Error(`${op}: clip must be in [0, (hi - lo) / 2) = [0, ${(hi - lo) / 2}), got ${clip}`);
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
    return new TruncNormalDist({ out, minStd, maxStd });
  }

  /** tanh(m) (formed from the head on first use when made from one). */
  get mean(): Var {
    if (!this.#mean) this.#formHead();
    return this.#mean!;
  }

  /** (maxStd - minStd) sigmoid(s / 2) + minStd (formed from the head on first use when made from one). */
  get std(): Var {
    if (!this.#std) this.#formHead();
    return this.#std!;
  }

  /** The head's mean and std by the unfused ops (the reference the fused kernels are tested against). */
  #formHead(): void {
    const { out, minStd, maxStd } = this.head!;
    const A2 = out.shape[out.shape.length - 1] / 2;
    const [m, s] = A.split(out, [A2, A2], -1);
    this.#mean = A.tanh(m);
    this.#std = A.affine(A.sigmoid(A.scale(s, 0.5)), maxStd - minStd, minStd);
  }

  /** Philox stream elements one sample of this shape draws (one uniform per element). */
  static rowsUsed(shape: readonly number[]): number {
    return sizeOfShape(shape);
  }

  get rowsUsed(): number {
    return TruncNormalDist.rowsUsed(this.shape);
  }

  get #device() {
    return this.head ? this.head.out.device : this.#mean!.device;
  }

  sample(key: RngKey): Var {
    const u = A.constant(randomUniform(this.#device, this.shape, key));
    if (this.head) return A.truncNormalHeadSample(this.head.out, u, { lo: this.lo, hi: this.hi, clip: this.clip, minStd: this.head.minStd, maxStd: this.head.maxStd });
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
    if (this.head) return A.truncNormalHeadEntropy(this.head.out, { lo: this.lo, hi: this.hi, minStd: this.head.minStd, maxStd: this.head.maxStd });
    return A.truncNormalEntropy(this.mean, this.std, this.lo, this.hi);
  }
}
