// Y = gather(X, I, axis): X viewed as [outer, A, inner], Y as [outer, K, inner] with K = size(I):
// Y[o, k, r] = X[o, I[k], r], and the word FILL when I[k] is outside [0, A) (NaN for f32, 0 for i32 and u8).
// f32/i32 move as raw words, one invocation per element. u8 (U8 = 1): one invocation per packed output word.

struct Params {
  n: u32,
  inner: u32,
  K: u32,
  A: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> Y: array<u32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 256;
override U8: u32 = 0;
override FILL: u32 = 0;

// Source element of output element e, or 0xffffffff when its index is out of range.
fn source(e: u32) -> u32 {
  let r = e % u.inner;
  let t = e / u.inner;
  let k = t % u.K;
  let o = t / u.K;
  let a = I[k];
  if (a < 0 || u32(a) >= u.A) { return 0xffffffffu; }
  return (o * u.A + u32(a)) * u.inner + r;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (U8 == 0u) {
    if (i >= u.n) { return; }
    let s = source(i);
    var v = FILL;
    if (s != 0xffffffffu) { v = X[s]; }
    Y[i] = v;
  } else {
    if (i * 4u >= u.n) { return; }
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let e = i * 4u + j;
      if (e >= u.n) { break; }
      let s = source(e);
      if (s != 0xffffffffu) { word |= ((X[s >> 2u] >> ((s & 3u) * 8u)) & 0xffu) << (j * 8u); }
    }
    Y[i] = word;
  }
}
