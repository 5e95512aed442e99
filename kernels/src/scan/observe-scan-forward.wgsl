// The RSSM posterior scan (RSSM.observe's recurrence), forward: one workgroup per batch row b loops over the
// T time steps itself; the time-independent parts (actions into img_in, embeds into obs_out, with the biases)
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
// (withSampler). Needs webgpu/ieee.wgsl and binary/unary-grad-helpers.wgsl (sigm) prepended.

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
@group(0) @binding(3) var<storage, read> WZ: array<f32>;
@group(0) @binding(4) var<storage, read> WX: array<f32>;
@group(0) @binding(5) var<storage, read> WH: array<f32>;
@group(0) @binding(6) var<storage, read> G: array<f32>;
@group(0) @binding(7) var<storage, read> BT: array<f32>;
@group(0) @binding(8) var<storage, read> WO: array<f32>;
@group(0) @binding(9) var<storage, read> WP: array<f32>;
@group(0) @binding(10) var<storage, read> BP: array<f32>;
@group(0) @binding(11) var<storage, read> H0: array<f32>;
@group(0) @binding(12) var<storage, read> Z0: array<f32>;
@group(0) @binding(13) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(14) var<uniform> u: Params;

override WG: u32 = 64;

var<workgroup> red: array<f32, WG>;

fn act(x: f32) -> f32 {
  let p0 = 1.0;
  return {{ACT}};
}

// the sum of v over the workgroup (every thread gets it)
fn wgSum(lid: u32, v: f32) -> f32 {
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
  let Z = u.S * u.C;
  let G3 = 3u * D;
  let C = u.C;
  for (var t = 0u; t < u.T; t++) {
    let bt = b * u.T + t;
    let zeroStart = t == 0u && u.hasStart == 0u;
    let keep = 1.0 - FIRST[bt];
    // the masked previous state
    for (var i = lid; i < D; i += WG) {
      var hp = 0.0;
      if (!zeroStart) { hp = select(OUT[u.oDeter + (bt - 1u) * D + i], H0[b * D + i], t == 0u) * keep; }
      OUT[u.oHprev + bt * D + i] = hp;
    }
    for (var k = lid; k < Z; k += WG) {
      var zp = 0.0;
      if (!zeroStart) { zp = select(OUT[u.oStoch + (bt - 1u) * Z + k], Z0[b * Z + k], t == 0u) * keep; }
      OUT[u.oZprev + bt * Z + k] = zp;
    }
    storageBarrier();
    // img_in: ain = zp Wz + ACT
    for (var j = lid; j < H; j += WG) {
      var a = ACT[bt * H + j];
      if (!zeroStart) {
        var v = 0.0;
        for (var k = 0u; k < Z; k++) { v += OUT[u.oZprev + bt * Z + k] * WZ[k * H + j]; }
        a = v + a;
      }
      OUT[u.oAin + bt * H + j] = a;
      OUT[u.oXin + bt * H + j] = act(a);
    }
    storageBarrier();
    // the GRU's pre-LayerNorm sum
    for (var c = lid; c < G3; c += WG) {
      var xw = 0.0;
      for (var k = 0u; k < H; k++) { xw += OUT[u.oXin + bt * H + k] * WX[k * G3 + c]; }
      var hw = 0.0;
      for (var i = 0u; i < D; i++) { hw += OUT[u.oHprev + bt * D + i] * WH[i * G3 + c]; }
      OUT[u.oPre + bt * G3 + c] = xw + hw;
    }
    storageBarrier();
    // LayerNorm statistics: the mean of pre - pre[0] (shifted), the variance in a second, centred pass
    let pb = u.oPre + bt * G3;
    let shift = OUT[pb];
    var s = 0.0;
    for (var c = lid; c < G3; c += WG) { s += OUT[pb + c] - shift; }
    let mean = shift + wgSum(lid, s) / f32(G3);
    var vs = 0.0;
    for (var c = lid; c < G3; c += WG) {
      let d = OUT[pb + c] - mean;
      vs += d * d;
    }
    let rstd = inverseSqrt(wgSum(lid, vs) / f32(G3) + u.eps);
    if (lid == 0u) {
      OUT[u.oStats + 2u * bt] = mean;
      OUT[u.oStats + 2u * bt + 1u] = rstd;
    }
    // gates and the new state
    for (var j = lid; j < D; j += WG) {
      let r = sigm((OUT[pb + j] - mean) * rstd * G[j] + BT[j]);
      let cand = tanhN(r * ((OUT[pb + D + j] - mean) * rstd * G[j + D] + BT[j + D]));
      let upd = sigm((OUT[pb + 2u * D + j] - mean) * rstd * G[j + 2u * D] + BT[j + 2u * D] + u.ub);
      OUT[u.oDeter + bt * D + j] = upd * cand + (1.0 - upd) * OUT[u.oHprev + bt * D + j];
    }
    storageBarrier();
    // obs_out: aobs = h Wo + EMB
    for (var j = lid; j < H; j += WG) {
      var v = 0.0;
      for (var i = 0u; i < D; i++) { v += OUT[u.oDeter + bt * D + i] * WO[i * H + j]; }
      let a = v + EMB[bt * H + j];
      OUT[u.oAobs + bt * H + j] = a;
      OUT[u.oXobs + bt * H + j] = act(a);
    }
    storageBarrier();
    // the posterior logits, into the probs region (the sampler turns them into probs in place)
    for (var c = lid; c < Z; c += WG) {
      var v = 0.0;
      for (var j = 0u; j < H; j++) { v += OUT[u.oXobs + bt * H + j] * WP[j * Z + c]; }
      OUT[u.oProbs + bt * Z + c] = v + BP[c];
    }
    storageBarrier();
    // the straight-through sample of each group of C (categorical-sample.wgsl's row, line for line)
    let lo = u.o0 + t * u.ostep;
    let o1 = u.o1 + select(0u, 1u, lo < u.o0);
    for (var sv = lid; sv < u.S; sv += WG) {
      let base = u.oProbs + bt * Z + sv * C;
      let sb = u.oStoch + bt * Z + sv * C;
      let row = b * u.S + sv;
      var m = OUT[base];
      for (var c = 1u; c < C; c++) { m = maxN(m, OUT[base + c]); }
      if (isNanF(m) || isInfF(m)) {
        let nan = bitcast<f32>(NAN_BITS);
        for (var c = 0u; c < C; c++) {
          OUT[base + c] = nan;
          OUT[sb + c] = nan;
        }
        continue;
      }
      var sum = 0.0;
      var sw = vec2<u32>(0u, 0u);
      for (var c = 0u; c < C; c++) {
        let x = OUT[base + c];
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
        let x = OUT[base + c];
        OUT[base + c] = exp(x - m) * scale + floor_p;
        R = add96(add96(R, mul64x32(k1, fixed_weight(x, m, u.q))), K2);
        let hit = !found && (lt96(L, R) || c == C - 1u);
        found = found || hit;
        OUT[sb + c] = select(0.0, 1.0, hit);
      }
    }
    storageBarrier();
  }
}
