// The backward of matmulAct's epilogue y = act(pre), pre = A B + bias, over an [R, N] product, in one dispatch:
//   DPRE[r, c] = dy * act'(pre)   (the UNARY_GRAD expression of act, as unary_grad computes it; DY if none)
//   DB[c] = sum_r DPRE[r, c]      (the bias gradient; with u.acc, added to the value DB holds)
// Workgroup: TC columns x TR row lanes; lane rl walks rows rl, rl + TR, ...; the TR lane sums of a column are
// then added in lane order (deterministic). Helpers (sigm, powf): unary-grad-helpers.wgsl, prepended.
// Template marker (double braces): EXPR, the derivative expression of x (pre), dy and p0 (1: elu's alpha).

struct Params {
  R: u32,
  N: u32,
  acc: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> PRE: array<f32>;
@group(0) @binding(2) var<storage, read_write> DPRE: array<f32>;
@group(0) @binding(3) var<storage, read_write> DB: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

override TC: u32 = 64;
override TR: u32 = 4;

var<workgroup> red: array<f32, TC * TR>;

fn g(x: f32, dy: f32, p0: f32) -> f32 {
  return {{EXPR}};
}

@compute @workgroup_size(TC * TR)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let col = (wid.x + wid.y * nwg.x) * TC + lid % TC;
  let rl = lid / TC;
  var acc = 0.0;
  if (col < u.N) {
    for (var r = rl; r < u.R; r += TR) {
      let i = r * u.N + col;
      let d = g(PRE[i], DY[i], 1.0);
      DPRE[i] = d;
      acc += d;
    }
  }
  red[lid] = acc;
  workgroupBarrier();
  if (rl == 0u && col < u.N) {
    var s = acc;
    for (var k = 1u; k < TR; k++) { s += red[lid + k * TC]; }
    DB[col] = select(s, DB[col] + s, u.acc != 0u);
  }
}
