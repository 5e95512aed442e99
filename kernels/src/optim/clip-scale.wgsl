// Global-norm clipping factor, on the device: Y[0] = min(1, maxNorm / (sqrt(S[0]) + 1e-6)), S[0] = sum of squares.
struct Params {
  maxNorm: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

@compute @workgroup_size(1)
fn main() {
  Y[0] = min(1.0, u.maxNorm / (sqrt(S[0]) + 1e-6));
}
