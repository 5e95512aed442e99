// Gradients of sum_g dkl[g] KL_g(p || q) w.r.t. both logits (KL as in categorical-kl.wgsl), scaled by wP and wQ.
// One thread per row of C. With s = softmax(a), t = softmax(b), p = (1 - u) s + u/C, q = (1 - u) t + u/C:
//   dA = wP dkl (1 - u) s * (g - <s, g>),     g = log p - log q
//   dB = wQ dkl (1 - u) (th - t <1, th>),     th = -t p / q   (= -s when u = 0, so dB = wQ dkl (t - s))
// A weight of 0 drops its output: lines tagged [dp] / [dq] are removed and the bindings renumbered
// ({{B_DQ}}, {{B_U}}) by the template in categorical-kernel.ts.

struct Params {
  rows: u32,
  V: u32,
  C: u32,
  unimix: f32,
  wP: f32,
  wQ: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> DKL: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> DA: array<f32>; // [dp]
@group(0) @binding({{B_DQ}}) var<storage, read_write> DB: array<f32>; // [dq]
@group(0) @binding({{B_U}}) var<uniform> u: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * WG);
  if (row >= u.rows) { return; }
  let C = u.C;
  let base = row * C;
  let d = DKL[row / u.V];
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
  let la = log(sa);
  let lb = log(sb);
  let om = 1.0 - u.unimix;
  let fl = u.unimix / f32(C);
  let mixed = u.unimix != 0.0;

  // Pass 1: <s, g> and <1, th>.
  var dotp = 0.0;
  var dotq = 0.0;
  for (var c = 0u; c < C; c++) {
    let da = A[base + c] - ma;
    let db = B[base + c] - mb;
    let s = exp(da) / sa;
    let t = exp(db) / sb;
    let p = om * s + fl;
    let q = om * t + fl;
    let g = select((da - la) - (db - lb), log(p) - log(q), mixed);
    dotp += s * g;
    dotq += select(-s, -t * p / q, mixed);
  }
  // Pass 2: write.
  let kp = u.wP * d * om;
  let kq = u.wQ * d * om;
  for (var c = 0u; c < C; c++) {
    let da = A[base + c] - ma;
    let db = B[base + c] - mb;
    let s = exp(da) / sa;
    let t = exp(db) / sb;
    let p = om * s + fl;
    let q = om * t + fl;
    let g = select((da - la) - (db - lb), log(p) - log(q), mixed);
    let th = select(-s, -t * p / q, mixed);
    DA[base + c] = kp * s * (g - dotp); // [dp]
    DB[base + c] = kq * (th - t * dotq); // [dq]
  }
}
