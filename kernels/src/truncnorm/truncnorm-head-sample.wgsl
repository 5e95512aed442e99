// truncnorm-sample.wgsl with mean and std from the actor head (truncnorm-head.wgsl): one thread per element.

{{TRUNCNORM_MATH}}

@group(0) @binding(0) var<storage, read> U: array<f32>;
@group(0) @binding(1) var<storage, read> OUT: array<f32>;
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
@group(0) @binding(3) var<uniform> prm: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= prm.n) { return; }
  let k = hm(i);
  let mu = headMean(OUT[k]);
  let s = headStd(OUT[k + prm.A]);
  let a = (prm.lo - mu) / s;
  let b = (prm.hi - mu) / s;
  let xi = sample_xi(a, b, U[i]);
  X[i] = clampN(mu + s * xi, prm.lo + prm.clip, prm.hi - prm.clip);
}
