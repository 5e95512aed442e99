// sumsq-final.wgsl and adam-gate.wgsl in one dispatch (one workgroup), for a multi-tensor Adam step: the
// squared global norm s = sum of the m partials in P (strided per-invocation sums, then a tree: the same
// additions in the same order as sumsq-final.wgsl, so the same f32 value), then, by invocation 0, the gate of
// the step from s exactly as adam-gate.wgsl computes it (see there: C counters in place, Y = [scale, finite,
// bc1, bc2]), and N[0] = sqrt(s), the global gradient norm before clipping that Adam.apply returns.
// oneMinusPow comes from one-minus-pow.wgsl, prepended by optim-kernel.ts.

struct Params {
  m: u32,
  clip: u32,
  maxNorm: f32,
  lnb1: f32,
  lnb2: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read_write> C: array<i32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> N: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

override WG: u32 = 256;

var<workgroup> sh: array<f32, {{WG}}>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < u.m; i += WG) { acc += P[i]; }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] += sh[lid + s]; }
    workgroupBarrier();
  }
  if (lid != 0u) { return; }
  let s = sh[0];
  N[0] = sqrt(s);
  // Finiteness is tested on the bits: comparisons with NaN may be folded away by the shader compiler.
  if ((bitcast<u32>(s) & 0x7f800000u) == 0x7f800000u) {
    C[1] = C[1] + 1;
    C[2] = C[2] + 1;
    Y[0] = 0.0;
    Y[1] = 0.0;
    Y[2] = 1.0;
    Y[3] = 1.0;
    return;
  }
  let t = C[0] + 1;
  C[0] = t;
  C[2] = 0;
  var scale = 1.0;
  if (u.clip != 0u) { scale = min(1.0, u.maxNorm / (sqrt(s) + 1e-6)); }
  Y[0] = scale;
  Y[1] = 1.0;
  Y[2] = oneMinusPow(u.lnb1, f32(t));
  Y[3] = oneMinusPow(u.lnb2, f32(t));
}
