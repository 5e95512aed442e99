// Helpers of the UNARY_GRAD expressions (binary-defs.ts), prepended to every shader that evaluates them
// (unary-grad.wgsl, matmul/epilogue-grad.wgsl), after webgpu/ieee.wgsl.

// sigmoid through exp(-|x|) so neither branch overflows
fn sigm(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

// isNanF and powf: webgpu/ieee.wgsl, which binary-kernel.ts and epilogue.ts prepend with this file.
