// Partial sums of squares of one tensor: workgroup g reduces the CHUNK = WG * ITEMS elements
// [g * CHUNK, (g + 1) * CHUNK) and writes P[base + g]. Every tensor of a global-norm computation writes its own
// range of one shared partials buffer; sumsq-final.wgsl then adds the partials. Fixed order: deterministic.

struct Params {
  n: u32,
  base: u32,
  groups: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;
override ITEMS: u32 = 16;

var<workgroup> sh: array<f32, {{WG}}>;

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let g = wid.x + wid.y * nwg.x;
  let start = g * WG * ITEMS + lid;
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let e = start + k * WG; // coalesced: neighbouring invocations read neighbouring elements
    if (e < u.n) {
      let x = X[e];
      acc += x * x;
    }
  }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] += sh[lid + s]; }
    workgroupBarrier();
  }
  // Groups past `groups` exist only when the grid was folded into y; they must not write.
  if (lid == 0u && g < u.groups) { P[u.base + g] = sh[0]; }
}
