// Gradient of sum(dlp * log p(x)) w.r.t. mean and std (x is data), one thread per element:
//   dmean = dlp (xi - h_a + h_b) / std,  dstd = dlp (xi^2 - 1 - alpha h_a + beta h_b) / std,
// h_a = phi(alpha) / Z, h_b = phi(beta) / Z (tn_logprob; one-tail intervals in cancellation-free form).

{{TRUNCNORM_MATH}}

struct Params {
  n: u32,
  A: u32,
  lo: f32,
  hi: f32,
}

@group(0) @binding(0) var<storage, read> DLP: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(4) var<storage, read_write> DM: array<f32>;
@group(0) @binding(5) var<storage, read_write> DS: array<f32>;
@group(0) @binding(6) var<uniform> prm: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= prm.n) { return; }
  let g = tn_logprob(X[i], M[i], S[i], prm.lo, prm.hi);
  let dy = DLP[i / prm.A];
  DM[i] = dy * g.y;
  DS[i] = dy * g.z;
}
