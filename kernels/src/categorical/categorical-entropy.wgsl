// Entropy H(p) = -sum p log p of categoricals given logits over the last axis, summed over the last two axes:
// one workgroup per group of V rows, threads stride over rows, then a workgroup tree reduction (as categorical-kl).
// Without unimix H = log s - sum p (x - m) (log-softmax form); with unimix p = (1 - u) softmax + u / C.
// isInfF: webgpu/ieee.wgsl, prepended by categorical-kernel.ts.

struct Params {
  groups: u32,
  V: u32,
  C: u32,
  unimix: f32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> H: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 64;   // a power of two <= 64
var<workgroup> red: array<f32, 64>;

fn row_entropy(row: u32) -> f32 {
  let C = u.C;
  let base = row * C;
  var m = A[base];
  for (var c = 1u; c < C; c++) { m = max(m, A[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < C; c++) { s += exp(A[base + c] - m); }
  var h = 0.0;
  if (u.unimix == 0.0) {
    var e = 0.0;
    for (var c = 0u; c < C; c++) {
      let d = A[base + c] - m;
      e += select(exp(d) * d, 0.0, isInfF(d));   // a -inf logit has p = 0: 0 log 0 = 0, not 0 * -inf
    }
    h = log(s) - e / s;
  } else {
    let om = 1.0 - u.unimix;
    let fl = u.unimix / f32(C);
    for (var c = 0u; c < C; c++) {
      let p = om * (exp(A[base + c] - m) / s) + fl;
      h -= p * log(p);
    }
  }
  return h;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.groups) { return; }
  var acc = 0.0;
  for (var r = lid; r < u.V; r += WG) {
    acc += row_entropy(g * u.V + r);
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { H[g] = red[0]; }
}
