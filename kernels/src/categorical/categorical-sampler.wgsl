// The integer sampler's helpers (see sampler.ts), shared by categorical-sample.wgsl and the fused scan
// (scan/observe-scan-forward.wgsl). Needs mulhi32 (rng/philox.wgsl) and the EXP2_HI / EXP2_LO tables
// (sampler.ts EXP2_TABLES_WGSL) in the shader.

const LOG2E_F: f32 = 1.4426950216293335;

// floor(2^(q + Z / 2^16)), Z = trunc(2^16 max((x - m) log2 e, -32)); 0 when the exponent is negative.
fn fixed_weight(x: f32, m: f32, q: u32) -> u32 {
  let zf = max((x - m) * LOG2E_F, -32.0);
  let e = i32(q << 16u) + i32(zf * 65536.0);
  if (e < 0) { return 0u; }
  let n = u32(e) >> 16u;
  let f = u32(e) & 0xffffu;
  return mulhi32(EXP2_HI[f >> 8u], EXP2_LO[f & 0xffu]) >> (30u - n);
}

// 96-bit unsigned integers as three u32 limbs (x least significant).
fn mul64x32(a: vec2<u32>, b: u32) -> vec3<u32> {
  let h0 = mulhi32(a.x, b);
  let l1 = a.y * b;
  let mid = h0 + l1;
  return vec3<u32>(a.x * b, mid, mulhi32(a.y, b) + select(0u, 1u, mid < h0));
}

fn add96(a: vec3<u32>, b: vec3<u32>) -> vec3<u32> {
  let x = a.x + b.x;
  let c0 = select(0u, 1u, x < a.x);
  let y0 = a.y + b.y;
  let y = y0 + c0;
  let c1 = select(0u, 1u, y0 < a.y) + select(0u, 1u, y < y0);
  return vec3<u32>(x, y, a.z + b.z + c1);
}

fn lt96(a: vec3<u32>, b: vec3<u32>) -> bool {
  if (a.z != b.z) { return a.z < b.z; }
  if (a.y != b.y) { return a.y < b.y; }
  return a.x < b.x;
}
