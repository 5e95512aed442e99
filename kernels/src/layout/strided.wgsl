// Strided copy: the one data-movement kernel behind permute, transpose, slice, broadcastTo and concat.
// A logical domain of n elements with dims d0..d5 (row-major, d5 fastest; unused leading dims are 1) maps each
// coordinate c to a source offset ioff + sum(c_k * is_k) and a destination offset ooff + sum(c_k * os_k).
// A stride of 0 repeats (broadcast). The host merges contiguous axes first, so most calls use few real dims.
//
// f32 and i32 are moved as raw 32-bit words (bit-exact, NaN payloads kept). u8 tensors are packed 4 per word:
// with U8 = 1 one invocation builds one whole destination word from 4 source bytes, so no two invocations
// write the same word (the host only uses U8 with a contiguous destination: os = row-major strides, ooff = 0).

struct Params {
  n: u32,
  ioff: u32,
  ooff: u32,
  _pad0: u32,
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  is0: u32, is1: u32, is2: u32, is3: u32, is4: u32, is5: u32,
  os0: u32, os1: u32, os2: u32, os3: u32, os4: u32, os5: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Y: array<u32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;
override U8: u32 = 0;

// (source offset, destination offset) of logical element i.
fn offsets(i: u32) -> vec2<u32> {
  var r = i;
  var s = u.ioff;
  var d = u.ooff;
  var c = r % u.d5; r = r / u.d5; s += c * u.is5; d += c * u.os5;
  c = r % u.d4; r = r / u.d4; s += c * u.is4; d += c * u.os4;
  c = r % u.d3; r = r / u.d3; s += c * u.is3; d += c * u.os3;
  c = r % u.d2; r = r / u.d2; s += c * u.is2; d += c * u.os2;
  c = r % u.d1; r = r / u.d1; s += c * u.is1; d += c * u.os1;
  s += r * u.is0; d += r * u.os0;
  return vec2<u32>(s, d);
}

fn byteAt(e: u32) -> u32 {
  return (X[e >> 2u] >> ((e & 3u) * 8u)) & 0xffu;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (U8 == 0u) {
    if (i >= u.n) { return; }
    let o = offsets(i);
    Y[o.y] = X[o.x];
  } else {
    // i is a destination word: elements 4i .. 4i+3.
    if (i * 4u >= u.n) { return; }
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let e = i * 4u + j;
      if (e < u.n) { word |= byteAt(offsets(e).x) << (j * 8u); }
    }
    Y[i] = word;
  }
}
