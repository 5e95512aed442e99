// Y[0] = sum of the m partials in P, by one workgroup (strided per-invocation sums, then a tree): deterministic.
struct Params {
  m: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;

var<workgroup> sh: array<f32, {{WG}}>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < u.m; i += WG) { acc += P[i]; }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] += sh[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { Y[0] = sh[0]; }
}
