// Backward of observe-scan-forward.wgsl (BPTT): one workgroup per batch row b runs the steps in reverse, from
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
// Template marker (in double braces): ACTG (act's derivative of x, dy and p0; unaryGradWgsl). Needs webgpu/ieee.wgsl and
// binary/unary-grad-helpers.wgsl (sigm) prepended.

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
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> DH: array<f32>;
@group(0) @binding(1) var<storage, read> DZ: array<f32>;
@group(0) @binding(2) var<storage, read> SV: array<f32>;
@group(0) @binding(3) var<storage, read> FIRST: array<f32>;
@group(0) @binding(4) var<storage, read> WZ: array<f32>;
@group(0) @binding(5) var<storage, read> WX: array<f32>;
@group(0) @binding(6) var<storage, read> WH: array<f32>;
@group(0) @binding(7) var<storage, read> G: array<f32>;
@group(0) @binding(8) var<storage, read> BT: array<f32>;
@group(0) @binding(9) var<storage, read> WO: array<f32>;
@group(0) @binding(10) var<storage, read> WP: array<f32>;
@group(0) @binding(11) var<storage, read_write> GO: array<f32>;
@group(0) @binding(12) var<uniform> u: Params;

override WG: u32 = 64;

var<workgroup> red: array<vec2<f32>, WG>;

fn actGrad(x: f32, dy: f32) -> f32 {
  let p0 = 1.0;
  return {{ACTG}};
}

fn wgSum2(lid: u32, v: vec2<f32>) -> vec2<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  let s = red[0];
  workgroupBarrier();
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let lid = lid3.x;
  let b = wid.x;
  let D = u.D;
  let H = u.H;
  let C = u.C;
  let Z = u.S * C;
  let G3 = 3u * D;
  for (var c = lid; c < G3; c += WG) {
    GO[u.gG + b * G3 + c] = 0.0;
    GO[u.gB + b * G3 + c] = 0.0;
  }
  for (var i = lid; i < D; i += WG) { GO[u.gH + b * D + i] = 0.0; }
  for (var k = lid; k < Z; k += WG) { GO[u.gZ + b * Z + k] = 0.0; }
  storageBarrier();
  let fl = u.unimix / f32(C);
  for (var tt = 0u; tt < u.T; tt++) {
    let t = u.T - 1u - tt;
    let bt = b * u.T + t;
    let zeroStart = t == 0u && u.hasStart == 0u;
    let keep = 1.0 - FIRST[bt];
    // straight-through sample (categorical-sample-grad.wgsl's row)
    for (var sv = lid; sv < u.S; sv += WG) {
      let pb = u.oProbs + bt * Z + sv * C;
      let db = bt * Z + sv * C;
      let cb = u.gZ + b * Z + sv * C;
      var dot = 0.0;
      for (var c = 0u; c < C; c++) { dot += max(SV[pb + c] - fl, 0.0) * (DZ[db + c] + GO[cb + c]); }
      dot = dot / (1.0 - u.unimix);
      for (var c = 0u; c < C; c++) { GO[u.gLog + db + c] = max(SV[pb + c] - fl, 0.0) * ((DZ[db + c] + GO[cb + c]) - dot); }
    }
    storageBarrier();
    // the posterior head and obs_out
    for (var j = lid; j < H; j += WG) {
      var v = 0.0;
      for (var c = 0u; c < Z; c++) { v += GO[u.gLog + bt * Z + c] * WP[j * Z + c]; }
      GO[u.gAobs + bt * H + j] = actGrad(SV[u.oAobs + bt * H + j], v);
    }
    storageBarrier();
    // dh = DH + dhC + daobs Wo^T (in the carry's place)
    for (var i = lid; i < D; i += WG) {
      var v = 0.0;
      for (var j = 0u; j < H; j++) { v += GO[u.gAobs + bt * H + j] * WO[i * H + j]; }
      GO[u.gH + b * D + i] = (DH[bt * D + i] + GO[u.gH + b * D + i]) + v;
    }
    storageBarrier();
    // the GRU gates and LayerNorm (gru-backward.wgsl); dp goes to gPre first, the direct term dh (1 - u) to gH
    let pr = u.oPre + bt * G3;
    let gp = u.gPre + bt * G3;
    let mean = SV[u.oStats + 2u * bt];
    let rstd = SV[u.oStats + 2u * bt + 1u];
    var acc = vec2(0.0);
    for (var j = lid; j < D; j += WG) {
      let nr = (SV[pr + j] - mean) * rstd;
      let nc = (SV[pr + D + j] - mean) * rstd;
      let nu = (SV[pr + 2u * D + j] - mean) * rstd;
      let gr = G[j];
      let gc = G[j + D];
      let gu = G[j + 2u * D];
      let pc = nc * gc + BT[j + D];
      let r = sigm(nr * gr + BT[j]);
      let cand = tanhN(r * pc);
      let upd = sigm(nu * gu + BT[j + 2u * D] + u.ub);
      let d = GO[u.gH + b * D + j];
      let dc = d * upd;
      let du = d * (cand - SV[u.oHprev + bt * D + j]);
      let dz = dc * (1.0 - cand * cand);
      let dpr = dz * pc * r * (1.0 - r);
      let dpc = dz * r;
      let dpu = du * upd * (1.0 - upd);
      GO[gp + j] = dpr;
      GO[gp + D + j] = dpc;
      GO[gp + 2u * D + j] = dpu;
      let gb = b * G3 + j;
      GO[u.gG + gb] += dpr * nr;
      GO[u.gG + gb + D] += dpc * nc;
      GO[u.gG + gb + 2u * D] += dpu * nu;
      GO[u.gB + gb] += dpr;
      GO[u.gB + gb + D] += dpc;
      GO[u.gB + gb + 2u * D] += dpu;
      GO[u.gH + b * D + j] = d * (1.0 - upd);
      let dnr = dpr * gr;
      let dnc = dpc * gc;
      let dnu = dpu * gu;
      acc += vec2(dnr + dnc + dnu, dnr * nr + dnc * nc + dnu * nu);
    }
    let sm = wgSum2(lid, acc) / f32(G3);
    for (var j = lid; j < D; j += WG) {
      for (var k = 0u; k < 3u; k++) {
        let c = j + k * D;
        let n = (SV[pr + c] - mean) * rstd;
        let dn = GO[gp + c] * G[c];
        GO[gp + c] = rstd * (dn - sm.x - n * sm.y);
      }
    }
    storageBarrier();
    // img_in's input and the state carry
    for (var j = lid; j < H; j += WG) {
      var v = 0.0;
      for (var c = 0u; c < G3; c++) { v += GO[gp + c] * WX[j * G3 + c]; }
      GO[u.gAin + bt * H + j] = actGrad(SV[u.oAin + bt * H + j], v);
    }
    for (var i = lid; i < D; i += WG) {
      var v = 0.0;
      for (var c = 0u; c < G3; c++) { v += GO[gp + c] * WH[i * G3 + c]; }
      GO[u.gH + b * D + i] = (GO[u.gH + b * D + i] + v) * keep;
    }
    storageBarrier();
    for (var k = lid; k < Z; k += WG) {
      var v = 0.0;
      if (!zeroStart) {
        for (var j = 0u; j < H; j++) { v += GO[u.gAin + bt * H + j] * WZ[k * H + j]; }
      }
      GO[u.gZ + b * Z + k] = v * keep;
    }
    storageBarrier();
  }
}
