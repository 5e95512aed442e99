// Random-shift augmentation of a batch of image sequences (DrQ's "pad by P with edge pixels, crop back at a
// random offset", as one gather): X, Y f32 [B, L, H, W, C], SH i32 [B, 2] = (dy, dx) per sequence, |d| <= P:
//   Y[b, l, y, x, c] = X[b, l, clamp(y + dy_b, 0, H - 1), clamp(x + dx_b, 0, W - 1), c]
// One invocation per output element; grids beyond 65535 groups wrap into y (grid1d).
struct Params {
  n: u32,
  L: u32,
  H: u32,
  W: u32,
  C: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> SH: array<i32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  let c = i % u.C;
  var r = i / u.C;
  let x = r % u.W;
  r = r / u.W;
  let y = r % u.H;
  let bl = r / u.H;
  let b = bl / u.L;
  let sy = u32(clamp(i32(y) + SH[2u * b], 0, i32(u.H) - 1));
  let sx = u32(clamp(i32(x) + SH[2u * b + 1u], 0, i32(u.W) - 1));
  Y[i] = X[((bl * u.H + sy) * u.W + sx) * u.C + c];
}
