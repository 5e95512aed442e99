/**
 * DreamerV3's percentile return normalisation (Hafner et al. 2023, "Moments" with impl 'perc_ema'):
 *   lo <- d lo + (1 - d) quantile(R, 0.05),   hi <- d hi + (1 - d) quantile(R, 0.95),   d = 0.99
 *   scale = max(1, hi - lo)
 * and the actor maximises R / scale (+ eta H): returns are scaled down when their spread exceeds 1 and never
 * scaled up, so the entropy bonus keeps one meaning whatever the reward scale of the task.
 *
 * Device-side quantiles would need a sort kernel; instead the lambda-returns of update k are read back
 * asynchronously and folded into the moments before update k + 1 records (`settle`). By then the device has
 * finished update k anyway (the agent keeps at most one batch in flight), so waiting costs nothing, and the
 * scale of update k + 1 includes the returns of updates 0..k: V3 includes k + 1 itself, a difference of one
 * batch in an EMA over ~100. The fold order is fixed, so runs stay deterministic and resumable (`settle`
 * before a checkpoint reads `state`).
 */
import { showValue } from '@twist/kernels';
import type { Tensor } from '@twist/kernels';

export interface ReturnNormState {
  lo: number;
  hi: number;
  /** Batches folded in so far. */
  count: number;
}

/** The q-quantile of xs with linear interpolation between order statistics (numpy's default, as V3's jnp.quantile). */
export function quantile(xs: ArrayLike<number>, q: number): number {
  if (xs.length === 0) throw new Error('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const s = Float64Array.from(xs).sort();
  const pos = q * (s.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < s.length ? s[i] * (1 - f) + s[i + 1] * f : s[i];
}

export class ReturnNorm {
  state: ReturnNormState = { lo: 0, hi: 0, count: 0 };
  #pending: { tensor: Tensor; values: Promise<ArrayLike<number>> } | null = null;

  constructor(
    readonly decay = 0.99,
    readonly low = 0.05,
    readonly high = 0.95,
  ) {}

  /** Whether returns are read but not yet folded in. */
  get pending(): boolean {
    return this.#pending !== null;
  }

  /** The divisor of the returns for the next update: max(1, hi - lo). */
  get scale(): number {
    return Math.max(1, this.state.hi - this.state.lo);
  }

  /** Takes ownership of a returns tensor of this update and starts reading it (no wait). */
  observe(returns: Tensor): void {
    if (this.#pending) throw new Error('ReturnNorm.observe: the previous returns were not settled (call settle() first)');
    this.#pending = { tensor: returns, values: returns.toArray() as Promise<ArrayLike<number>> };
  }

  /** Folds the pending returns, if any, into the moments. */
  async settle(): Promise<void> {
    const p = this.#pending;
    if (!p) return;
    this.#pending = null;
    let xs: ArrayLike<number>;
    try {
      xs = await p.values;
    } finally {
      p.tensor.dispose();
    }
    const lo = quantile(xs, this.low);
    const hi = quantile(xs, this.high);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`ReturnNorm: non-finite lambda-returns (5%/95% quantiles ${lo}, ${hi})`);
    const d = this.decay;
    this.state = { lo: d * this.state.lo + (1 - d) * lo, hi: d * this.state.hi + (1 - d) * hi, count: this.state.count + 1 };
  }

  restore(s: ReturnNormState): void {
    if (this.#pending) throw new Error('ReturnNorm.restore: returns are pending');
    for (const k of ['lo', 'hi', 'count'] as const) {
      if (typeof s?.[k] !== 'number' || !Number.isFinite(s[k])) throw new Error(`ReturnNorm.restore: state.${k} must be a finite number, got ${showValue(s?.[k])}`);
    }
    this.state = { lo: s.lo, hi: s.hi, count: s.count };
  }

  dispose(): void {
    this.#pending?.tensor.dispose();
    this.#pending = null;
  }
}
