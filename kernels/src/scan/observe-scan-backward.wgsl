// Backward of observe-scan-forward.wgsl (BPTT): a workgroup runs RB batch rows (from b0) through the steps in
// reverse, their products together (matvec.ts), from
// DH = dL/dh_t and DZ = dL/dz_t [B, T, ...] (the gradients of the scan's outputs from outside) and what the
// forward saved (SV: its output buffer). The carries dhC, dzC (the gradients of h_t and z_t from step t + 1)
// live in the output buffer GO at gH and gZ; after the loop they hold dL/dH0 and dL/dZ0. Per step t:
//   dz = DZ[t] + dzC;  dlogits = (probs - u/C) (dz - <probs - u/C, dz> / (1 - u))     (straight-through, per group)
//   dxobs = dlogits Wp^T;  daobs = act'(aobs) dxobs
//   dh = DH[t] + dhC + daobs Wo^T
//   GRU: dc = dh u, du = dh (c - hp), dz' = dc (1 - c^2), dp_c = dz' r, dp_r = dz' p_c r (1 - r),
//        dp_u = du u (1 - u);  dn = dp gamma;  dpre = rstd (dn - mean(dn) - n mean(dn n))
//   dxin = dpre Wx^T;  dain = act'(ain) dxin
//   dhC = keep (dh (1 - u) + dpre Wh^T);  dzC = keep (dain Wz^T)       (no dzC term at t = 0 without a start)
// Saved for the weight gradients (matmuls over all B T rows outside): dain (gAin), daobs (gAobs), dlogits (gLog),
// dpre (gPre); per row b the sums over t of dp n (gG) and dp (gB), for dgamma and dbeta.
// Template markers (in double braces): ACTG (act's derivative of x, dy and p0; unaryGradWgsl), VT and WT (f32,
// or vec4<f32> in the vec4 form: SV's and GO's, and the weights' element types), ACCESS (lds, lds4 for SV; ldg,
// stg, ldg4 for GO), RB (rows per workgroup) and MV_* (the products; matvec.ts). gS: per row, the two LayerNorm
// backward sums of the current step. Needs webgpu/ieee.wgsl and
// binary/unary-grad-helpers.wgsl (sigm) prepended; the GRU cell is wgsl-lib/ln-gru.wgsl's.

//#include ln-gru

struct Params {
  B: u32,
  T: u32,
  D: u32,
  H: u32,
  S: u32,
  C: u32,
  hasStart: u32,
  unimix: f32,
  ub: f32,
  oHprev: u32,
  oAin: u32,
  oPre: u32,
  oStats: u32,
  oAobs: u32,
  oProbs: u32,
  gAin: u32,
  gAobs: u32,
  gLog: u32,
  gPre: u32,
  gG: u32,
  gB: u32,
  gH: u32,
  gZ: u32,
  gS: u32,
}

@group(0) @binding(0) var<storage, read> DH: array<f32>;
@group(0) @binding(1) var<storage, read> DZ: array<f32>;
@group(0) @binding(2) var<storage, read> SV: array<{{VT}}>;
@group(0) @binding(3) var<storage, read> FIRST: array<f32>;
@group(0) @binding(4) var<storage, read> WZ: array<{{WT}}>;
@group(0) @binding(5) var<storage, read> WX: array<{{WT}}>;
@group(0) @binding(6) var<storage, read> WH: array<{{WT}}>;
@group(0) @binding(7) var<storage, read> G: array<f32>;
@group(0) @binding(8) var<storage, read> BT: array<f32>;
@group(0) @binding(9) var<storage, read> WO: array<{{WT}}>;
@group(0) @binding(10) var<storage, read> WP: array<{{WT}}>;
@group(0) @binding(11) var<storage, read_write> GO: array<{{VT}}>;
@group(0) @binding(12) var<uniform> u: Params;

override WG: u32 = 32;
const RB: u32 = {{RB}}u;

fn actGrad(x: f32, dy: f32) -> f32 {
  let p0 = 1.0;
  return {{ACTG}};
}

