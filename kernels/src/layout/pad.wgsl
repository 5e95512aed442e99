// Zero padding (the gradient of slice): Y has dims d0..d5 (row-major, unused leading dims 1); the element at
// coordinate c is X[sum((c_k - lo_k) * is_k)] when lo_k <= c_k < lo_k + sz_k on every axis, else 0.
// One invocation per output element, so every element is written exactly once. 32-bit words (f32 or i32).

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  lo0: u32, lo1: u32, lo2: u32, lo3: u32, lo4: u32, lo5: u32,
  sz0: u32, sz1: u32, sz2: u32, sz3: u32, sz4: u32, sz5: u32,
  is0: u32, is1: u32, is2: u32, is3: u32, is4: u32, is5: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Y: array<u32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  // c - lo wraps to a huge u32 when c < lo, so one unsigned compare per axis tests lo <= c < lo + sz.
  var r = i;
  var s = 0u;
  var inside = true;
  var c = r % u.d5 - u.lo5; r = r / u.d5; inside = inside && c < u.sz5; s += c * u.is5;
  c = r % u.d4 - u.lo4; r = r / u.d4; inside = inside && c < u.sz4; s += c * u.is4;
  c = r % u.d3 - u.lo3; r = r / u.d3; inside = inside && c < u.sz3; s += c * u.is3;
  c = r % u.d2 - u.lo2; r = r / u.d2; inside = inside && c < u.sz2; s += c * u.is2;
  c = r % u.d1 - u.lo1; r = r / u.d1; inside = inside && c < u.sz1; s += c * u.is1;
  c = r - u.lo0; inside = inside && c < u.sz0; s += c * u.is0;
  var v = 0u;
  if (inside) { v = X[s]; }
  Y[i] = v;
}
