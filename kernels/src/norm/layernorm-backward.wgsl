// LayerNorm backward for x over the last axis of a [rows, cols] view, given the forward's mean and rstd:
//   n = (x - mean) * rstd, dn = dy * gamma (dy where flags bit 0 is clear)
//   dx = rstd * (dn - mean(dn) - n * mean(dn * n))
// Same row layout as layernorm.wgsl: T threads per row, WG / T rows per workgroup.

struct Params {
  rows: u32,
  cols: u32,
  flags: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read> MEAN: array<f32>;
@group(0) @binding(4) var<storage, read> RSTD: array<f32>;
@group(0) @binding(5) var<storage, read_write> DX: array<f32>;
@group(0) @binding(6) var<uniform> u: Params;

override WG: u32 = 64;
override T: u32 = 1;

//#include row-sum ELEM=vec2<f32>
//#include layer-norm

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let lane = lid % T;
  let row = (wid.x + wid.y * nwg.x) * (WG / T) + lid / T;
  let live = row < u.rows;
  let C = u.cols;
  let base = row * C;
  let hasG = (u.flags & 1u) != 0u;
  var mean = 0.0;
  var rstd = 0.0;
  var acc = vec2(0.0);
  if (live) {
    mean = MEAN[row];
    rstd = RSTD[row];
    for (var c = lane; c < C; c += T) {
      let n = (X[base + c] - mean) * rstd;
      var dn = DY[base + c];
      if (hasG) { dn *= G[c]; }
      acc += vec2(dn, dn * n);
    }
  }
  let s = rowSum(lid, lane, acc) / f32(C);
  if (!live) { return; }
  for (var c = lane; c < C; c += T) {
    let n = (X[base + c] - mean) * rstd;
    var dn = DY[base + c];
    if (hasG) { dn *= G[c]; }
    DX[base + c] = layerNormGrad(dn, n, rstd, s.x, s.y);
  }
}
