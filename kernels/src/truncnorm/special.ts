/**
 * The special functions of the truncated normal, as the CPU reference evaluates them: the same formulas, in the
 * same order, as truncnorm-math.wgsl, with every operation rounded to f32 (Math.fround), so the two backends
 * differ only by the accuracy of the builtin exp/log/sqrt (a few ulps on the GPU) and by fused multiply-adds.
 *
 * - erfcx(z) = exp(z^2) erfc(z), z >= 0: t = 1 / (1 + z/2), erfcx = t exp(P(t)) with the 10-term polynomial of
 *   Numerical Recipes' erfcc (Press et al., 2nd ed., 6.2; fractional error < 1.2e-7 for every z >= 0, and
 *   exact asymptotics t exp(P(0)) -> 1 / (z sqrt(pi))). Its log is log t + P(t): no overflow, no underflow.
 * - erfc(z) = t exp(P(t) - z^2) (z >= 0), erf(z) = 1 - erfc(|z|) (sign restored) for |z| >= 1/2 and its Taylor
 *   series below (relative accuracy near 0).
 * - Phi(x) = erfc(-x / sqrt 2) / 2 for x <= 0 (relative accuracy in the lower tail), 1 - Q(x) above;
 *   log Q(x) = log(erfcx(x / sqrt 2) / 2) - x^2 / 2 for x >= 0 (finite for every x), and the inverse Mills ratio
 *   phi(x) / Q(x) = sqrt(2/pi) / erfcx(x / sqrt 2).
 * - Phi^-1 (ndtri): for 0.02425 <= p <= 1/2 Giles' single-precision erfinv, taking q = p - 1/2 directly (callers
 *   that know q without the 1/2 offset keep its precision; Acklam's central rational cancels badly in f32, 7e-5);
 *   below, Acklam's lower-tail rational in r = sqrt(-2 log p), taking log p (so probabilities far below the f32
 *   range work), then one Newton step on log Phi(x) = log p in log space,
 *   x -= (log Phi(x) - log p) Phi(x) / phi(x), which also carries it beyond Acklam's fitted range (p < 1e-300).
 */
const f = Math.fround;

export const SQRT1_2 = f(Math.SQRT1_2);
/** sqrt(2 / pi) */
export const SQRT_2_OVER_PI = f(Math.sqrt(2 / Math.PI));
/** 1 / sqrt(2 pi) */
export const INV_SQRT_2PI = f(1 / Math.sqrt(2 * Math.PI));
/** log sqrt(2 pi) */
export const LOG_SQRT_2PI = f(0.5 * Math.log(2 * Math.PI));
/** log sqrt(2 pi e) */
export const LOG_SQRT_2PIE = f(0.5 * Math.log(2 * Math.PI * Math.E));
export const LN2 = f(Math.LN2);
/** Acklam's split between the central and the tail approximation, as p and as log p. */
export const P_LOW = f(0.02425);
export const Q_CENTRAL = f(0.5 - 0.02425);
export const LOG_P_LOW = f(Math.log(0.02425));
/** Below this, a lower-tail probability of the two-sided sampler is treated as 0 (only u = 0 reaches it). */
export const P_TINY = f(1e-35);

const fexp = (x: number) => f(Math.exp(x));
const flog = (x: number) => f(Math.log(x));
const fsqrt = (x: number) => f(Math.sqrt(x));

// Numerical Recipes erfcc: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2).
const ERFC_P = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277].map(f);

/** P(t) of the erfcx form (Horner, f32). */
export function erfcxPoly(t: number): number {
  let p = ERFC_P[9];
  for (let k = 8; k >= 0; k--) p = f(ERFC_P[k] + f(t * p));
  return p;
}

/** erfcx(z) = exp(z^2) erfc(z) for z >= 0. */
export function erfcxPos(z: number): number {
  const t = f(1 / f(1 + f(0.5 * z)));
  return f(t * fexp(erfcxPoly(t)));
}

