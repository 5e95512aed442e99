// Helpers of the UNARY_GRAD expressions (binary-defs.ts), prepended to every shader that evaluates them
// (unary-grad.wgsl, matmul/epilogue-grad.wgsl).

// sigmoid through exp(-|x|) so neither branch overflows
fn sigm(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

// Math.pow semantics (see binary.wgsl)
fn powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a < 0.0 && b == round(b)) {
    let r = pow(-a, b);
    return select(r, -r, abs(b) % 2.0 == 1.0);
  }
  return pow(a, b);
}
