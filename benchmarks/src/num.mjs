// Number formatting shared by the console report, the README and the gate (no imports: the gate's pure logic
// uses it too).

/** 3 significant digits, no exponent for the sizes we print. */
export function num(/** @type {number | null | undefined} */ x) {
  if (x == null || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toPrecision(2);
}
