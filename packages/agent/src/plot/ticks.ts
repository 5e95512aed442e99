/**
 * Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten) and compact tick labels (SI suffixes k/M/G
 * for large values such as environment steps: 50k, 1.2M).
 */

export interface NiceScale {
  /** Axis domain: the data range, or (extend) widened to the outer ticks. */
  lo: number;
  hi: number;
  /** Distance between ticks: m * 10^k with m in {1, 2, 5}. */
  step: number;
  /** Tick values, ascending, all inside [lo, hi]. */
  ticks: number[];
}

/** Removes floating-point dust (0.30000000000000004 -> 0.3) and negative zero. */
function clean(v: number, step: number): number {
  if (Math.abs(v) < step * 1e-9) return 0;
  return Number(v.toPrecision(12));
}

/**
 * Nice ticks for [lo, hi] with at most `target` intervals between the outer ticks (target >= 1).
 * extend: true widens the domain to whole steps, so the ticks cover the range (first <= lo, last >= hi);
 * false keeps [lo, hi] and returns the nice ticks inside it. A zero-width range is widened first.
 */
export function niceScale(lo: number, hi: number, target = 5, opts: { extend?: boolean } = {}): NiceScale {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new Error(`niceScale: range must be two finite numbers with lo <= hi, got [${lo}, ${hi}]`);
  }
  if (!Number.isInteger(target) || target < 1) throw new Error(`niceScale: target must be an integer >= 1, got ${target}`);
  const extend = opts.extend ?? true;
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / target;
  let e = Math.floor(Math.log10(raw)) - 1;
  const eps = 1e-9;
  for (;;) {
    for (const m of [1, 2, 5]) {
      const step = m * 10 ** e;
      const a = extend ? Math.floor(lo / step + eps) : Math.ceil(lo / step - eps);
      const b = extend ? Math.ceil(hi / step - eps) : Math.floor(hi / step + eps);
      if (b - a <= target) {
        const ticks: number[] = [];
        for (let i = a; i <= b; i++) ticks.push(clean(i * step, step));
        return extend ? { lo: ticks[0], hi: ticks[ticks.length - 1], step, ticks } : { lo, hi, step, ticks };
      }
    }
    e++;
  }
}

const SI: [number, string][] = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/**
 * Labels for ticks spaced `step` apart, sharing one unit: SI suffix when the largest |tick| is >= 10^4
 * (50k, 1.2M), exponent form for tiny (< 10^-3) or huge (>= 10^12) values, else plain decimals with just
 * enough digits to tell neighbouring ticks apart.
 */
export function formatTicks(ticks: readonly number[], step: number): string[] {
  const max = Math.max(0, ...ticks.map(Math.abs));
  if (max >= 1e12 || (max > 0 && max < 1e-3)) {
    return ticks.map((v) => (v === 0 ? '0' : Number(v.toPrecision(3)).toExponential()));
  }
  let unit = 1;
  let suffix = '';
  if (max >= 1e4) {
    for (const [u, s] of SI) {
      if (max >= u) {
        unit = u;
        suffix = s;
        break;
      }
    }
  }
  const u = step / unit;
  let digits = Math.max(0, Math.ceil(-Math.log10(u) - 1e-9));
  while (digits < 10 && Math.abs(Number(u.toFixed(digits)) - u) > u * 1e-6) digits++;
  return ticks.map((v) => {
    if (v === 0) return '0';
    return (v / unit).toFixed(digits) + suffix;
  });
}

/** One label for a single value (legend / annotation use): 3 significant digits, SI suffix above 10^4. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e12 || a < 1e-3) return Number(v.toPrecision(3)).toExponential();
  for (const [u, s] of SI) if (a >= Math.max(u, 1e4)) return `${Number((v / u).toPrecision(3))}${s}`;
  return String(Number(v.toPrecision(3)));
}
