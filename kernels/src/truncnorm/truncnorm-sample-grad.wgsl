// Backward of the reparameterised sample (straight through the clip), one thread per element: recomputes xi
// from u exactly as the forward does, then dmean = dy dx/dmean, dstd = dy dx/dstd by implicit differentiation of
// F(x; mean, std) = u (tn_sample_jacobian; the derivation is in truncnorm.ts).

{{TRUNCNORM_MATH}}

struct Params {
  n: u32,
  lo: f32,
  hi: f32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
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
  let mu = M[i];
  let s = S[i];
  let uu = U[i];
  let j = tn_sample_jacobian((prm.lo - mu) / s, (prm.hi - mu) / s, uu);
  let dy = DY[i];
  DM[i] = dy * j.x;
  DS[i] = dy * j.y;
}
