// Copies one u8 input of a concatenation into its place in the packed output. The output is viewed as
// [outer, A, inner] and this input as [outer, len, inner], placed at axis offset off. One invocation per output
// word: it rebuilds the whole word, taking the bytes that belong to this input and keeping the others (written
// by the dispatches for the other inputs, which WebGPU orders before or after this one). So no two invocations
// of a dispatch touch the same word.

struct Params {
  n: u32,
  inner: u32,
  A: u32,
  off: u32,
  len: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Y: array<u32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = gid.x + gid.y * (nwg.x * WG);
  if (w * 4u >= u.n) { return; }
  var word = Y[w];
  for (var j = 0u; j < 4u; j++) {
    let e = w * 4u + j;
    if (e >= u.n) { break; }
    let r = e % u.inner;
    let t = e / u.inner;
    let a = t % u.A - u.off; // wraps when below off
    if (a < u.len) {
      let s = ((t / u.A) * u.len + a) * u.inner + r;
      let b = (X[s >> 2u] >> ((s & 3u) * 8u)) & 0xffu;
      word = (word & ~(0xffu << (j * 8u))) | (b << (j * 8u));
    }
  }
  Y[w] = word;
}
