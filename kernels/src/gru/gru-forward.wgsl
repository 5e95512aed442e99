// DreamerV2 LayerNorm GRU cell, the part after the two matmuls (one row of the batch per T threads):
//   pre   = XW[b] + HW[b]                        (x @ Wx and h @ Wh, [B, 3H] each)
//   n     = (pre - mean) * rstd,  p = n * gamma + beta     (LayerNorm over the 3H features)
//   r     = sigmoid(p[0:H]),  c = tanh(r * p[H:2H]),  u = sigmoid(p[2H:3H] + updateBias)
//   hNew  = u * c + (1 - u) * h
// Saves for the backward: pre, and AUX = [(mean, rstd) per row (2B) | a copy of beta (3H)], so the backward
// does not depend on the caller's beta staying alive and unchanged. The mean is taken of pre - pre[0] (shifted) and the
// variance in a second, centred pass, as in norm/layernorm.wgsl.

struct Params {
  rows: u32,
  H: u32,
  eps: f32,
  ub: f32,
}

@group(0) @binding(0) var<storage, read> XW: array<f32>;
@group(0) @binding(1) var<storage, read> HW: array<f32>;
@group(0) @binding(2) var<storage, read> Hs: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> Bt: array<f32>;
@group(0) @binding(5) var<storage, read_write> HN: array<f32>;
@group(0) @binding(6) var<storage, read_write> PRE: array<f32>;
@group(0) @binding(7) var<storage, read_write> AUX: array<f32>;
@group(0) @binding(8) var<uniform> u: Params;

override WG: u32 = 64;
// threads per row: a power of two dividing WG
override T: u32 = 1;

//#include row-sum ELEM=f32
//#include ln-gru

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let lane = lid % T;
  let row = (wid.x + wid.y * nwg.x) * (WG / T) + lid / T;
  let live = row < u.rows;
  let H = u.H;
  let C = 3u * H;
  let base = row * C;
  var shift = 0.0;
  var s = 0.0;
  if (live) {
    shift = XW[base] + HW[base];
    for (var c = lane; c < C; c += T) { s += (XW[base + c] + HW[base + c]) - shift; }
  }
  let mean = shift + rowSum(lid, lane, s) / f32(C);
  var v = 0.0;
  if (live) {
    for (var c = lane; c < C; c += T) {
      let d = (XW[base + c] + HW[base + c]) - mean;
      v += d * d;
    }
  }
  let rstd = inverseSqrt(rowSum(lid, lane, v) / f32(C) + u.eps);
  if (!live) { return; }
  if (lane == 0u) {
    AUX[2u * row] = mean;
    AUX[2u * row + 1u] = rstd;
  }
  // the beta copy, spread over all live threads
  for (var c = row * T + lane; c < C; c += u.rows * T) { AUX[2u * u.rows + c] = Bt[c]; }
  for (var j = lane; j < H; j += T) {
    let ir = base + j;
    let ic = ir + H;
    let iu = ic + H;
    let pr = XW[ir] + HW[ir];
    let pc = XW[ic] + HW[ic];
    let pu = XW[iu] + HW[iu];
    PRE[ir] = pr;
    PRE[ic] = pc;
    PRE[iu] = pu;
    let n = (vec3(pr, pc, pu) - mean) * rstd;
    let gates = lnGruGates(n, vec3(G[j], G[j + H], G[j + 2u * H]), vec3(Bt[j], Bt[j + H], Bt[j + 2u * H]), u.ub);
    let hb = row * H + j;
    HN[hb] = lnGruState(gates, Hs[hb]);
  }
}
