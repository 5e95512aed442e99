// KL(p || q) of categoricals given logits over the last axis, summed over the last two axes (classes and rows of
// a group of V rows): one workgroup per group, its threads stride over the group's rows (one row each for
// V <= WG), then a workgroup tree reduction. With unimix u > 0 both sides are mixed: p = (1 - u) softmax + u / C.
// Without it the log-probabilities come from log-softmax (finite for any logits; identical logits give exactly 0).

struct Params {
  groups: u32,
  V: u32,
  C: u32,
  unimix: f32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> KL: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 64;   // a power of two <= 64
var<workgroup> red: array<f32, 64>;

fn row_kl(row: u32) -> f32 {
  let C = u.C;
  let base = row * C;
  var ma = A[base];
  var mb = B[base];
  for (var c = 1u; c < C; c++) {
    ma = max(ma, A[base + c]);
    mb = max(mb, B[base + c]);
  }
  var sa = 0.0;
  var sb = 0.0;
  for (var c = 0u; c < C; c++) {
    sa += exp(A[base + c] - ma);
    sb += exp(B[base + c] - mb);
  }
  var kl = 0.0;
  if (u.unimix == 0.0) {
    let la = log(sa);
    let lb = log(sb);
    for (var c = 0u; c < C; c++) {
      let da = A[base + c] - ma;
      kl += exp(da) / sa * ((da - la) - (B[base + c] - mb - lb));
    }
  } else {
    let om = 1.0 - u.unimix;
    let fl = u.unimix / f32(C);
    for (var c = 0u; c < C; c++) {
      let p = om * (exp(A[base + c] - ma) / sa) + fl;
      let q = om * (exp(B[base + c] - mb) / sb) + fl;
      kl += p * (log(p) - log(q));
    }
  }
  return kl;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.groups) { return; }
  var acc = 0.0;
  for (var r = lid; r < u.V; r += WG) {
    acc += row_kl(g * u.V + r);
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { KL[g] = red[0]; }
}