/** log erfcx(z) for z >= 0. */
export function logErfcxPos(z: number): number {
  const s = f(1 + f(0.5 * z));
  return f(erfcxPoly(f(1 / s)) - flog(s));
}

/** erfc(z) for z >= 0. */
export function erfcPos(z: number): number {
  const t = f(1 / f(1 + f(0.5 * z)));
  return f(t * fexp(f(erfcxPoly(t) - f(z * z))));
}

// erf(z) = 2/sqrt(pi) z sum_k (-1)^k z^2k / (k! (2k + 1)) for |z| < 1/2 (next term < 1e-9 relative).
const ERF_T = [1, -1 / 3, 1 / 10, -1 / 42, 1 / 216, -1 / 1320, 1 / 9360].map(f);
const TWO_OVER_SQRT_PI = f(2 / Math.sqrt(Math.PI));

export function erf(z: number): number {
  const a = Math.abs(z);
  if (a < 0.5) {
    const w = f(z * z);
    let p = ERF_T[6];
    for (let k = 5; k >= 0; k--) p = f(ERF_T[k] + f(w * p));
    return f(f(TWO_OVER_SQRT_PI * z) * p);
  }
  const v = f(1 - erfcPos(a));
  return z < 0 ? -v : v;
}

export function erfc(z: number): number {
  return z >= 0 ? erfcPos(z) : f(2 - erfcPos(-z));
}

/** Q(x) = 1 - Phi(x) for x >= 0. */
export function qPos(x: number): number {
  return f(0.5 * erfcPos(f(x * SQRT1_2)));
}

/** Phi(x), the standard normal CDF. */
export function ndtr(x: number): number {
  return x < 0 ? qPos(-x) : f(1 - qPos(x));
}

/** log Q(x) for x >= 0. */
export function logQPos(x: number): number {
  return f(f(logErfcxPos(f(x * SQRT1_2)) - LN2) - f(f(0.5 * x) * x));
}

/** log Phi(x). */
export function logNdtr(x: number): number {
  return x < 0 ? logQPos(-x) : log1pSmall(-qPos(x));
}

/**
 * log(1 + y) for -1/2 <= y <= 1/2 as 2 atanh(w), w = y / (2 + y), |w| <= 1/3: 2 w (1 + w^2/3 + ... + w^14/15)
 * (next term < 2e-9 relative; log(1 + y) itself would lose y's digits, and GPU log has 2^-21 absolute error there).
 */
export function log1pSmall(y: number): number {
  const w = f(y / f(2 + y));
  const w2 = f(w * w);
  let p = f(1 / 15);
  for (const k of [13, 11, 9, 7, 5, 3, 1]) p = f(f(1 / k) + f(w2 * p));
  return f(f(2 * w) * p);
}

/** phi(x) / Q(x) for x >= 0 (the inverse Mills ratio). */
export function millsPos(x: number): number {
  return f(SQRT_2_OVER_PI / erfcxPos(f(x * SQRT1_2)));
}

/** The standard normal density. */
export function pdf(x: number): number {
  return f(INV_SQRT_2PI * fexp(f(f(-0.5 * x) * x)));
}

/** -expm1(d) = 1 - exp(d) for d <= 0 (series for |d| < 0.35: relative accuracy as d -> 0). */
export function oneMinusExp(d: number): number {
  if (d > -0.35) {
    // -(d + d^2/2 + ... + d^8/8!) in Horner form
    let p = f(1 / 40320);
    for (const c of [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1]) p = f(f(c) + f(d * p));
    return f(-d * p);
  }
  return f(1 - fexp(d));
}

// Giles' single-precision erfinv (M. Giles, "Approximating the erfinv function", GPU Computing Gems, 2011),
// central branch: erfinv(y) = y P(w - 5/2), w = -log((1 - y)(1 + y)) < 5.
const G = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3, 2.46640727e-1, 1.50140941].map(f);
const SQRT2 = f(Math.SQRT2);

