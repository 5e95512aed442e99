// Softmax / log-softmax over the last axis of a [rows, len] f32 array, max-subtracted.
// OP: 0 softmax y = exp(x - m) / s, 1 log-softmax y = (x - m) - log(s), m the row max, s = sum(exp(x - m)).
// No workgroup barriers (each costs tens of microseconds per workgroup on software Vulkan):
//   main_row:   one thread per row (short rows such as 32-way categorical latents, or many rows): a max pass,
//               a sum pass and a write pass over the row (the re-reads hit cache). One dispatch.
//   main_stats, main_apply: few long rows, nsplit threads per row, thread (row, s) owning the elements
//               j = s, s + nsplit, ... (neighbouring threads read neighbouring addresses).
//               main_stats writes each thread's (max, sum(exp(x - max))) to P[2 t], P[2 t + 1];
//               main_apply merges its row's nsplit pairs with rescaling, s = sum_k s_k exp(m_k - m), and
//               writes its elements. Two dispatches; the host keeps nsplit <= sqrt(len) so the merge costs
//               no more than the elements.
// The running max starts at the lowest finite f32 (WGSL has no infinity literal): -inf entries give 0 /
// -inf, an all -inf row gives NaN as in the CPU reference.

struct Params {
  rows: u32,
  len: u32,
  nsplit: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
// main_row: the output; main_stats: the (max, sum) pairs
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
// main_apply's bindings: the pairs, then the output
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> Z: array<f32>;

override OP: u32 = 0u;
override WG: u32 = 64u;
const LOWEST: f32 = -0x1.fffffep+127f;

@group(0) @binding(2) var<uniform> u: Params;
@group(0) @binding(3) var<uniform> ua: Params;

@compute @workgroup_size(WG)
fn main_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * WG);
  if (row >= u.rows) { return; }
  let base = row * u.len;
  let end = base + u.len;
  var m = LOWEST;
  for (var j = base; j < end; j++) { m = max(m, X[j]); }
  var s = 0.0;
  for (var j = base; j < end; j++) { s += exp(X[j] - m); }
  if (OP == 0u) {
    let inv = 1.0 / s;
    for (var j = base; j < end; j++) { Y[j] = exp(X[j] - m) * inv; }
  } else {
    let ls = log(s);
    for (var j = base; j < end; j++) { Y[j] = (X[j] - m) - ls; }
  }
}

@compute @workgroup_size(WG)
fn main_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * (nwg.x * WG);
  if (t >= u.rows * u.nsplit) { return; }
  let row = t / u.nsplit;
  let base = row * u.len;
  let end = base + u.len;
  let first = base + (t - row * u.nsplit);
  var m = LOWEST;
  for (var j = first; j < end; j += u.nsplit) { m = max(m, X[j]); }
  var s = 0.0;
  for (var j = first; j < end; j += u.nsplit) { s += exp(X[j] - m); }
  Y[2u * t] = m;
  Y[2u * t + 1u] = s;
}

@compute @workgroup_size(WG)
fn main_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * (nwg.x * WG);
  if (t >= ua.rows * ua.nsplit) { return; }
  let row = t / ua.nsplit;
  let p0 = 2u * row * ua.nsplit;
  var m = LOWEST;
  for (var k = 0u; k < ua.nsplit; k++) { m = max(m, P[p0 + 2u * k]); }
  var s = 0.0;
  for (var k = 0u; k < ua.nsplit; k++) { s += P[p0 + 2u * k + 1u] * exp(P[p0 + 2u * k] - m); }
  let base = row * ua.len;
  let end = base + ua.len;
  let first = base + (t - row * ua.nsplit);
  if (OP == 0u) {
    let inv = 1.0 / s;
    for (var j = first; j < end; j += ua.nsplit) { Z[j] = exp(X[j] - m) * inv; }
  } else {
    let ls = log(s);
    for (var j = first; j < end; j += ua.nsplit) { Z[j] = (X[j] - m) - ls; }
  }
}
