// Reparameterised truncated-normal sample, one thread per element:
//   x = clamp(mean + std * xi, lo + clip, hi - clip),  xi = sample_xi(alpha, beta, u)  (truncnorm-math.wgsl),
// alpha = (lo - mean) / std, beta = (hi - mean) / std, u in [0, 1) the element's uniform.

{{TRUNCNORM_MATH}}

struct Params {
  n: u32,
  lo: f32,
  hi: f32,
  clip: f32,
}

@group(0) @binding(0) var<storage, read> U: array<f32>;
@group(0) @binding(1) var<storage, read> M: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;
@group(0) @binding(4) var<uniform> prm: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= prm.n) { return; }
  let mu = M[i];
  let s = S[i];
  let a = (prm.lo - mu) / s;
  let b = (prm.hi - mu) / s;
  let xi = sample_xi(a, b, U[i]);
  X[i] = clampN(mu + s * xi, prm.lo + prm.clip, prm.hi - prm.clip);
}
