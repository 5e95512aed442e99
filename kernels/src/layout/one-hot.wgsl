// Y[k, d] = 1 if I[k] == d else 0, for Y of shape [K, depth] (f32). Out-of-range indices give a zero row.
struct Params {
  n: u32,
  depth: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> I: array<i32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 256;
var<private> NAN_ROW: u32 = 0x7fc00000u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  let d = i32(i % u.depth);
  let a = I[i / u.depth];
  // an index outside [0, depth) gives a NaN row (the quiet NaN's bits: a NaN literal is not allowed)
  Y[i] = select(select(0.0, 1.0, a == d), bitcast<f32>(NAN_ROW), a < 0 || a >= i32(u.depth));
}
