// Elementwise unary map y = f(x) over a flat f32 array.
// The expression for f is substituted for the {{EXPR}} marker (a small template; see elementwise/spec.ts), with x the input
// element and p0, p1 two scalar parameters from the uniform block (e.g. ELU's alpha, affine scale/shift).

struct Params {
  n: u32,
  p0: f32,
  p1: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;

fn f(x: f32, p0: f32, p1: f32) -> f32 {
  return {{EXPR}};
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  Y[i] = f(X[i], u.p0, u.p1);
}
