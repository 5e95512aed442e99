// Special functions and the truncated-normal core in f32, spliced into every truncnorm shader at
// {{TRUNCNORM_MATH}}. special.ts is the same code, operation for operation and in the same order, with f32
// rounding (its header gives the methods and their accuracy); the constants below come from it.
// Names end in _f where a bare name (erf, ...) might one day become a WGSL builtin.

{{TRUNCNORM_CONSTANTS}}

// P(t) of erfcx(z) = t exp(P(t)), t = 1 / (1 + z/2) (Numerical Recipes' erfcc).
fn erfcx_poly(t: f32) -> f32 {
  var p = ERFC_P[9];
  for (var k = 8; k >= 0; k--) { p = ERFC_P[k] + t * p; }
  return p;
}

// erfcx(z) = exp(z^2) erfc(z), z >= 0
fn erfcx_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * exp(erfcx_poly(t));
}

fn log_erfcx_pos(z: f32) -> f32 {
  let s = 1.0 + 0.5 * z;
  return erfcx_poly(1.0 / s) - log(s);
}

fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * exp(erfcx_poly(t) - z * z);
}

fn erf_f(z: f32) -> f32 {
  let a = abs(z);
  if (a < 0.5) {
    let w = z * z;
    var p = ERF_T[6];
    for (var k = 5; k >= 0; k--) { p = ERF_T[k] + w * p; }
    return (TWO_OVER_SQRT_PI * z) * p;
  }
  let v = 1.0 - erfc_pos(a);
  return select(v, -v, z < 0.0);
}

fn erfc_f(z: f32) -> f32 {
  if (z >= 0.0) { return erfc_pos(z); }
  return 2.0 - erfc_pos(-z);
}

// Q(x) = 1 - Phi(x), x >= 0
fn q_pos(x: f32) -> f32 {
  return 0.5 * erfc_pos(x * SQRT1_2);
}

fn ndtr_f(x: f32) -> f32 {
  if (x < 0.0) { return q_pos(-x); }
  return 1.0 - q_pos(x);
}

// log Q(x), x >= 0
fn log_q_pos(x: f32) -> f32 {
  return (log_erfcx_pos(x * SQRT1_2) - LN2) - (0.5 * x) * x;
}

// log(1 + y), |y| <= 1/2, as 2 atanh(y / (2 + y)) (special.ts log1pSmall)
fn log1p_small(y: f32) -> f32 {
  let w = y / (2.0 + y);
  let w2 = w * w;
  var p: f32 = 1.0 / 15.0;
  p = 1.0 / 13.0 + w2 * p;
  p = 1.0 / 11.0 + w2 * p;
  p = 1.0 / 9.0 + w2 * p;
  p = 1.0 / 7.0 + w2 * p;
  p = 1.0 / 5.0 + w2 * p;
  p = 1.0 / 3.0 + w2 * p;
  p = 1.0 + w2 * p;
  return (2.0 * w) * p;
}

fn log_ndtr_f(x: f32) -> f32 {
  if (x < 0.0) { return log_q_pos(-x); }
  return log1p_small(-q_pos(x));
}

// phi(x) / Q(x), x >= 0
fn mills_pos(x: f32) -> f32 {
  return SQRT_2_OVER_PI / erfcx_pos(x * SQRT1_2);
}

fn npdf(x: f32) -> f32 {
  return INV_SQRT_2PI * exp((-0.5 * x) * x);
}

// 1 - exp(d), d <= 0
fn one_minus_exp(d: f32) -> f32 {
  if (d > -0.35) {
    var p: f32 = 1.0 / 40320.0;
    p = 1.0 / 5040.0 + d * p;
    p = 1.0 / 720.0 + d * p;
    p = 1.0 / 120.0 + d * p;
    p = 1.0 / 24.0 + d * p;
    p = 1.0 / 6.0 + d * p;
    p = 0.5 + d * p;
    p = 1.0 + d * p;
    return -d * p;
  }
  return 1.0 - exp(d);
}

// Phi^-1(1/2 + q), |q| <= 0.47575 (Giles' erfinv, central branch)
fn ndtri_central(q: f32) -> f32 {
  let y = 2.0 * q;
  let w = -log((1.0 - y) * (1.0 + y)) - 2.5;
  var p = ERFINV_G[0];
  for (var k = 1; k < 9; k++) { p = ERFINV_G[k] + p * w; }
  return (p * y) * SQRT2;
}

