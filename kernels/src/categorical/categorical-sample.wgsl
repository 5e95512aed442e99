// Straight-through categorical sampling, forward: one thread per row of C logits (rows are short: DreamerV2 has
// C = 32). Writes probs = (1 - unimix) softmax(x) + unimix / C (f32) and a one-hot sample drawn by the inverse
// CDF at the row's uniform, which is element `row` of randomUniform(key): word row % 4 of
// philox4x32([row / 4, 0, o0, o1], [k0, k1]). The decision is made in integers (see sampler.ts, mirrored here
// line for line) so it is bit-identical to the CPU reference.
// NaN in, NaN out: a row whose max is not finite (a NaN or +inf logit, or all -inf) has no distribution, and
// its probs and sample are all NaN (isNanF, isInfF, NAN_BITS: webgpu/ieee.wgsl, prepended).

{{PHILOX}}

{{EXP2_TABLES}}

struct Params {
  rows: u32,
  C: u32,
  q: u32,       // weight precision in bits (weightBits(C))
  M: u32,       // unimix quantised to 24 bits
  k0: u32,
  k1: u32,
  o0: u32,
  o1: u32,
  unimix: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> SAMPLE: array<f32>;
@group(0) @binding(2) var<storage, read_write> PROBS: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 64;

// fixed_weight, mul64x32, add96, lt96: categorical-sampler.wgsl (prepended after the tables).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * WG);
  if (row >= u.rows) { return; }
  let C = u.C;
  let base = row * C;

  var m = X[base];
  for (var c = 1u; c < C; c++) { m = maxN(m, X[base + c]); }
  if (isNanF(m) || isInfF(m)) {
    let nan = bitcast<f32>(NAN_BITS);
    for (var c = 0u; c < C; c++) {
      PROBS[base + c] = nan;
      SAMPLE[base + c] = nan;
    }
    return;
  }

  // f32 softmax denominator and the integer weight sum S (64 bits).
  var sum = 0.0;
  var s = vec2<u32>(0u, 0u);
  for (var c = 0u; c < C; c++) {
    let x = X[base + c];
    sum += exp(x - m);
    let w = fixed_weight(x, m, u.q);
    let lo = s.x + w;
    s = vec2<u32>(lo, s.y + select(0u, 1u, lo < w));
  }

  let word = philox4x32(vec4<u32>(row >> 2u, 0u, u.o0, u.o1), vec2<u32>(u.k0, u.k1))[row & 3u];
  let U = word >> 8u;
  let cf = select(1u, C, u.M > 0u);
  let cs = mul64x32(s, cf);                 // < 2^64 by the choice of q
  let L = mul64x32(cs.xy, U);
  let k1 = vec2<u32>((16777216u - u.M) * cf, mulhi32(16777216u - u.M, cf));
  let K2 = mul64x32(s, u.M);

  let scale = (1.0 - u.unimix) / sum;
  let floor_p = u.unimix / f32(C);
  var R = vec3<u32>(0u, 0u, 0u);
  var found = false;
  for (var c = 0u; c < C; c++) {
    let x = X[base + c];
    PROBS[base + c] = exp(x - m) * scale + floor_p;
    R = add96(add96(R, mul64x32(k1, fixed_weight(x, m, u.q))), K2);
    let hit = !found && (lt96(L, R) || c == C - 1u);
    found = found || hit;
    SAMPLE[base + c] = select(0.0, 1.0, hit);
  }
}
