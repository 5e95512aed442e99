// Helpers of the UNARY_GRAD expressions (binary-defs.ts), prepended to every shader that evaluates them
// (unary-grad.wgsl, matmul/epilogue-grad.wgsl), after webgpu/ieee.wgsl.

//#include sigmoid

// isNanF and powf: webgpu/ieee.wgsl, which binary-kernel.ts and epilogue.ts prepend with this file.
