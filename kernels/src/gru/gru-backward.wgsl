// Backward of gru-forward.wgsl for one row per T threads. With n, p, r, c, u recomputed from pre and AUX
// (mean, rstd per row, then the forward's beta at offset 2B):
//   dc = dh' * u,  du = dh' * (c - h),  dh_direct = dh' * (1 - u)
//   dp_u = du * u (1 - u),  dz = dc * (1 - c^2)   (z = r * p_c),  dp_c = dz * r,  dp_r = dz * p_c * r (1 - r)
//   dn = dp * gamma,  dpre = rstd * (dn - mean(dn) - n * mean(dn * n))    (LayerNorm backward over 3H)
// Outputs dpre [B, 3H] and DPX [B, 4H] = [dp (3H) | dh_direct (H)]: dp feeds the dgamma/dbeta column sums
// (gru-finish.wgsl), dh_direct is added to dpre @ Wh^T there. A thread handles hidden units j, j+T, ...
// (all three parts of each), so it only ever reads back the DPX values it wrote itself.

struct Params {
  rows: u32,
  H: u32,
  ub: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> DHN: array<f32>;
@group(0) @binding(1) var<storage, read> PRE: array<f32>;
@group(0) @binding(2) var<storage, read> AUX: array<f32>;
@group(0) @binding(3) var<storage, read> Hs: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read_write> DPRE: array<f32>;
@group(0) @binding(6) var<storage, read_write> DPX: array<f32>;
@group(0) @binding(7) var<uniform> u: Params;

override WG: u32 = 64;
override T: u32 = 1;

//#include row-sum ELEM=vec2<f32>
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
  let xbase = row * 4u * H;
  var mean = 0.0;
  var rstd = 0.0;
  let bb = 2u * u.rows;
  var acc = vec2(0.0);
  if (live) {
    mean = AUX[2u * row];
    rstd = AUX[2u * row + 1u];
    for (var j = lane; j < H; j += T) {
      let n = (vec3(PRE[base + j], PRE[base + H + j], PRE[base + 2u * H + j]) - mean) * rstd;
      let gamma = vec3(G[j], G[j + H], G[j + 2u * H]);
      let gates = lnGruGates(n, gamma, vec3(AUX[bb + j], AUX[bb + j + H], AUX[bb + j + 2u * H]), u.ub);
      let dp = lnGruGrads(gates, DHN[row * H + j], Hs[row * H + j]);
      DPX[xbase + j] = dp.x;
      DPX[xbase + H + j] = dp.y;
      DPX[xbase + 2u * H + j] = dp.z;
      DPX[xbase + 3u * H + j] = dp.w;
      let dn = dp.xyz * gamma;
      acc += vec2(dn.x + dn.y + dn.z, dn.x * n.x + dn.y * n.y + dn.z * n.z);
    }
  }
  let s = rowSum(lid, lane, acc) / f32(C);
  if (!live) { return; }
  for (var j = lane; j < H; j += T) {
    for (var k = 0u; k < 3u; k++) {
      let c = j + k * H;
      let n = (PRE[base + c] - mean) * rstd;
      DPRE[base + c] = layerNormGrad(DPX[xbase + c] * G[c], n, rstd, s.x, s.y);
    }
  }
}
