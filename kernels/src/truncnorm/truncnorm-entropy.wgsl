// Entropy of independent truncated normals, summed over the last axis: one thread per row of A elements,
//   H = sum_c [ log(sqrt(2 pi e) std Z) + (alpha h_a - beta h_b) / 2 ]  (tn_entropy).

{{TRUNCNORM_MATH}}

struct Params {
  rows: u32,
  A: u32,
  lo: f32,
  hi: f32,
}

@group(0) @binding(0) var<storage, read> M: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> H: array<f32>;
@group(0) @binding(3) var<uniform> prm: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * WG);
  if (row >= prm.rows) { return; }
  var acc: f32 = 0.0;
  for (var c = 0u; c < prm.A; c++) {
    let i = row * prm.A + c;
    acc += tn_entropy(M[i], S[i], prm.lo, prm.hi).x;
  }
  H[row] = acc;
}
