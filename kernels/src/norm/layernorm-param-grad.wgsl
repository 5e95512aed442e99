// LayerNorm parameter gradients: column sums over the rows of a [rows, cols] view
//   dgamma[c] = sum_r dy[r, c] * (x[r, c] - mean[r]) * rstd[r],   dbeta[c] = sum_r dy[r, c]
// A workgroup owns TC adjacent columns (coalesced loads) and TR row lanes that stride over the rows; the TR
// partial sums meet in workgroup memory after one barrier.

struct Params {
  rows: u32,
  cols: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> MEAN: array<f32>;
@group(0) @binding(3) var<storage, read> RSTD: array<f32>;
@group(0) @binding(4) var<storage, read_write> DG: array<f32>;
@group(0) @binding(5) var<storage, read_write> DB: array<f32>;
@group(0) @binding(6) var<uniform> u: Params;

override TC: u32 = 64;
override TR: u32 = 4;

var<workgroup> red: array<vec2<f32>, TC * TR>;

@compute @workgroup_size(TC * TR)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let col = (wid.x + wid.y * nwg.x) * TC + lid % TC;
  let rl = lid / TC;
  let C = u.cols;
  var acc = vec2(0.0);
  if (col < C) {
    for (var r = rl; r < u.rows; r += TR) {
      let dy = DY[r * C + col];
      acc += vec2(dy * (X[r * C + col] - MEAN[r]) * RSTD[r], dy);
    }
  }
  red[lid] = acc;
  workgroupBarrier();
  if (rl == 0u && col < C) {
    var s = acc;
    for (var k = 1u; k < TR; k++) { s += red[lid + k * TC]; }
    DG[col] = s.x;
    DB[col] = s.y;
  }
}
