// Backward of the straight-through sample  sample + probs - stopgrad(probs)  with probs = (1 - u) softmax(x) + u / C:
// dx = (1 - u) J_softmax^T dS = (1 - u) s * (dS - <s, dS>),  s = (probs - u / C) / (1 - u) recovered from probs.
// Written as (probs - u/C) * (dS - <probs - u/C, dS> / (1 - u)). One thread per row of C.

struct Params {
  rows: u32,
  C: u32,
  unimix: f32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> DS: array<f32>;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * WG);
  if (row >= u.rows) { return; }
  let C = u.C;
  let base = row * C;
  let fl = u.unimix / f32(C);
  var dot = 0.0;
  for (var c = 0u; c < C; c++) {
    dot += max(P[base + c] - fl, 0.0) * DS[base + c];
  }
  dot = dot / (1.0 - u.unimix);
  for (var c = 0u; c < C; c++) {
    DX[base + c] = max(P[base + c] - fl, 0.0) * (DS[base + c] - dot);
  }
}
