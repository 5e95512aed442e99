// Counter-based random numbers: one thread per Philox block of 4 outputs. Element i is word i % 4 of
// philox4x32([i / 4, 0, offset.lo, offset.hi], [seed.lo, seed.hi]) (see philox.ts for the layout).
// MODE 0: raw bits (the output is an i32 tensor holding the u32 words).
// MODE 1: uniform  p0 + (p1 - p0) * u,   u = (word >> 8) * 2^-24 in [0, 1) (exact in f32).
// MODE 2: normal   p0 + p1 * z, Box-Muller on the word pairs (0, 1) and (2, 3):
//         u1 = ((w0 >> 8) + 1) * 2^-24 in (0, 1], theta = 2 pi ((w1 >> 8) * 2^-24 - 1/2) in [-pi, pi),
//         z0 = sqrt(-2 ln u1) cos(theta), z1 = sqrt(-2 ln u1) sin(theta).
//         -ln u1 = -ln(1 - v) with v = 1 - u1 = (~w0 >> 8) * 2^-24 exactly; for v < 1/16 it is a series in v
//         (GPU log has an absolute error of ~1e-7 near 1, which sqrt would blow up for the small radii).
// The output is bound as array<u32> (f32 results are stored through bitcast) so one shader serves all dtypes.

{{PHILOX}}

struct Params {
  n: u32,
  k0: u32,
  k1: u32,
  o0: u32,
  o1: u32,
  p0: f32,
  p1: f32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read_write> Y: array<u32>;
@group(0) @binding(1) var<uniform> u: Params;

override WG: u32 = 64;
override MODE: u32 = 0;

const TWO_M24: f32 = 5.9604644775390625e-8;
const TWO_PI: f32 = 6.283185307179586;

fn unit(w: u32) -> f32 {
  return f32(w >> 8u) * TWO_M24;
}

// Box-Muller radius sqrt(-2 ln u1), u1 = ((w >> 8) + 1) * 2^-24.
fn radius(w: u32) -> f32 {
  let v = f32((~w) >> 8u) * TWO_M24;   // 1 - u1, exact
  var nl: f32;                          // -ln(u1)
  if (v < 0.0625) {
    nl = v * (1.0 + v * (0.5 + v * (0.33333334 + v * (0.25 + v * (0.2 + v * (0.16666667 + v * 0.14285715))))));
  } else {
    nl = -log(f32((w >> 8u) + 1u) * TWO_M24);
  }
  return sqrt(2.0 * nl);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = gid.x + gid.y * (nwg.x * WG);
  let i0 = b * 4u;
  if (i0 >= u.n) { return; }
  let w = philox4x32(vec4<u32>(b, 0u, u.o0, u.o1), vec2<u32>(u.k0, u.k1));
  var out: vec4<u32>;
  if (MODE == 0u) {
    out = w;
  } else if (MODE == 1u) {
    let scale = u.p1 - u.p0;
    out = bitcast<vec4<u32>>(vec4<f32>(u.p0, u.p0, u.p0, u.p0) + scale * vec4<f32>(unit(w.x), unit(w.y), unit(w.z), unit(w.w)));
  } else {
    let ra = radius(w.x);
    let rb = radius(w.z);
    let ta = (unit(w.y) - 0.5) * TWO_PI;
    let tb = (unit(w.w) - 0.5) * TWO_PI;
    let z = vec4<f32>(ra * cos(ta), ra * sin(ta), rb * cos(tb), rb * sin(tb));
    out = bitcast<vec4<u32>>(vec4<f32>(u.p0, u.p0, u.p0, u.p0) + u.p1 * z);
  }
  let m = min(4u, u.n - i0);
  for (var l = 0u; l < m; l++) {
    Y[i0 + l] = out[l];
  }
}
