// One fused Adam(W) step, in place: P (parameters), M and V (moments) are bound read_write only.
//   g = G * scale;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr * ((m / bc1) / (sqrt(v / bc2) + eps) + wd * p)      bc1 = 1 - b1^t, bc2 = 1 - b2^t
// 1 - b1 and 1 - b2 come from the host, computed in double: 1 - f32(0.999) would be off by 1.3e-5.
// Three variants, from a small template ({{SCALE_DECL}}, {{SKIP}}, {{SCALE}}, {{BC1}}, {{BC2}}, binding numbers
// {{BP}} {{BM}} {{BV}} {{BU}}), since bindings cannot be overrides:
//   plain:  scale 1, bc1 and bc2 from the uniforms (computed by the host in double);
//   scaled: scale S[0] (the global-norm clipping factor), bc1 and bc2 from the uniforms;
//   gated:  S is the gate written by adam-gate.wgsl, [scale, finite, bc1, bc2]: when finite is 0 (a non-finite
//           gradient) the invocation returns before touching P, M or V, so the step leaves them bit-identical.

struct Params {
  n: u32,
  lr: f32,
  b1: f32,
  b2: f32,
  omb1: f32,
  omb2: f32,
  eps: f32,
  wd: f32,
  bc1: f32,
  bc2: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> G: array<f32>;
{{SCALE_DECL}}
@group(0) @binding({{BP}}) var<storage, read_write> P: array<f32>;
@group(0) @binding({{BM}}) var<storage, read_write> M: array<f32>;
@group(0) @binding({{BV}}) var<storage, read_write> V: array<f32>;
@group(0) @binding({{BU}}) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  {{SKIP}}
  let g = G[i] * {{SCALE}};
  let m = u.b1 * M[i] + u.omb1 * g;
  let v = u.b2 * V[i] + u.omb2 * g * g;
  M[i] = m;
  V[i] = v;
  let p = P[i];
  P[i] = p - u.lr * ((m / {{BC1}}) / (sqrt(v / {{BC2}}) + u.eps) + u.wd * p);
}
