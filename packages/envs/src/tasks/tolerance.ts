/**
 * dm_control's `rewards.tolerance` (dm_control/utils/rewards.py), value for value: 1 inside [lower, upper],
 * and outside a sigmoid of the distance to the nearest bound measured in units of `margin`, which equals
 * `valueAtMargin` at distance `margin`. With margin 0 the result is the indicator of the bounds.
 */
export type Sigmoid =
  | 'gaussian'
  | 'hyperbolic'
  | 'long_tail'
  | 'reciprocal'
  | 'cosine'
  | 'linear'
  | 'quadratic'
  | 'tanh_squared';

export const SIGMOIDS: readonly Sigmoid[] = [
  'gaussian',
  'hyperbolic',
  'long_tail',
  'reciprocal',
  'cosine',
  'linear',
  'quadratic',
  'tanh_squared',
];

export interface ToleranceOptions {
  /** [lower, upper]; either may be infinite. Default [0, 0]. */
  bounds?: readonly [number, number];
  /** Non-negative; 0 gives a hard indicator. Default 0. */
  margin?: number;
  /** Default 'gaussian'. */
  sigmoid?: Sigmoid;
  /** The value at distance `margin` from the bounds. Default 0.1 (dm_control's _DEFAULT_VALUE_AT_MARGIN). */
  valueAtMargin?: number;
}

/**
 * The sigmoid family of dm_control's `_sigmoids(x, value_at_1, sigmoid)`: 1 at x = 0 and `valueAt1` at x = 1
 * (x >= 0 is the distance to the bounds in margins).
 */
export function sigmoidValue(x: number, valueAt1: number, sigmoid: Sigmoid): number {
  checkSigmoid(valueAt1, sigmoid);
  switch (sigmoid) {
    case 'gaussian': {
      const scale = Math.sqrt(-2 * Math.log(valueAt1));
      return Math.exp(-0.5 * (x * scale) ** 2);
    }
    case 'hyperbolic': {
      const scale = Math.acosh(1 / valueAt1);
      return 1 / Math.cosh(x * scale);
    }
    case 'long_tail': {
      const scale = Math.sqrt(1 / valueAt1 - 1);
      return 1 / ((x * scale) ** 2 + 1);
    }
    case 'reciprocal': {
      const scale = 1 / valueAt1 - 1;
      return 1 / (Math.abs(x) * scale + 1);
    }
    case 'cosine': {
      const scale = Math.acos(2 * valueAt1 - 1) / Math.PI;
      const sx = x * scale;
      return Math.abs(sx) < 1 ? (1 + Math.cos(Math.PI * sx)) / 2 : 0;
    }
    case 'linear': {
      const sx = x * (1 - valueAt1);
      return Math.abs(sx) < 1 ? 1 - sx : 0;
    }
    case 'quadratic': {
      const sx = x * Math.sqrt(1 - valueAt1);
      return Math.abs(sx) < 1 ? 1 - sx * sx : 0;
    }
    case 'tanh_squared': {
      const scale = Math.atanh(Math.sqrt(1 - valueAt1));
      return 1 - Math.tanh(x * scale) ** 2;
    }
  }
}

function checkSigmoid(valueAt1: number, sigmoid: Sigmoid): void {
  if (!SIGMOIDS.includes(sigmoid)) {
    throw new Error(`tolerance: unknown sigmoid '${String(sigmoid)}'; valid sigmoids: ${SIGMOIDS.join(', ')}`);
  }
  const zeroAllowed = sigmoid === 'cosine' || sigmoid === 'linear' || sigmoid === 'quadratic';
  const ok = zeroAllowed ? valueAt1 >= 0 && valueAt1 < 1 : valueAt1 > 0 && valueAt1 < 1;
  if (!ok) {
    throw new Error(
      `tolerance: valueAtMargin must be in ${zeroAllowed ? '[0, 1)' : '(0, 1)'} for sigmoid '${sigmoid}', got ${valueAt1}`,
    );
  }
}

/** dm_control's rewards.tolerance for one value. */
export function tolerance(x: number, opts: ToleranceOptions = {}): number {
  const [lower, upper] = opts.bounds ?? [0, 0];
  const margin = opts.margin ?? 0;
  const sigmoid = opts.sigmoid ?? 'gaussian';
  const valueAtMargin = opts.valueAtMargin ?? 0.1;
  if (!(lower <= upper)) throw new Error(`tolerance: lower bound must be <= upper bound, got [${lower}, ${upper}]`);
  if (!(margin >= 0)) throw new Error(`tolerance: margin must be non-negative, got ${margin}`);
  if (!SIGMOIDS.includes(sigmoid)) {
    throw new Error(`tolerance: unknown sigmoid '${String(sigmoid)}'; valid sigmoids: ${SIGMOIDS.join(', ')}`);
  }
  const inBounds = lower <= x && x <= upper;
  if (inBounds) return 1;
  if (margin === 0) return 0;
  const d = (x < lower ? lower - x : x - upper) / margin;
  return sigmoidValue(d, valueAtMargin, sigmoid);
}

/** tolerance() applied to each element (dm_control calls it on vectors, e.g. the control). */
export function toleranceEach(xs: ArrayLike<number>, opts: ToleranceOptions = {}): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) out.push(tolerance(xs[i], opts));
  return out;
}
