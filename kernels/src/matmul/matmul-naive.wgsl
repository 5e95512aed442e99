// Simple matmul, one output element per invocation: the plain WGSL formulation, kept as a second
// implementation that tests compare too (the op uses the register-blocked matmul.wgsl unless a caller forces
// variant 'naive'). Same Params as matmul.wgsl:
//   C[z*R*Cc + r*sCr + c*sCc] = sum_k X[xOff + r*sXr + k*sXk] * Y[yOff + k*sYk + c*sYc]  (+ bias[r or c])
// where the batch index z is decomposed over four collapsed batch dims (d0 outermost; unused dims are 1) with
// strides sx*, sy* (0 where that operand broadcasts). Grids beyond 65535 groups per dimension are split by the
// op into several dispatches with group offsets gx0, gy0, z0.

struct Params {
  R: u32, Cc: u32, K: u32, batch: u32,
  sXr: u32, sXk: u32, sYk: u32, sYc: u32,
  sCr: u32, sCc: u32, hasBias: u32, sBr: u32,
  d0: u32, d1: u32, d2: u32, d3: u32,
  sx0: u32, sx1: u32, sx2: u32, sx3: u32,
  sy0: u32, sy1: u32, sy2: u32, sy3: u32,
  gx0: u32, gy0: u32, z0: u32, kb: u32,
  ke: u32, accum: u32, tm: u32, sBc: u32,
  bOff: u32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read> Bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
{{PRE_DECL}}
@group(0) @binding({{BU}}) var<uniform> u: Params;

// The epilogue's activation (identity without one; see matmul-kernel.ts epilogue).
fn act(x: f32) -> f32 {
  let p0 = 1.0;
  return {{ACT}};
}

override WGX: u32 = 16;
override WGY: u32 = 16;

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let z = wid.z + u.z0;
  var idx = z;
  let i3 = idx % u.d3; idx = idx / u.d3;
  let i2 = idx % u.d2; idx = idx / u.d2;
  let i1 = idx % u.d1; idx = idx / u.d1;
  let xOff = idx * u.sx0 + i1 * u.sx1 + i2 * u.sx2 + i3 * u.sx3;
  let yOff = idx * u.sy0 + i1 * u.sy1 + i2 * u.sy2 + i3 * u.sy3;
  let r = (wid.y + u.gy0) * WGY + lid.y;
  let c = (wid.x + u.gx0) * WGX + lid.x;
  if (r >= u.R || c >= u.Cc) { return; }
  var acc = 0.0;
  var ix = xOff + r * u.sXr;
  var iy = yOff + c * u.sYc;
  for (var k = 0u; k < u.K; k++) {
    acc = fma(X[ix], Y[iy], acc);
    ix += u.sXk;
    iy += u.sYk;
  }
  if (u.hasBias != 0u) { acc += Bias[u.bOff + r * u.sBr + c * u.sBc]; }
  let o = z * u.R * u.Cc + r * u.sCr + c * u.sCc;
{{STORE1}}
}