/** Phi^-1(1/2 + q) = sqrt(2) erfinv(2q) for |q| <= 0.47575 (w <= 2.36). */
export function ndtriCentral(q: number): number {
  const y = f(2 * q);
  const w = f(f(-flog(f(f(1 - y) * f(1 + y)))) - 2.5);
  let p = G[0];
  for (let k = 1; k < 9; k++) p = f(G[k] + f(p * w));
  return f(f(p * y) * SQRT2);
}

// Acklam's lower-tail approximation of Phi^-1 (P. J. Acklam, 2003; relative error 1.15e-9 for p >= 1e-300).
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783].map(f);
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416].map(f);

/**
 * Phi^-1(p) for log p = lp <= log 0.02425 (the result is < 0): Acklam's tail in r = sqrt(-2 lp), then one
 * Newton step on log Phi(x) = lp (f32 rounding of the rational leaves ~3e-6; one step brings it to ~2e-7, and
 * beyond Acklam's range it restores the asymptotics).
 */
export function ndtriTail(lp: number): number {
  const r = fsqrt(f(-2 * lp));
  let num = C[0];
  for (let k = 1; k < 6; k++) num = f(f(num * r) + C[k]);
  let den = D[0];
  for (let k = 1; k < 4; k++) den = f(f(den * r) + D[k]);
  den = f(f(den * r) + 1);
  const x = f(num / den);
  const g = f(logQPos(-x) - lp);
  return f(x - f(f(g * erfcxPos(f(-x * SQRT1_2))) / SQRT_2_OVER_PI));
}

/** Phi^-1(p) for 0 < p < 1. */
export function ndtri(p: number): number {
  if (p < P_LOW) return ndtriTail(flog(p));
  if (p <= f(1 - P_LOW)) return ndtriCentral(f(p - 0.5));
  return -ndtriTail(flog(f(1 - p)));
}

/** Every constant above as WGSL module constants (f32 literals that parse to the same values), spliced in at {{TRUNCNORM_CONSTANTS}}. */
const lit = (v: number) => (/[.e]/.test(String(v)) ? String(v) : `${v}.0`);
export const TRUNCNORM_CONSTANTS_WGSL = [
  ...Object.entries({ SQRT1_2, SQRT2, SQRT_2_OVER_PI, INV_SQRT_2PI, LOG_SQRT_2PI, LOG_SQRT_2PIE, LN2, TWO_OVER_SQRT_PI, P_LOW, Q_CENTRAL, LOG_P_LOW, P_TINY }).map(
    ([k, v]) => `const ${k}: f32 = ${lit(v)};`,
  ),
  ...Object.entries({ ERFC_P, ERF_T, ERFINV_G: G, ACKLAM_C: C, ACKLAM_D: D }).map(([k, v]) => `const ${k} = array<f32, ${v.length}>(${v.map(lit).join(', ')});`),
].join('\n');

