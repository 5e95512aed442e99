// The RSSM posterior scan (RSSM.observe's recurrence), forward: a workgroup runs RB batch rows b (from b0) through
// the T time steps itself, the rows' products together so they share the weight loads (matvec.ts); the time-independent parts (actions into img_in, embeds into obs_out, with the biases)
// come precomputed as ACT and EMB [B, T, H]. Per step t, with keep = 1 - isFirst[b, t]:
//   hp = keep h_{t-1},  zp = keep z_{t-1}                 (h_{-1}, z_{-1} = H0, Z0, or zero without a start)
//   ain = zp Wz + ACT[t],  xin = act(ain)                  (without a start, zp Wz is left out at t = 0)
//   pre = xin Wx + hp Wh;  n = (pre - mean) rstd;  p = n gamma + beta      (LayerNorm over 3D)
//   r = sigm(p_r),  c = tanh(r p_c),  u = sigm(p_u + updateBias),  h_t = u c + (1 - u) hp
//   aobs = h_t Wo + EMB[t],  xobs = act(aobs),  logits = xobs Wp + bp
//   z_t = one-hot sample of each of the S groups of C logits (the integer sampler of categorical-sample.wgsl,
//         row b S + s of the key whose offset is u.o + t u.ostep), probs = (1 - unimix) softmax + unimix / C.
// Everything is written into one output buffer OUT at the region offsets in u (deter, stoch and what the
// backward reads); vectors a step needs again are read back from there after a storageBarrier. Matmul sums run
// over k in order, then the addend or bias is added, as the matmul kernels' epilogue does.
// Template markers (in double braces): ACT (act's expression of x and p0; unaryWgsl), PHILOX and EXP2_TABLES
// (withSampler), VT and WT (f32, or vec4<f32> in the vec4 form: OUT's and the weights' element types), ACCESS
// (OUT's accessors ldo, sto, ldo4), RB (rows per workgroup) and MV_* (the products; matvec.ts). Needs webgpu/ieee.wgsl and
// binary/unary-grad-helpers.wgsl (sigm) prepended; the GRU cell is wgsl-lib/ln-gru.wgsl's.

//#include ln-gru

struct Params {
  B: u32,
  T: u32,
  D: u32,
  H: u32,
  S: u32,
  C: u32,
  q: u32,
  M: u32,
  k0: u32,
  k1: u32,
  o0: u32,
  o1: u32,
  ostep: u32,
  hasStart: u32,
  unimix: f32,
  eps: f32,
  ub: f32,
  oDeter: u32,
  oStoch: u32,
  oHprev: u32,
  oZprev: u32,
  oAin: u32,
  oXin: u32,
  oPre: u32,
  oStats: u32,
  oAobs: u32,
  oXobs: u32,
  oProbs: u32,
}

{{PHILOX}}

{{EXP2_TABLES}}

@group(0) @binding(0) var<storage, read> ACT: array<f32>;
@group(0) @binding(1) var<storage, read> EMB: array<f32>;
@group(0) @binding(2) var<storage, read> FIRST: array<f32>;
@group(0) @binding(3) var<storage, read> WZ: array<{{WT}}>;
@group(0) @binding(4) var<storage, read> WX: array<{{WT}}>;
@group(0) @binding(5) var<storage, read> WH: array<{{WT}}>;
@group(0) @binding(6) var<storage, read> G: array<f32>;
@group(0) @binding(7) var<storage, read> BT: array<f32>;
@group(0) @binding(8) var<storage, read> WO: array<{{WT}}>;
@group(0) @binding(9) var<storage, read> WP: array<{{WT}}>;
@group(0) @binding(10) var<storage, read> BP: array<f32>;
@group(0) @binding(11) var<storage, read> H0: array<f32>;
@group(0) @binding(12) var<storage, read> Z0: array<f32>;
@group(0) @binding(13) var<storage, read_write> OUT: array<{{VT}}>;
@group(0) @binding(14) var<uniform> u: Params;

