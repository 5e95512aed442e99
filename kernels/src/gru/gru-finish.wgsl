// Last step of the GRU cell backward, two independent jobs in one dispatch (the workgroup index picks one):
//  - workgroups [0, colGroups): dgamma[c] = sum_b dp[b, c] * n[b, c], dbeta[c] = sum_b dp[b, c] over the 3H
//    columns, n = (pre - mean) * rstd (mean, rstd from AUX); TC columns per workgroup, TR row lanes striding over the batch.
//  - the rest: dh = dh_direct + dpre @ Wh^T elementwise over [B, H] (TC * TR elements per workgroup).
// dp and dh_direct come packed in DPX [B, 4H] (see gru-backward.wgsl).
// u.acc (bits 1 dgamma, 2 dbeta, 4 dh): those results are added to the values already in DG, DB, DH (an
// in-place gradient accumulation, the same f32 additions as add(prev, result)). Variant with BOX (template
// markers BOX_DECL, BOX_ADD and the binding numbers B_DG.. B_U): dh also gets BOX[u.bOff + b * u.bRow + j] added
// last, a gradient so far that is a strided box of another tensor (as sliceAdd(dh, box) would add it).

struct Params {
  rows: u32,
  H: u32,
  colGroups: u32,
  acc: u32,
  bOff: u32,
  bRow: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<storage, read> DPX: array<f32>;
@group(0) @binding(1) var<storage, read> PRE: array<f32>;
@group(0) @binding(2) var<storage, read> AUX: array<f32>;
@group(0) @binding(3) var<storage, read> DHM: array<f32>;
{{BOX_DECL}}
@group(0) @binding({{B_DG}}) var<storage, read_write> DG: array<f32>;
@group(0) @binding({{B_DB}}) var<storage, read_write> DB: array<f32>;
@group(0) @binding({{B_DH}}) var<storage, read_write> DH: array<f32>;
@group(0) @binding({{B_U}}) var<uniform> u: Params;

override TC: u32 = 64;
override TR: u32 = 4;

var<workgroup> red: array<vec2<f32>, TC * TR>;

@compute @workgroup_size(TC * TR)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let w = wid.x + wid.y * nwg.x;
  let H = u.H;
  let C = 3u * H;
  if (w < u.colGroups) {
    let col = w * TC + lid % TC;
    let rl = lid / TC;
    var acc = vec2(0.0);
    if (col < C) {
      for (var r = rl; r < u.rows; r += TR) {
        let dp = DPX[r * 4u * H + col];
        acc += vec2(dp * (PRE[r * C + col] - AUX[2u * r]) * AUX[2u * r + 1u], dp);
      }
    }
    red[lid] = acc;
    workgroupBarrier();
    if (rl == 0u && col < C) {
      var s = acc;
      for (var k = 1u; k < TR; k++) { s += red[lid + k * TC]; }
      DG[col] = select(s.x, DG[col] + s.x, (u.acc & 1u) != 0u);
      DB[col] = select(s.y, DB[col] + s.y, (u.acc & 2u) != 0u);
    }
  } else {
    let i = (w - u.colGroups) * (TC * TR) + lid;
    if (i < u.rows * H) {
      let b = i / H;
      let j = i - b * H;
      let v = DPX[b * 4u * H + 3u * H + j] + DHM[i];
      DH[i] = select(v, DH[i] + v, (u.acc & 4u) != 0u){{BOX_ADD}};
    }
  }
}
