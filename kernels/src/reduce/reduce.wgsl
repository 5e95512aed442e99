// Reductions (sum / mean / max / min) over any set of axes of a contiguous f32 tensor, without permuting and
// without workgroup barriers (each costs tens of microseconds per workgroup on software Vulkan).
//
// The host (reduce-kernel.ts) merges adjacent dims of the same kind, so the input is alternating groups of
// kept and reduced dims, at most 3 of each. An output index o is split into kept coordinates (kd0 innermost,
// kso the outermost kept group's stride) giving a base offset; reduced element j (0 <= j < r) sits at
// base + offset(j), with reduced groups rd0 (innermost, stride rs0), rd1, rd2 padded with size 1.
//
// Thread t handles output o and split s of nsplit: elements j = s, s + nsplit, s + 2 nsplit, ... and writes
// Y[o * nsplit + s]. With nsplit = 1 that is one thread per output (a plain loop nest, no divisions); with
// nsplit > 1 it writes partials [nout, nsplit] that a second dispatch of this kernel reduces. The split is
// the fast-varying thread index when the reduced elements are contiguous (rs0 = 1, splitInner = 1), else the
// output is, so neighbouring threads read neighbouring addresses either way.
// With u.accum (nsplit = 1 only) the result is added to Y's value instead of replacing it.
// OP: 0 sum (times u.scale: mean), 1 max, 2 min. u.init is the identity (0, -inf, +inf) from the host, since
// WGSL has no infinity literal.

struct Params {
  nout: u32,
  r: u32,
  nsplit: u32,
  splitInner: u32,
  krank: u32,
  kd0: u32,
  kd1: u32,
  ks0: u32,
  ks1: u32,
  kso: u32,
  rrank: u32,
  rd0: u32,
  rd1: u32,
  rd2: u32,
  rs0: u32,
  rs1: u32,
  rs2: u32,
  init: f32,
  scale: f32,
  accum: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

override OP: u32 = 0u;
override WG: u32 = 64u;

// max / min propagate NaN as the CPU's Math.max does: WGSL's max may drop a NaN, so the elements' bits are
// tested (isNanF, NAN_BITS: webgpu/ieee.wgsl, prepended by reduce-kernel.ts) and a NaN result is written at the end.
var<private> sawNaN: bool = false;

fn comb(a: f32, b: f32) -> f32 {
  if (OP == 0u) { return a + b; }
  sawNaN = sawNaN || isNanF(b);
  if (OP == 1u) { return max(a, b); }
  return min(a, b);
}

fn finish(acc: f32) -> f32 {
  return select(acc, bitcast<f32>(NAN_BITS), OP != 0u && sawNaN);
}

// input offset of the first reduced element of output o
fn keptBase(o: u32) -> u32 {
  var r = o;
  var off = 0u;
  if (u.krank > 1u) {
    var q = r / u.kd0; off += (r - q * u.kd0) * u.ks0; r = q;
    if (u.krank > 2u) {
      q = r / u.kd1; off += (r - q * u.kd1) * u.ks1; r = q;
    }
  }
  return off + r * u.kso;
}

// offset of reduced element j from the output's base
fn redOffset(j: u32) -> u32 {
  if (u.rrank <= 1u) { return j * u.rs0; }
  let q = j / u.rd0;
  let a = j - q * u.rd0;
  if (u.rrank == 2u) { return a * u.rs0 + q * u.rs1; }
  let c = q / u.rd1;
  return a * u.rs0 + (q - c * u.rd1) * u.rs1 + c * u.rs2;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * (nwg.x * WG);
  if (t >= u.nout * u.nsplit) { return; }
  var acc = u.init;
  if (u.nsplit == 1u) {
    let base = keptBase(t);
    for (var c = 0u; c < u.rd2; c++) {
      for (var b = 0u; b < u.rd1; b++) {
        let off = base + c * u.rs2 + b * u.rs1;
        for (var a = 0u; a < u.rd0; a++) {
          acc = comb(acc, X[off + a * u.rs0]);
        }
      }
    }
  } else {
    var o: u32;
    var s: u32;
    if (u.splitInner == 1u) {
      o = t / u.nsplit;
      s = t - o * u.nsplit;
    } else {
      s = t / u.nout;
      o = t - s * u.nout;
    }
    let base = keptBase(o);
    if (u.rrank <= 1u) {
      for (var j = s; j < u.r; j += u.nsplit) { acc = comb(acc, X[base + j * u.rs0]); }
    } else {
      for (var j = s; j < u.r; j += u.nsplit) { acc = comb(acc, X[base + redOffset(j)]); }
    }
    if (OP == 0u) { acc *= u.scale; }
    Y[o * u.nsplit + s] = finish(acc);
    return;
  }
  if (OP == 0u) { acc *= u.scale; }
  acc = finish(acc);
  // accum (nsplit 1 only): add the result to what Y holds (an in-place gradient accumulation)
  if (u.accum != 0u) { acc = Y[t] + acc; }
  Y[t] = acc;
}
