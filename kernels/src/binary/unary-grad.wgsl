// dx = dy * f'(x) elementwise for the differentiable unary ops (x, dy, dx all the same shape).
// The expression is substituted for {{EXPR}} (see UNARY_GRAD in binary-defs.ts); p0, p1 are the forward op's
// parameters (ELU alpha, affine scale, pow exponent, clamp bounds).

struct Params {
  n: u32,
  p0: f32,
  p1: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 256;

// sigm and powf (used by the expressions): unary-grad-helpers.wgsl, prepended by binary-kernel.ts.

fn g(x: f32, dy: f32, p0: f32, p1: f32) -> f32 {
  return {{EXPR}};
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  DX[i] = g(X[i], DY[i], u.p0, u.p1);
}