/** The clamp of WGSL (min(max(x, lo), hi)). */
export function clampF(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

// ---- the truncated normal on [lo, hi] in standardised form: alpha = (lo - mean)/std, beta = (hi - mean)/std ----------

/**
 * xi = (x - mean) / std of the sample at uniform u: F(x) = (Phi(xi) - Phi(alpha)) / Z = u, Z = Phi(beta) - Phi(alpha),
 * clamped to [alpha, beta]. Three regimes, chosen so that no difference of nearly equal CDF values is formed:
 *
 * - alpha < 0 < beta (always so for DreamerV2's tanh mean in (-1, 1)): with Ea = erf(-alpha/sqrt 2) and
 *   Eb = erf(beta/sqrt 2) (both >= 0, relative accuracy), Z = (Ea + Eb) / 2 and q = Phi(xi) - 1/2 = u Z - Ea/2
 *   without the 1/2 offset. Central |q| <= 0.47575: xi = ndtriCentral(q). Lower tail: p = Phi(alpha) + u Z
 *   (a sum of non-negative terms), xi = ndtriTail(log p). Upper tail: xi = -ndtriTail(log(Q(beta) + (1 - u) Z)).
 *   A tail probability below 1e-35 (u = 0 or 1 with alpha or beta beyond -13) gives the end point itself.
 * - alpha >= 0 (the interval in the right tail; alpha, beta up to any size): in log space, with
 *   d = log Q(beta) - log Q(alpha) <= 0, Q(xi) = Q(alpha) - u Z = Q(alpha) ((1 - u) + u e^d) (both terms >= 0), so
 *   log Q(xi) = log Q(alpha) + log((1 - u) + u e^d) and xi = -Phi^-1(Q(xi)) from its log.
 * - beta <= 0: the mirror image (x -> -x, [alpha, beta] -> [-beta, -alpha], u -> 1 - u) of the right-tail case.
 * u <= 0 gives alpha and u >= 1 beta.
 */
export function sampleXi(a: number, b: number, u: number): number {
  if (u <= 0) return a; // the ends exactly (and a zero Jacobian there on every backend)
  if (u >= 1) return b;
  if (a < 0 && b > 0) {
    const ea = erf(f(-a * SQRT1_2));
    const eb = erf(f(b * SQRT1_2));
    const z = f(0.5 * f(ea + eb));
    const q = f(f(u * z) - f(0.5 * ea));
    let xi: number;
    if (Math.abs(q) <= Q_CENTRAL) xi = ndtriCentral(q);
    else if (q < 0) {
      const p = f(qPos(-a) + f(u * z));
      xi = p < P_TINY ? a : ndtriTail(flog(p));
    } else {
      const p = f(qPos(b) + f(f(1 - u) * z));
      xi = p < P_TINY ? b : -ndtriTail(flog(p));
    }
    return clampF(xi, a, b);
  }
  const flip = b <= 0;
  const lo = flip ? -b : a;
  const hi = flip ? -a : b;
  const v = flip ? f(1 - u) : u;
  const la = logQPos(lo);
  const d = f(logQPos(hi) - la);
  const s = f(f(1 - v) + f(v * fexp(d)));
  // s >= e^d; s below 1e-35 means 1 - v is ~0 and s = e^d (underflowed)
  const lq = f(la + (s > P_TINY ? flog(s) : d));
  let xi = lq >= LOG_P_LOW ? -ndtriCentral(f(fexp(lq) - 0.5)) : -ndtriTail(lq);
  xi = clampF(xi, lo, hi);
  return flip ? -xi : xi;
}

/** alpha and beta of one element (f32: (lo - mean) / std). */
export function standardise(lo: number, hi: number, mu: number, s: number): [number, number] {
  return [f(f(lo - mu) / s), f(f(hi - mu) / s)];
}

/** Below MILLS_CF the Mills quantities come from erfcx; from there on from the continued fraction. */
export const MILLS_CF = 2;

/**
 * T = M(x) - x and U = 1/T - x for x >= 0, M(x) = phi(x) / Q(x) the inverse Mills ratio, without cancellation:
 * from Laplace's continued fraction Q(x)/phi(x) = 1/(x + 1/(x + 2/(x + 3/(x + ...)))) follow
 * T = 1/(x + U) and U = 2/(x + 3/(x + 4/(x + ...))), evaluated backwards from 32 terms for x >= 2 (relative
 * error ~1e-7 in f32); below 2 directly from erfcx (no large cancellation there). Note x T = 1 - U T.
 */
export function millsTU(x: number): [T: number, U: number] {
  if (x < MILLS_CF) {
    const T = f(millsPos(x) - x);
    return [T, f(f(1 / T) - x)];
  }
  let t = 0;
  for (let k = 32; k >= 2; k--) t = f(k / f(x + t));
  return [f(1 / f(x + t)), t];
}

/** e * y, and 0 where e is 0 (y may then be huge: intervals far out). */
const scaleBy = (e: number, y: number) => (e === 0 ? 0 : f(e * y));

/**
 * The one-tail frame of [alpha, beta] when not alpha < 0 < beta: mirrored when beta <= 0 (x -> -x), so that
 * 0 <= a < b; e = Q(b)/Q(a) = exp(d), r = 1 - e, and the Mills quantities of both ends.
 */
interface TailFrame {
  flip: boolean;
  a: number;
  b: number;
  e: number;
  r: number;
  Ta: number;
  Ua: number;
  Tb: number;
  Ub: number;
}

function tailFrame(alpha: number, beta: number): TailFrame {
  const flip = beta <= 0;
  const a = flip ? -beta : alpha;
  const b = flip ? -alpha : beta;
  const d = f(logQPos(b) - logQPos(a));
  const [Ta, Ua] = millsTU(a);
  const [Tb, Ub] = millsTU(b);
  return { flip, a, b, e: fexp(d), r: oneMinusExp(d), Ta, Ua, Tb, Ub };
}

/**
 * log p(x) of one element and its partials w.r.t. mean and std (x is data): [value, d/dmean, d/dstd],
 *   log p = -xi^2/2 - log sqrt(2 pi) - log std - log Z,
 *   d/dmean = (xi - h_a + h_b) / std,   d/dstd = (xi^2 - 1 - alpha h_a + beta h_b) / std,
 * h_a = phi(alpha)/Z, h_b = phi(beta)/Z. When alpha < 0 < beta (DreamerV2: always) as written, with
 * Z = (erf(-alpha/sqrt 2) + erf(beta/sqrt 2)) / 2. In a one-tail frame (h_a = (a + T_a)/r, h_b = (b + T_b) e/r):
 *   log p = -(xi - a)(xi + a)/2 - log sqrt(2 pi) - log std - (log(erfcx(a/sqrt 2)/2) + log r),
 *   xi - h_a + h_b = [(xi - a) + e (b - xi + T_b) - T_a] / r,
 *   xi^2 - 1 - a h_a + b h_b = [(xi - a)(xi + a) - 1 - a T_a + e ((b - xi)(b + xi) + 1 + b T_b)] / r,
 * free of the a^2-sized cancellations of the direct forms (xi - a and b - xi as (x - lo)/std, (hi - x)/std);
 * mirroring negates d/dmean.
 */
export function logProbElem(x: number, mu: number, s: number, lo: number, hi: number): [number, number, number] {
  const [alpha, beta] = standardise(lo, hi, mu, s);
  const xi = f(f(x - mu) / s);
  const ls = flog(s);
  if (alpha < 0 && beta > 0) {
    const z = f(0.5 * f(erf(f(-alpha * SQRT1_2)) + erf(f(beta * SQRT1_2))));
    const ha = f(pdf(alpha) / z);
    const hb = f(pdf(beta) / z);
    const v = f(f(f(f(f(-0.5 * xi) * xi) - LOG_SQRT_2PI) - ls) - flog(z));
    return [v, f(f(f(xi - ha) + hb) / s), f(f(f(f(f(xi * xi) - 1) - f(alpha * ha)) + f(beta * hb)) / s)];
  }
  const t = tailFrame(alpha, beta);
  const x1 = t.flip ? -xi : xi;
  const dA = f(f(t.flip ? hi - x : x - lo) / s); // xi - a in the frame
  const dB = f(f(t.flip ? x - lo : hi - x) / s); // b - xi
  const lz = f(f(logErfcxPos(f(t.a * SQRT1_2)) - LN2) + flog(t.r)); // log Z + a^2/2
  const v = f(f(f(f(f(-0.5 * dA) * f(x1 + t.a)) - LOG_SQRT_2PI) - ls) - lz);
  const gm = f(f(f(f(dA + scaleBy(t.e, f(dB + t.Tb))) - t.Ta) / t.r) / s);
  const gs = f(f(f(f(f(f(dA * f(x1 + t.a)) - 1) - f(t.a * t.Ta)) + scaleBy(t.e, f(f(f(dB * f(t.b + x1)) + 1) + f(t.b * t.Tb)))) / t.r) / s);
  return [v, t.flip ? -gm : gm, gs];
}

/**
 * The entropy of one element and its partials w.r.t. mean and std: [value, d/dmean, d/dstd],
 *   H = log(sqrt(2 pi e) std Z) + (alpha h_a - beta h_b) / 2,
 *   dH/dmean = -(H_a + H_b) / std,   dH/dstd = (1 - alpha H_a - beta H_b) / std,
 *   H_a = dH/dalpha = h_a g_a / 2,  g_a = -1 - alpha^2 + alpha h_a - beta h_b,
 *   H_b = dH/dbeta = h_b g_b / 2,   g_b = 1 + beta^2 - alpha h_a + beta h_b
 * (from d log Z/d alpha = -h_a, d log Z/d beta = h_b, d h_a/d alpha = h_a (h_a - alpha), d h_a/d beta = -h_a h_b,
 * d h_b/d beta = -h_b (h_b + beta), d h_b/d alpha = h_a h_b, d alpha/dmean = -1/std, d alpha/dstd = -alpha/std).
 * In a one-tail frame (see logProbElem; D = (b - a)(b + a), and x T = 1 - U T):
 *   H - log(sqrt(2 pi e) std) = [a T_a - e (D + b T_b)] / (2 r) - log sqrt(2 pi) - log(a + T_a) + log r,
 *   g_a = [-U_a T_a + e (U_b T_b - D)] / r,   g_b = [U_a T_a + D - e U_b T_b] / r;
 * mirroring maps (H_a, H_b) to (-H_b, -H_a): it negates dH/dmean and keeps dH/dstd.
 */
export function entropyElem(mu: number, s: number, lo: number, hi: number): [number, number, number] {
  const [alpha, beta] = standardise(lo, hi, mu, s);
  const base = f(LOG_SQRT_2PIE + flog(s));
  if (alpha < 0 && beta > 0) {
    const z = f(0.5 * f(erf(f(-alpha * SQRT1_2)) + erf(f(beta * SQRT1_2))));
    const ha = f(pdf(alpha) / z);
    const hb = f(pdf(beta) / z);
    const v = f(f(base + flog(z)) + f(0.5 * f(f(alpha * ha) - f(beta * hb))));
    const Ha = f(f(0.5 * ha) * f(f(f(-1 - f(alpha * alpha)) + f(alpha * ha)) - f(beta * hb)));
    const Hb = f(f(0.5 * hb) * f(f(f(1 + f(beta * beta)) - f(alpha * ha)) + f(beta * hb)));
    return [v, f(-f(Ha + Hb) / s), f(f(f(1 - f(alpha * Ha)) - f(beta * Hb)) / s)];
  }
  const t = tailFrame(alpha, beta);
  const D = f(f(f(hi - lo) / s) * f(t.b + t.a));
  const UTa = f(t.Ua * t.Ta);
  const UTb = f(t.Ub * t.Tb);
  const Ma = f(t.a + t.Ta);
  const et = f(f(f(f(f(f(t.a * t.Ta) - scaleBy(t.e, f(D + f(t.b * t.Tb)))) / f(2 * t.r)) - LOG_SQRT_2PI) - flog(Ma)) + flog(t.r));
  const ga = f(f(scaleBy(t.e, f(UTb - D)) - UTa) / t.r);
  const gb = f(f(f(UTa + D) - scaleBy(t.e, UTb)) / t.r);
  const Ha = f(f(0.5 * f(Ma / t.r)) * ga);
  const Hb = f(f(0.5 * f(scaleBy(t.e, f(t.b + t.Tb)) / t.r)) * gb);
  const gm = f(-f(Ha + Hb) / s);
  return [f(base + et), t.flip ? -gm : gm, f(f(f(1 - f(t.a * Ha)) - f(t.b * Hb)) / s)];
}

/**
 * dx/dmean and dx/dstd of the (unclipped) sample x = mean + std xi at fixed u, by implicit differentiation of
 * F(x; mean, std) = u (the derivation is in truncnorm.ts):
 *   dx/dmean = 1 - w_a - w_b,   dx/dstd = xi - alpha w_a - beta w_b,
 *   w_a = (1 - u) phi(alpha) / phi(xi) = (1 - u) exp((xi - alpha)(xi + alpha) / 2),
 *   w_b = u phi(beta) / phi(xi) = u exp((xi - beta)(xi + beta) / 2),
 * as written when alpha < 0 < beta (density ratios as one exp of a product, exponents capped at 80). In a
 * one-tail frame w_a -> 1 and 1 - w_a - w_b cancels; there, with q = Q(xi)/Q(a) = 1 - u r (so 1 - u = (q - e)/r,
 * u = (1 - q)/r) and phi(y) = M(y) Q(y), M(y) = y + T(y):
 *   w_a = (q - e) M_a / (r q M_xi),   w_b = (1 - q) e M_b / (r q M_xi),
 *   dx/dmean = [q (M_xi - M_a) + e (M_a - M_b + q (M_b - M_xi))] / (r q M_xi),
 *   dx/dstd = xi dx/dmean + (xi - a) w_a + (xi - b) w_b,
 * with M_xi - M_a = (xi - a) + (T_xi - T_a) and so on (mirroring negates dx/dstd). [0, 0] where the sample sits
 * at an end that has no probability left (q below 1e-35).
 */
export function sampleJacobian(alpha: number, beta: number, u: number): [dmu: number, dsigma: number] {
  const xi = sampleXi(alpha, beta, u);
  if (alpha < 0 && beta > 0) {
    const ea = f(f(0.5 * f(xi - alpha)) * f(xi + alpha));
    const eb = f(f(0.5 * f(xi - beta)) * f(xi + beta));
    const wa = f(f(1 - u) * fexp(Math.min(ea, 80)));
    const wb = f(u * fexp(Math.min(eb, 80)));
    return [f(f(1 - wa) - wb), f(f(xi - f(alpha * wa)) - f(beta * wb))];
  }
  const t = tailFrame(alpha, beta);
  const v = t.flip ? f(1 - u) : u;
  const q = f(f(1 - v) + f(v * t.e));
  if (!(q > P_TINY)) return [0, 0];
  const x1 = t.flip ? -xi : xi;
  const [Tx] = millsTU(x1);
  const Mx = f(x1 + Tx);
  const Ma = f(t.a + t.Ta);
  const Mb = f(t.b + t.Tb);
  const dA = f(f(x1 - t.a) + f(Tx - t.Ta)); // M_xi - M_a
  const dB = f(f(t.b - x1) + f(t.Tb - Tx)); // M_b - M_xi
  const dAB = f(-f(f(t.b - t.a) + f(t.Tb - t.Ta))); // M_a - M_b
  const den = f(f(t.r * q) * Mx);
  const dm = f(f(f(q * dA) + scaleBy(t.e, f(dAB + f(q * dB)))) / den);
  const wa = f(f(f(q - t.e) * Ma) / den);
  const wb = f(scaleBy(t.e, f(f(1 - q) * Mb)) / den);
  const ds = f(f(f(x1 * dm) + f(f(x1 - t.a) * wa)) + f(f(x1 - t.b) * wb));
  return [dm, t.flip ? -ds : ds];
}

/** Phi^-1(exp(lp)) for lp < 0 (the special kernel's FN 6). */
export function ndtriLog(lp: number): number {
  return lp < LOG_P_LOW ? ndtriTail(lp) : ndtri(fexp(lp));
}
