// Elementwise y = f(a, b) with NumPy broadcasting.
// The expression for f is substituted for {{EXPR}} (see binary-defs.ts). Broadcasting is by strides
// (broadcast.ts): the output's dims are merged where both inputs walk them contiguously, so `rank` is usually
// 1 (same shapes, or a scalar operand: no index arithmetic) or 2 (a row vector against a matrix).
// Flat index i peels inner coordinates off innermost first (d0 is the innermost dim); what is left is the
// coordinate of the outermost merged dim, which moves a by ao and b by bo.

struct Params {
  n: u32,
  rank: u32,
  ao: u32,
  bo: u32,
  d0: u32,
  d1: u32,
  d2: u32,
  d3: u32,
  d4: u32,
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
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 256;

// isNanF, maxN, minN and powf (used by the expressions): webgpu/ieee.wgsl, prepended by binary-kernel.ts.

fn f(a: f32, b: f32) -> f32 {
  let nanAB = isNanF(a) || isNanF(b);
  return {{EXPR}};
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  var r = i;
  var ia = 0u;
  var ib = 0u;
  if (u.rank > 1u) {
    var q = r / u.d0; var c = r - q * u.d0; ia += c * u.a0; ib += c * u.b0; r = q;
    if (u.rank > 2u) {
      q = r / u.d1; c = r - q * u.d1; ia += c * u.a1; ib += c * u.b1; r = q;
      if (u.rank > 3u) {
        q = r / u.d2; c = r - q * u.d2; ia += c * u.a2; ib += c * u.b2; r = q;
        if (u.rank > 4u) {
          q = r / u.d3; c = r - q * u.d3; ia += c * u.a3; ib += c * u.b3; r = q;
          if (u.rank > 5u) {
            q = r / u.d4; c = r - q * u.d4; ia += c * u.a4; ib += c * u.b4; r = q;
          }
        }
      }
    }
  }
  ia += r * u.ao;
  ib += r * u.bo;
  Y[i] = f(A[ia], B[ib]);
}