override WG: u32 = 32;
const RB: u32 = {{RB}}u;

fn act(x: f32) -> f32 {
  let p0 = 1.0;
  return {{ACT}};
}

{{ACCESS}}

// img_in's output j of step row bt from y = (zp Wz)_j (left out at the zero start), in place of y
fn imgIn(j: u32, y: f32, bt: u32, zeroStart: bool) {
  let a = select(y + ACT[bt * u.H + j], ACT[bt * u.H + j], zeroStart);
  sto(u.oAin + bt * u.H + j, a);
  sto(u.oXin + bt * u.H + j, act(a));
}

// obs_out's output j of step row bt from y = (h Wo)_j, in place of y
fn obsOut(j: u32, y: f32, bt: u32) {
  let a = y + EMB[bt * u.H + j];
  sto(u.oAobs + bt * u.H + j, a);
  sto(u.oXobs + bt * u.H + j, act(a));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let lid = lid3.x;
  let b0 = wid.x * RB;
  let D = u.D;
  let H = u.H;
  let Z = u.S * u.C;
  let G3 = 3u * D;
  let C = u.C;
  for (var t = 0u; t < u.T; t++) {
    let zeroStart = t == 0u && u.hasStart == 0u;
    // the masked previous state, per (row, element)
    for (var i = lid; i < RB * D; i += WG) {
      let r = i / D;
      let j = i - r * D;
      let b = b0 + r;
      if (b < u.B) {
        let bt = b * u.T + t;
        var hp = 0.0;
        if (!zeroStart) { hp = select(ldo(u.oDeter + (bt - 1u) * D + j), H0[b * D + j], t == 0u) * (1.0 - FIRST[bt]); }
        sto(u.oHprev + bt * D + j, hp);
      }
    }
    for (var i = lid; i < RB * Z; i += WG) {
      let r = i / Z;
      let k = i - r * Z;
      let b = b0 + r;
      if (b < u.B) {
        let bt = b * u.T + t;
        var zp = 0.0;
        if (!zeroStart) { zp = select(ldo(u.oStoch + (bt - 1u) * Z + k), Z0[b * Z + k], t == 0u) * (1.0 - FIRST[bt]); }
        sto(u.oZprev + bt * Z + k, zp);
      }
    }
    storageBarrier();
    // img_in: ain = zp Wz + ACT
    {{MV_IN}}
    storageBarrier();
    for (var i = lid; i < RB * H; i += WG) {
      let r = i / H;
      let j = i - r * H;
      let b = b0 + r;
      if (b < u.B) {
        let bt = b * u.T + t;
        imgIn(j, ldo(u.oAin + bt * H + j), bt, zeroStart);
      }
    }
    storageBarrier();
    // the GRU's pre-LayerNorm sum, x Wx + h Wh
    {{MV_PRE_X}}
    {{MV_PRE_H}}
    storageBarrier();
    // LayerNorm statistics, a lane per row: the mean of pre - pre[0] (shifted), the variance in a second, centred pass
    if (lid < RB && b0 + lid < u.B) {
      let bt = (b0 + lid) * u.T + t;
      let pb = u.oPre + bt * G3;
      let shift = ldo(pb);
      var s = 0.0;
      for (var c = 0u; c < G3; c++) { s += ldo(pb + c) - shift; }
      let mean = shift + s / f32(G3);
      var vs = 0.0;
      for (var c = 0u; c < G3; c++) {
        let d = ldo(pb + c) - mean;
        vs += d * d;
      }
      sto(u.oStats + 2u * bt, mean);
      sto(u.oStats + 2u * bt + 1u, inverseSqrt(vs / f32(G3) + u.eps));
    }
    storageBarrier();
    // gates and the new state, per (row, unit)
    for (var i = lid; i < RB * D; i += WG) {
      let r = i / D;
      let j = i - r * D;
      let b = b0 + r;
      if (b < u.B) {
        let bt = b * u.T + t;
        let pb = u.oPre + bt * G3;
        let mean = ldo(u.oStats + 2u * bt);
        let rstd = ldo(u.oStats + 2u * bt + 1u);
        let n = (vec3(ldo(pb + j), ldo(pb + D + j), ldo(pb + 2u * D + j)) - mean) * rstd;
        let gates = lnGruGates(n, vec3(G[j], G[j + D], G[j + 2u * D]), vec3(BT[j], BT[j + D], BT[j + 2u * D]), u.ub);
        sto(u.oDeter + bt * D + j, lnGruState(gates, ldo(u.oHprev + bt * D + j)));
      }
    }
    storageBarrier();
    // obs_out: aobs = h Wo + EMB
    {{MV_OBS}}
    storageBarrier();
    for (var i = lid; i < RB * H; i += WG) {
      let r = i / H;
      let j = i - r * H;
      let b = b0 + r;
      if (b < u.B) {
        let bt = b * u.T + t;
        obsOut(j, ldo(u.oAobs + bt * H + j), bt);
      }
    }
    storageBarrier();
    // the posterior logits x Wp, into the probs region (the sampler adds bp, then turns them into probs in place)
    {{MV_POST}}
    storageBarrier();
    // the straight-through sample of each group of C (categorical-sample.wgsl's row, line for line), per (row, group)
    let lo = u.o0 + t * u.ostep;
    let o1 = u.o1 + select(0u, 1u, lo < u.o0);
    for (var i = lid; i < RB * u.S; i += WG) {
      let r = i / u.S;
      let sv = i - r * u.S;
      let b = b0 + r;
      if (b >= u.B) { continue; }
      let bt = b * u.T + t;
      let base = u.oProbs + bt * Z + sv * C;
      let sb = u.oStoch + bt * Z + sv * C;
      let row = b * u.S + sv;
      for (var c = 0u; c < C; c++) { sto(base + c, ldo(base + c) + BP[sv * C + c]); }
      var m = ldo(base);
      for (var c = 1u; c < C; c++) { m = maxN(m, ldo(base + c)); }
      if (isNanF(m) || isInfF(m)) {
        let nan = bitcast<f32>(NAN_BITS);
        for (var c = 0u; c < C; c++) {
          sto(base + c, nan);
          sto(sb + c, nan);
        }
        continue;
      }
      var sum = 0.0;
      var sw = vec2<u32>(0u, 0u);
      for (var c = 0u; c < C; c++) {
        let x = ldo(base + c);
        sum += exp(x - m);
        let w = fixed_weight(x, m, u.q);
        let l = sw.x + w;
        sw = vec2<u32>(l, sw.y + select(0u, 1u, l < w));
      }
      let word = philox4x32(vec4<u32>(row >> 2u, 0u, lo, o1), vec2<u32>(u.k0, u.k1))[row & 3u];
      let U = word >> 8u;
      let cf = select(1u, C, u.M > 0u);
      let cs = mul64x32(sw, cf);
      let L = mul64x32(cs.xy, U);
      let k1 = vec2<u32>((16777216u - u.M) * cf, mulhi32(16777216u - u.M, cf));
      let K2 = mul64x32(sw, u.M);
      let scale = (1.0 - u.unimix) / sum;
      let floor_p = u.unimix / f32(C);
      var R = vec3<u32>(0u, 0u, 0u);
      var found = false;
      for (var c = 0u; c < C; c++) {
        let x = ldo(base + c);
        sto(base + c, exp(x - m) * scale + floor_p);
        R = add96(add96(R, mul64x32(k1, fixed_weight(x, m, u.q))), K2);
        let hit = !found && (lt96(L, R) || c == C - 1u);
        found = found || hit;
        sto(sb + c, select(0.0, 1.0, hit));
      }
    }
    storageBarrier();
  }
}
