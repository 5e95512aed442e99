// sigm(x) = 1 / (1 + e^-x), through e = exp(-|x|) so that neither branch overflows:
//   x >= 0: 1 / (1 + e);   x < 0: e / (1 + e).
fn sigm(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
