// The special functions of truncnorm-math.wgsl elementwise (what normalSpecial exposes; the tests compare them
// with high-precision values). FN: 0 erf, 1 erfc, 2 erfcx (x >= 0), 3 ndtr, 4 log ndtr, 5 ndtri (0 < p < 1),
// 6 ndtri of exp(x) (x = log p < 0).

{{TRUNCNORM_MATH}}

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> prm: Params;

override WG: u32 = 64;
override FN: u32 = 0;

fn ndtri_log(lp: f32) -> f32 {
  if (lp < LOG_P_LOW) { return ndtri_tail(lp); }
  return ndtri_f(exp(lp));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= prm.n) { return; }
  let x = X[i];
  var y: f32;
  switch FN {
    case 0u: { y = erf_f(x); }
    case 1u: { y = erfc_f(x); }
    case 2u: { y = erfcx_pos(x); }
    case 3u: { y = ndtr_f(x); }
    case 4u: { y = log_ndtr_f(x); }
    case 5u: { y = ndtri_f(x); }
    default: { y = ndtri_log(x); }
  }
  Y[i] = y;
}
