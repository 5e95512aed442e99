// LayerNorm forward over the last axis of a [rows, cols] view:
//   mean = sum(x) / cols, var = sum((x - mean)^2) / cols, rstd = 1 / sqrt(var + eps)
//   y = (x - mean) * rstd * gamma + beta        (gamma / beta only where flags bit 0 / bit 1 is set)
// T threads cooperate on one row (T = 1: one thread per row, no barriers; best on lavapipe where barriers are
// costly and rows are many). WG / T rows per workgroup. The sum is taken of x - x[0] (a shift by the row's first
// element) so a large common offset does not cost f32 precision; the variance is a second, centred pass.

struct Params {
  rows: u32,
  cols: u32,
  eps: f32,
  flags: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> Bt: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read_write> MEAN: array<f32>;
@group(0) @binding(5) var<storage, read_write> RSTD: array<f32>;
@group(0) @binding(6) var<uniform> u: Params;

override WG: u32 = 64;
// threads per row: a power of two dividing WG
override T: u32 = 1;

// rowSum: the sum of v over the T lanes of this thread's row (every lane gets it). Call from uniform control flow.
//#include row-sum ELEM=f32

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let lane = lid % T;
  let row = (wid.x + wid.y * nwg.x) * (WG / T) + lid / T;
  let live = row < u.rows;
  let C = u.cols;
  let base = row * C;
  var shift = 0.0;
  var s = 0.0;
  if (live) {
    shift = X[base];
    for (var c = lane; c < C; c += T) { s += X[base + c] - shift; }
  }
  let mean = shift + rowSum(lid, lane, s) / f32(C);
  var v = 0.0;
  if (live) {
    for (var c = lane; c < C; c += T) {
      let d = X[base + c] - mean;
      v += d * d;
    }
  }
  let rstd = inverseSqrt(rowSum(lid, lane, v) / f32(C) + u.eps);
  if (!live) { return; }
  if (lane == 0u) {
    MEAN[row] = mean;
    RSTD[row] = rstd;
  }
  let hasG = (u.flags & 1u) != 0u;
  let hasB = (u.flags & 2u) != 0u;
  for (var c = lane; c < C; c += T) {
    var y = (X[base + c] - mean) * rstd;
    if (hasG) { y *= G[c]; }
    if (hasB) { y += Bt[c]; }
    Y[base + c] = y;
  }
}
