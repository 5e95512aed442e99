// Sums G partial results: Out[i] = sum_g P[g * L + i] for i < L (L in units of {{T}}, vec4<f32> when the element
// count is a multiple of 4). Used after conv-filter.wgsl and bias-grad.wgsl when their reduction is split.

struct Params {
  L: u32, G: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read> P: array<{{T}}>;        // [G, L]
@group(0) @binding(1) var<storage, read_write> Out: array<{{T}}>; // [L]
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.L) { return; }
  var acc = {{T}}(0.0);
  var j = i;
  for (var g = 0u; g < u.G; g++) {
    acc += P[j];
    j += u.L;
  }
  Out[i] = acc;
}
