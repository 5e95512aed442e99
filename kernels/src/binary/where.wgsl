// y = cond != 0 ? a : b with NumPy broadcasting of all three (see binary.wgsl for the stride scheme;
// k* are the condition's strides). NaN conditions count as true (NaN != 0).

struct Params {
  n: u32,
  rank: u32,
  ko: u32,
  ao: u32,
  bo: u32,
  d0: u32,
  d1: u32,
  d2: u32,
  d3: u32,
  d4: u32,
  k0: u32,
  k1: u32,
  k2: u32,
  k3: u32,
  k4: u32,
  a0: u32,
  a1: u32,
  a2: u32,
  a3: u32,
  a4: u32,
  b0: u32,
  b1: u32,
  b2: u32,
  b3: u32,
  b4: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> K: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  var r = i;
  var ik = 0u;
  var ia = 0u;
  var ib = 0u;
  if (u.rank > 1u) {
    var q = r / u.d0; var c = r - q * u.d0; ik += c * u.k0; ia += c * u.a0; ib += c * u.b0; r = q;
    if (u.rank > 2u) {
      q = r / u.d1; c = r - q * u.d1; ik += c * u.k1; ia += c * u.a1; ib += c * u.b1; r = q;
      if (u.rank > 3u) {
        q = r / u.d2; c = r - q * u.d2; ik += c * u.k2; ia += c * u.a2; ib += c * u.b2; r = q;
        if (u.rank > 4u) {
          q = r / u.d3; c = r - q * u.d3; ik += c * u.k3; ia += c * u.a3; ib += c * u.b3; r = q;
          if (u.rank > 5u) {
            q = r / u.d4; c = r - q * u.d4; ik += c * u.k4; ia += c * u.a4; ib += c * u.b4; r = q;
          }
        }
      }
    }
  }
  ik += r * u.ko;
  ia += r * u.ao;
  ib += r * u.bo;
  let k = K[ik];
  // cond != 0 with NaN as true: !(k == 0) (NaN == 0 is false)
  Y[i] = select(B[ib], A[ia], !(k == 0.0));
}
