// Gradient of sum(dh * H) w.r.t. mean and std, one thread per element (tn_entropy = special.ts entropyElem):
//   H_a = h_a (-1 - alpha^2 + alpha h_a - beta h_b) / 2,  H_b = h_b (1 + beta^2 - alpha h_a + beta h_b) / 2,
//   dmean = -dh (H_a + H_b) / std,  dstd = dh (1 - alpha H_a - beta H_b) / std.

{{TRUNCNORM_MATH}}

struct Params {
  n: u32,
  A: u32,
  lo: f32,
  hi: f32,
}

@group(0) @binding(0) var<storage, read> DH: array<f32>;
@group(0) @binding(1) var<storage, read> M: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> DM: array<f32>;
@group(0) @binding(4) var<storage, read_write> DS: array<f32>;
@group(0) @binding(5) var<uniform> prm: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= prm.n) { return; }
  let g = tn_entropy(M[i], S[i], prm.lo, prm.hi);
  let dy = DH[i / prm.A];
  DM[i] = dy * g.y;
  DS[i] = dy * g.z;
}
