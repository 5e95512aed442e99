// Backward of softmax / log-softmax over the last axis of [rows, len], from the forward output y:
//   OP 0 (softmax):     dx = y * (dy - t), t = sum(dy * y)
//   OP 1 (log-softmax): dx = dy - exp(y) * t, t = sum(dy)
// Entry points as in softmax.wgsl, no barriers: main_row (one thread per row, one dispatch), or main_stats
// (thread (row, s) writes its partial t over j = s, s + nsplit, ...) then main_apply (sums its row's nsplit
// partials and writes its elements).

struct Params {
  rows: u32,
  len: u32,
  nsplit: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> Yv: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
// main_row: dx; main_stats: the partials
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
// main_apply's bindings: the partials, then dx
@group(0) @binding(2) var<storage, read> P: array<f32>;
@group(0) @binding(3) var<storage, read_write> DXA: array<f32>;

@group(0) @binding(3) var<uniform> u: Params;
@group(0) @binding(4) var<uniform> ua: Params;

override OP: u32 = 0u;
override WG: u32 = 64u;

fn term(j: u32) -> f32 {
  if (OP == 0u) { return DY[j] * Yv[j]; }
  return DY[j];
}

fn grad(j: u32, t: f32) -> f32 {
  if (OP == 0u) { return Yv[j] * (DY[j] - t); }
  return DY[j] - exp(Yv[j]) * t;
}

@compute @workgroup_size(WG)
fn main_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * WG);
  if (row >= u.rows) { return; }
  let base = row * u.len;
  let end = base + u.len;
  var t = 0.0;
  for (var j = base; j < end; j++) { t += term(j); }
  for (var j = base; j < end; j++) { DX[j] = grad(j, t); }
}

@compute @workgroup_size(WG)
fn main_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.rows * u.nsplit) { return; }
  let row = i / u.nsplit;
  let end = row * u.len + u.len;
  var t = 0.0;
  for (var j = row * u.len + (i - row * u.nsplit); j < end; j += u.nsplit) { t += term(j); }
  DX[i] = t;
}

@compute @workgroup_size(WG)
fn main_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= ua.rows * ua.nsplit) { return; }
  let row = i / ua.nsplit;
  var t = 0.0;
  for (var k = 0u; k < ua.nsplit; k++) { t += P[row * ua.nsplit + k]; }
  let end = row * ua.len + ua.len;
  for (var j = row * ua.len + (i - row * ua.nsplit); j < end; j += ua.nsplit) { DXA[j] = grad(j, t); }
}
