// The actor head of DreamerV2's truncated normal, shared by the truncnorm-head-*.wgsl kernels: the actor's
// output OUT [rows, 2A] = [m | s] (mean and std pre-activations side by side) gives, elementwise,
//   mean = tanh(m),   std = span * sigmoid(s / 2) + minStd     (span = maxStd - minStd)
// with the unary kernels' own expressions (tanh clamped at +-15, sigmoid by the sign of x, affine p0 x + p1),
// and the gradients through it: dm = dmean (1 - mean^2), ds = dstd span sig (1 - sig) / 2 (sig at s / 2), in the
// unary_grad kernels' order of operations; NaN in, NaN out, as those (clampN, isNanF: webgpu/ieee.wgsl). Element i = row * A + c of the [rows, A] distribution reads
// OUT[row * 2A + c] (m) and OUT[row * 2A + A + c] (s). The uniform block of every head kernel is this Params (head-kernel.ts writes it); each binds it as `prm`.

struct Params {
  n: u32,
  A: u32,
  lo: f32,
  hi: f32,
  clip: f32,
  minStd: f32,
  span: f32,
  acc: u32,
}

fn hm(i: u32) -> u32 { return (i / prm.A) * 2u * prm.A + i % prm.A; }
fn headMean(m: f32) -> f32 { return tanhN(m); }
fn headStd(s: f32) -> f32 {
  let x = 0.5 * s + 0.0;
  return prm.span * select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0) + prm.minStd;
}
fn headDm(m: f32, dmean: f32) -> f32 {
  let c = clampN(m, -15.0, 15.0);
  return dmean * (1.0 - tanh(c) * tanh(c));
}
fn headDs(s: f32, dstd: f32) -> f32 {
  let x = 0.5 * s + 0.0;
  let e = exp(-abs(x));
  let g = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
  return (dstd * prm.span) * g * (1.0 - g) * 0.5;
}