// Phi^-1(exp(lp)), lp <= log 0.02425 (Acklam's tail, then one Newton step on log Phi)
fn ndtri_tail(lp: f32) -> f32 {
  let r = sqrt(-2.0 * lp);
  var num = ACKLAM_C[0];
  for (var k = 1; k < 6; k++) { num = num * r + ACKLAM_C[k]; }
  var den = ACKLAM_D[0];
  for (var k = 1; k < 4; k++) { den = den * r + ACKLAM_D[k]; }
  den = den * r + 1.0;
  let x = num / den;
  let g = log_q_pos(-x) - lp;
  return x - (g * erfcx_pos(-x * SQRT1_2)) / SQRT_2_OVER_PI;
}

fn ndtri_f(p: f32) -> f32 {
  if (p < P_LOW) { return ndtri_tail(log(p)); }
  if (p <= 1.0 - P_LOW) { return ndtri_central(p - 0.5); }
  return -ndtri_tail(log(1.0 - p));
}

// xi = (x - mean) / std of the sample at uniform u on [a, b] = [alpha, beta] (special.ts sampleXi).
fn sample_xi(a: f32, b: f32, u: f32) -> f32 {
  if (u <= 0.0) { return a; }
  if (u >= 1.0) { return b; }
  if (a < 0.0 && b > 0.0) {
    let ea = erf_f(-a * SQRT1_2);
    let eb = erf_f(b * SQRT1_2);
    let z = 0.5 * (ea + eb);
    let q = u * z - 0.5 * ea;
    var xi: f32;
    if (abs(q) <= Q_CENTRAL) {
      xi = ndtri_central(q);
    } else if (q < 0.0) {
      let p = q_pos(-a) + u * z;
      if (p < P_TINY) { xi = a; } else { xi = ndtri_tail(log(p)); }
    } else {
      let p = q_pos(b) + (1.0 - u) * z;
      if (p < P_TINY) { xi = b; } else { xi = -ndtri_tail(log(p)); }
    }
    return clampN(xi, a, b);
  }
  let flip = b <= 0.0;
  let lo = select(a, -b, flip);
  let hi = select(b, -a, flip);
  let v = select(u, 1.0 - u, flip);
  let la = log_q_pos(lo);
  let d = log_q_pos(hi) - la;
  let s = (1.0 - v) + v * exp(d);
  var ls = d;
  if (s > P_TINY) { ls = log(s); }
  let lq = la + ls;
  var xi: f32;
  if (lq >= LOG_P_LOW) { xi = -ndtri_central(exp(lq) - 0.5); } else { xi = -ndtri_tail(lq); }
  xi = clampN(xi, lo, hi);
  return select(xi, -xi, flip);
}

// T = M(x) - x, U = 1/T - x for x >= 0 (special.ts millsTU): erfcx below 2, else 32 terms of the continued fraction.
fn mills_tu(x: f32) -> vec2<f32> {
  if (x < 2.0) {
    let T = mills_pos(x) - x;
    return vec2<f32>(T, 1.0 / T - x);
  }
  var t: f32 = 0.0;
  for (var k = 32; k >= 2; k--) { t = f32(k) / (x + t); }
  return vec2<f32>(1.0 / (x + t), t);
}

// e * y, 0 where e is 0 (y may then be huge)
fn scale_by(e: f32, y: f32) -> f32 {
  return select(e * y, 0.0, e == 0.0);
}

// The one-tail frame (special.ts tailFrame): mirrored when beta <= 0 so that 0 <= a < b; e = Q(b)/Q(a), r = 1 - e.
struct TailFrame {
  flip: bool,
  a: f32,
  b: f32,
  e: f32,
  r: f32,
  Ta: f32,
  Ua: f32,
  Tb: f32,
  Ub: f32,
}

fn tail_frame(alpha: f32, beta: f32) -> TailFrame {
  let flip = beta <= 0.0;
  let a = select(alpha, -beta, flip);
  let b = select(beta, -alpha, flip);
  let d = log_q_pos(b) - log_q_pos(a);
  let tua = mills_tu(a);
  let tub = mills_tu(b);
  return TailFrame(flip, a, b, exp(d), one_minus_exp(d), tua.x, tua.y, tub.x, tub.y);
}

