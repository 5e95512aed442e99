// Y = convert(X * scale + shift) between f32, i32 and u8 (SRC, DST: 0 = f32, 1 = i32, 2 = u8).
// The value is computed in f32. To i32 and u8 it is rounded to nearest (ties to even) after clamping to the
// target's range (u8: 0..255; i32: -2^31 .. 2^31-128, the largest f32 below 2^31). NaN to an integer type is
// 0 (as the CPU reference; isNanF from webgpu/ieee.wgsl, prepended by cast-kernel.ts). Both buffers are bound as words: u8 is packed 4 per word, so with DST = u8 one invocation
// writes one whole output word (4 elements); otherwise one invocation per element.

struct Params {
  n: u32,
  scale: f32,
  shift: f32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Y: array<u32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;
override SRC: u32 = 0;
override DST: u32 = 0;

fn load(e: u32) -> f32 {
  if (SRC == 0u) { return bitcast<f32>(X[e]); }
  if (SRC == 1u) { return f32(bitcast<i32>(X[e])); }
  return f32((X[e >> 2u] >> ((e & 3u) * 8u)) & 0xffu);
}

fn value(e: u32) -> f32 {
  return load(e) * u.scale + u.shift;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (DST == 2u) {
    if (i * 4u >= u.n) { return; }
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let e = i * 4u + j;
      if (e >= u.n) { break; }
      let v = value(e);
      word |= u32(select(round(clamp(v, 0.0, 255.0)), 0.0, isNanF(v))) << (j * 8u);
    }
    Y[i] = word;
    return;
  }
  if (i >= u.n) { return; }
  let v = value(i);
  if (DST == 0u) {
    Y[i] = bitcast<u32>(v);
  } else {
    Y[i] = bitcast<u32>(i32(select(round(clamp(v, -2147483648.0, 2147483520.0)), 0.0, isNanF(v))));
  }
}
