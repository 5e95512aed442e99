// Partial sums of squares of several tensors laid out in one flat buffer (the gradients of a multi-tensor
// Adam step), all in one dispatch: workgroup g reduces X[T[2g], T[2g+1]), a chunk of at most WG * ITEMS
// elements of one tensor, into P[g]. The table T holds exactly the chunks sumsq-partial.wgsl gives each tensor
// on its own (chunk k of a tensor at offset o: [o + k * CHUNK, min(o + n, o + (k + 1) * CHUNK))), and every
// workgroup adds in the same order, so the partials are bit-identical to those of one sumsq-partial dispatch
// per tensor; sumsq-final.wgsl (or adam-gate-sum.wgsl) then adds them. Deterministic.

struct Params {
  groups: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<u32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 256;
override ITEMS: u32 = 16;

var<workgroup> sh: array<f32, {{WG}}>;

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let g = wid.x + wid.y * nwg.x;
  // Groups past `groups` exist only when the grid was folded into y: an empty range, and no write.
  let gc = min(g, u.groups - 1u);
  let start = T[2u * gc] + lid;
  let end = select(0u, T[2u * gc + 1u], g < u.groups);
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let e = start + k * WG; // coalesced: neighbouring invocations read neighbouring elements
    if (e < end) {
      let x = X[e];
      acc += x * x;
    }
  }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] += sh[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u && g < u.groups) { P[g] = sh[0]; }
}