// (log p(x), d/dmean, d/dstd) of one element (special.ts logProbElem).
fn tn_logprob(x: f32, mu: f32, s: f32, lo: f32, hi: f32) -> vec3<f32> {
  let alpha = (lo - mu) / s;
  let beta = (hi - mu) / s;
  let xi = (x - mu) / s;
  let ls = log(s);
  if (alpha < 0.0 && beta > 0.0) {
    let z = 0.5 * (erf_f(-alpha * SQRT1_2) + erf_f(beta * SQRT1_2));
    let ha = npdf(alpha) / z;
    let hb = npdf(beta) / z;
    let v = ((((-0.5 * xi) * xi) - LOG_SQRT_2PI) - ls) - log(z);
    return vec3<f32>(v, ((xi - ha) + hb) / s, ((((xi * xi) - 1.0) - alpha * ha) + beta * hb) / s);
  }
  let t = tail_frame(alpha, beta);
  let x1 = select(xi, -xi, t.flip);
  let dA = select(x - lo, hi - x, t.flip) / s;
  let dB = select(hi - x, x - lo, t.flip) / s;
  let lz = (log_erfcx_pos(t.a * SQRT1_2) - LN2) + log(t.r);
  let v = ((((-0.5 * dA) * (x1 + t.a)) - LOG_SQRT_2PI) - ls) - lz;
  let gm = (((dA + scale_by(t.e, dB + t.Tb)) - t.Ta) / t.r) / s;
  let near = ((dA * (x1 + t.a)) - 1.0) - t.a * t.Ta;
  let far = ((dB * (t.b + x1)) + 1.0) + t.b * t.Tb;
  let gs = ((near + scale_by(t.e, far)) / t.r) / s;
  return vec3<f32>(v, select(gm, -gm, t.flip), gs);
}

// (H, dH/dmean, dH/dstd) of one element (special.ts entropyElem).
fn tn_entropy(mu: f32, s: f32, lo: f32, hi: f32) -> vec3<f32> {
  let alpha = (lo - mu) / s;
  let beta = (hi - mu) / s;
  let base = LOG_SQRT_2PIE + log(s);
  if (alpha < 0.0 && beta > 0.0) {
    let z = 0.5 * (erf_f(-alpha * SQRT1_2) + erf_f(beta * SQRT1_2));
    let ha = npdf(alpha) / z;
    let hb = npdf(beta) / z;
    let v = (base + log(z)) + 0.5 * (alpha * ha - beta * hb);
    let Ha = (0.5 * ha) * (((-1.0 - alpha * alpha) + alpha * ha) - beta * hb);
    let Hb = (0.5 * hb) * (((1.0 + beta * beta) - alpha * ha) + beta * hb);
    return vec3<f32>(v, -(Ha + Hb) / s, ((1.0 - alpha * Ha) - beta * Hb) / s);
  }
  let t = tail_frame(alpha, beta);
  let D = ((hi - lo) / s) * (t.b + t.a);
  let UTa = t.Ua * t.Ta;
  let UTb = t.Ub * t.Tb;
  let Ma = t.a + t.Ta;
  let et = ((((t.a * t.Ta - scale_by(t.e, D + t.b * t.Tb)) / (2.0 * t.r)) - LOG_SQRT_2PI) - log(Ma)) + log(t.r);
  let ga = (scale_by(t.e, UTb - D) - UTa) / t.r;
  let gb = ((UTa + D) - scale_by(t.e, UTb)) / t.r;
  let Ha = (0.5 * (Ma / t.r)) * ga;
  let Hb = (0.5 * (scale_by(t.e, t.b + t.Tb) / t.r)) * gb;
  let gm = -(Ha + Hb) / s;
  return vec3<f32>(base + et, select(gm, -gm, t.flip), ((1.0 - t.a * Ha) - t.b * Hb) / s);
}

// (dx/dmean, dx/dstd) of the unclipped sample at u (special.ts sampleJacobian).
fn tn_sample_jacobian(alpha: f32, beta: f32, u: f32) -> vec2<f32> {
  let xi = sample_xi(alpha, beta, u);
  if (alpha < 0.0 && beta > 0.0) {
    let ea = (0.5 * (xi - alpha)) * (xi + alpha);
    let eb = (0.5 * (xi - beta)) * (xi + beta);
    let wa = (1.0 - u) * exp(minN(ea, 80.0));
    let wb = u * exp(minN(eb, 80.0));
    return vec2<f32>((1.0 - wa) - wb, (xi - alpha * wa) - beta * wb);
  }
  let t = tail_frame(alpha, beta);
  let v = select(u, 1.0 - u, t.flip);
  let q = (1.0 - v) + v * t.e;
  if (!(q > P_TINY)) { return vec2<f32>(0.0, 0.0); }
  let x1 = select(xi, -xi, t.flip);
  let Tx = mills_tu(x1).x;
  let Mx = x1 + Tx;
  let Ma = t.a + t.Ta;
  let Mb = t.b + t.Tb;
  let dA = (x1 - t.a) + (Tx - t.Ta);
  let dB = (t.b - x1) + (t.Tb - Tx);
  let dAB = -((t.b - t.a) + (t.Tb - t.Ta));
  let den = (t.r * q) * Mx;
  let dm = (q * dA + scale_by(t.e, dAB + q * dB)) / den;
  let wa = ((q - t.e) * Ma) / den;
  let wb = scale_by(t.e, (1.0 - q) * Mb) / den;
  let ds = (x1 * dm + (x1 - t.a) * wa) + (x1 - t.b) * wb;
  return vec2<f32>(dm, select(ds, -ds, t.flip));
}
