// The gradient of gather, a scatter-add without atomics: DX viewed as [outer, A, inner], DY as [outer, K, inner].
// One invocation per DX element (o, a, r) sums DY[o, k, r] over every k with I[k] == a, in increasing k, so
// repeated indices accumulate and the result is deterministic (the same order as the CPU reference).
// The workgroup stages the indices through workgroup memory TILE at a time. Cost: size(DX) * K compares.

struct Params {
  n: u32,
  inner: u32,
  K: u32,
  A: u32,
}

@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 256;
const TILE: u32 = {{TILE}}u;

var<workgroup> tile: array<i32, TILE>;

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  // No early return: every invocation takes part in staging the tiles (barriers need uniform control flow).
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  let live = i < u.n;
  let r = i % u.inner;
  let t = i / u.inner;
  let a = i32(t % u.A);
  let base = (t / u.A) * u.K * u.inner + r;
  var acc = 0.0;
  for (var k0 = 0u; k0 < u.K; k0 += TILE) {
    for (var j = lid; j < TILE; j += WG) {
      var v = -1;
      if (k0 + j < u.K) { v = I[k0 + j]; }
      tile[j] = v;
    }
    workgroupBarrier();
    if (live) {
      let m = min(TILE, u.K - k0);
      for (var j = 0u; j < m; j++) {
        if (tile[j] == a) { acc += DY[base + (k0 + j) * u.inner]; }
      }
    }
    workgroupBarrier();
  }
  if (live) { DX[i] = acc; }
}
