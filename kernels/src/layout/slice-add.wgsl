// y = a + x[box]: the element at row-major index i of a (and y) adds the element of x at ioff + sum(c_k * is_k),
// c the coordinate of i over dims d0..d5 (row-major, unused leading dims 1; the host merges contiguous axes).
// One read of each operand per output element: a slice and an add in one pass, with the add of the binary
// kernel (one f32 rounding), so the result is bit-identical to add(a, slice(x, ...)).

struct Params {
  n: u32,
  ioff: u32,
  _pad0: u32,
  _pad1: u32,
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  is0: u32, is1: u32, is2: u32, is3: u32, is4: u32, is5: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  var r = i;
  var s = u.ioff;
  var c = r % u.d5; r = r / u.d5; s += c * u.is5;
  c = r % u.d4; r = r / u.d4; s += c * u.is4;
  c = r % u.d3; r = r / u.d3; s += c * u.is3;
  c = r % u.d2; r = r / u.d2; s += c * u.is2;
  c = r % u.d1; r = r / u.d1; s += c * u.is1;
  s += r * u.is0;
  Y[i] = A[i] + X[s];
}
