// Shared by adam-gate.wgsl and adam-gate-sum.wgsl (prepended to their source by optim-kernel.ts).
// 1 - b^t = -expm1(t ln b), with ln b (<= 0, from the host in double, clamped at -200) as f32. For |x| < 1 a
// Horner-form Taylor series of expm1 (13 terms: truncation below 2e-10) avoids the cancellation of 1 - exp(x),
// which loses 1e-4 relative at x = -1e-3 (b2 = 0.999, t = 1); beyond, 1 - exp(x) >= 0.63 loses nothing.
fn oneMinusPow(lnb: f32, t: f32) -> f32 {
  let x = lnb * t;
  if (x > -1.0) {
    var s = 1.0;
    for (var k = 13u; k >= 2u; k--) { s = 1.0 + s * x / f32(k); }
    return -x * s;
  }
  return 1.0 - exp(x);
}
