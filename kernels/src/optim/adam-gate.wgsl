// The gate of one guarded Adam step, by one invocation, on the device (no readback):
//   S[0]: the squared global gradient norm (sumOfSquares of every gradient of the step).
//   C: the optimiser's counters, i32, updated in place: C[0] applied steps, C[1] skipped steps, C[2] consecutive
//      skipped steps (reset to 0 by an applied step).
//   Y: the gate read by every adam dispatch of the step (gated variant of adam.wgsl): [scale, finite, bc1, bc2].
// S[0] is NaN or +-Inf when any gradient element is (or when the f32 sum of squares overflows, a global norm
// above ~1.8e19): then the step is skipped: finite = 0, C[0] stays, C[1] and C[2] count it. Otherwise
// C[0] = t = C[0] + 1, C[2] = 0, scale = min(1, maxNorm / (sqrt(S[0]) + 1e-6)) (1 when clip is 0) and the bias
// corrections are bc = 1 - b^t for the step t that is applied, so skipped steps do not advance them.
// Finiteness is tested on the bits: comparisons with NaN may be folded away by the shader compiler.
struct Params {
  maxNorm: f32,
  clip: u32,
  lnb1: f32,
  lnb2: f32,
}

@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> C: array<i32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

// oneMinusPow(lnb, t) = 1 - b^t: one-minus-pow.wgsl, prepended by optim-kernel.ts.

@compute @workgroup_size(1)
fn main() {
  let s = S[0];
  if ((bitcast<u32>(s) & 0x7f800000u) == 0x7f800000u) {
    C[1] = C[1] + 1;
    C[2] = C[2] + 1;
    Y[0] = 0.0;
    Y[1] = 0.0;
    Y[2] = 1.0;
    Y[3] = 1.0;
    return;
  }
  let t = C[0] + 1;
  C[0] = t;
  C[2] = 0;
  var scale = 1.0;
  if (u.clip != 0u) { scale = min(1.0, u.maxNorm / (sqrt(s) + 1e-6)); }
  Y[0] = scale;
  Y[1] = 1.0;
  Y[2] = oneMinusPow(u.lnb1, f32(t));
  Y[3] = oneMinusPow(u.lnb2, f32(t));
}