{{ACCESS}}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let lid = lid3.x;
  let b0 = wid.x * RB;
  let D = u.D;
  let H = u.H;
  let C = u.C;
  let Z = u.S * C;
  let G3 = 3u * D;
  let nb = min(RB, u.B - b0); // valid rows of this workgroup
  for (var i = lid; i < nb * G3; i += WG) {
    stg(u.gG + b0 * G3 + i, 0.0);
    stg(u.gB + b0 * G3 + i, 0.0);
  }
  for (var i = lid; i < nb * D; i += WG) { stg(u.gH + b0 * D + i, 0.0); }
  for (var i = lid; i < nb * Z; i += WG) { stg(u.gZ + b0 * Z + i, 0.0); }
  storageBarrier();
  let fl = u.unimix / f32(C);
  for (var tt = 0u; tt < u.T; tt++) {
    let t = u.T - 1u - tt;
    let zeroStart = t == 0u && u.hasStart == 0u;
    // straight-through sample (categorical-sample-grad.wgsl's row), per (row, group)
    for (var i = lid; i < nb * u.S; i += WG) {
      let r = i / u.S;
      let sv = i - r * u.S;
      let b = b0 + r;
      let bt = b * u.T + t;
      let pb = u.oProbs + bt * Z + sv * C;
      let db = bt * Z + sv * C;
      let cb = u.gZ + b * Z + sv * C;
      var sd = 0.0;
      for (var c = 0u; c < C; c++) { sd += max(lds(pb + c) - fl, 0.0) * (DZ[db + c] + ldg(cb + c)); }
      sd = sd / (1.0 - u.unimix);
      for (var c = 0u; c < C; c++) { stg(u.gLog + db + c, max(lds(pb + c) - fl, 0.0) * ((DZ[db + c] + ldg(cb + c)) - sd)); }
    }
    storageBarrier();
    // the posterior head and obs_out: daobs = act'(aobs) (dlogits Wp^T)
    {{MV_POST}}
    storageBarrier();
    for (var i = lid; i < nb * H; i += WG) {
      let r = i / H;
      let j = i - r * H;
      let bt = (b0 + r) * u.T + t;
      stg(u.gAobs + bt * H + j, actGrad(lds(u.oAobs + bt * H + j), ldg(u.gAobs + bt * H + j)));
    }
    storageBarrier();
    // dh = (dhC + daobs Wo^T) + DH, the first sum in the carry's place (DH is added where it is read)
    {{MV_OBS}}
    storageBarrier();
    // the GRU gates (gru-backward.wgsl), per (row, unit): dp goes to gPre, the direct term dh (1 - u) to gH
    for (var i = lid; i < nb * D; i += WG) {
      let r = i / D;
      let j = i - r * D;
      let b = b0 + r;
      let bt = b * u.T + t;
      let pr = u.oPre + bt * G3;
      let gp = u.gPre + bt * G3;
      let mean = lds(u.oStats + 2u * bt);
      let rstd = lds(u.oStats + 2u * bt + 1u);
      let n = (vec3(lds(pr + j), lds(pr + D + j), lds(pr + 2u * D + j)) - mean) * rstd;
      let gates = lnGruGates(n, vec3(G[j], G[j + D], G[j + 2u * D]), vec3(BT[j], BT[j + D], BT[j + 2u * D]), u.ub);
      let dp = lnGruGrads(gates, ldg(u.gH + b * D + j) + DH[bt * D + j], lds(u.oHprev + bt * D + j));
      stg(gp + j, dp.x);
      stg(gp + D + j, dp.y);
      stg(gp + 2u * D + j, dp.z);
      let gb = b * G3 + j;
      stg(u.gG + gb, ldg(u.gG + gb) + dp.x * n.x);
      stg(u.gG + gb + D, ldg(u.gG + gb + D) + dp.y * n.y);
      stg(u.gG + gb + 2u * D, ldg(u.gG + gb + 2u * D) + dp.z * n.z);
      stg(u.gB + gb, ldg(u.gB + gb) + dp.x);
      stg(u.gB + gb + D, ldg(u.gB + gb + D) + dp.y);
      stg(u.gB + gb + 2u * D, ldg(u.gB + gb + 2u * D) + dp.z);
      stg(u.gH + b * D + j, dp.w);
    }
    storageBarrier();
    // the LayerNorm backward's sums mean(dn) and mean(dn n), dn = dp gamma, a lane per row
    if (lid < nb) {
      let bt = (b0 + lid) * u.T + t;
      let pr = u.oPre + bt * G3;
      let gp = u.gPre + bt * G3;
      let mean = lds(u.oStats + 2u * bt);
      let rstd = lds(u.oStats + 2u * bt + 1u);
      var s1 = 0.0;
      var s2 = 0.0;
      for (var c = 0u; c < G3; c++) {
        let dn = ldg(gp + c) * G[c];
        s1 += dn;
        s2 += dn * ((lds(pr + c) - mean) * rstd);
      }
      stg(u.gS + 2u * (b0 + lid), s1 / f32(G3));
      stg(u.gS + 2u * (b0 + lid) + 1u, s2 / f32(G3));
    }
    storageBarrier();
    // dpre = rstd (dn - mean(dn) - n mean(dn n)), per (row, column)
    for (var i = lid; i < nb * G3; i += WG) {
      let r = i / G3;
      let c = i - r * G3;
      let b = b0 + r;
      let bt = b * u.T + t;
      let mean = lds(u.oStats + 2u * bt);
      let rstd = lds(u.oStats + 2u * bt + 1u);
      let n = (lds(u.oPre + bt * G3 + c) - mean) * rstd;
      let gi = u.gPre + bt * G3 + c;
      stg(gi, layerNormGrad(ldg(gi) * G[c], n, rstd, ldg(u.gS + 2u * b), ldg(u.gS + 2u * b + 1u)));
    }
    storageBarrier();
    // img_in's input dain = act'(ain) (dpre Wx^T), and the state carry dhC = keep (dh (1 - u) + dpre Wh^T)
    {{MV_IN}}
    {{MV_HP}}
    storageBarrier();
    for (var i = lid; i < nb * H; i += WG) {
      let r = i / H;
      let j = i - r * H;
      let bt = (b0 + r) * u.T + t;
      stg(u.gAin + bt * H + j, actGrad(lds(u.oAin + bt * H + j), ldg(u.gAin + bt * H + j)));
    }
    for (var i = lid; i < nb * D; i += WG) {
      let r = i / D;
      let bt = (b0 + r) * u.T + t;
      stg(u.gH + b0 * D + i, ldg(u.gH + b0 * D + i) * (1.0 - FIRST[bt]));
    }
    storageBarrier();
    // dzC = keep (dain Wz^T)
    {{MV_Z}}
    storageBarrier();
    for (var i = lid; i < nb * Z; i += WG) {
      let r = i / Z;
      let bt = (b0 + r) * u.T + t;
      stg(u.gZ + b0 * Z + i, select(ldg(u.gZ + b0 * Z + i), 0.0, zeroStart) * (1.0 - FIRST[bt]));
    }
    storageBarrier();
  }
}
