// rowSum(lid, lane, v): the sum of v over the T lanes (threads) that share this thread's row, returned to every
// lane; a tree reduction in workgroup memory, log2(T) barrier steps. The including shader declares the overrides
// WG (threads per workgroup) and T (threads per row, a power of two dividing WG); rows are WG / T consecutive
// blocks of T threads, lane = lid % T. Call it from uniform control flow (it contains barriers).
// Parameter: ELEM, the summed type (f32, vec2<f32>, ...).
var<workgroup> red: array<{{ELEM}}, WG>;

fn rowSum(lid: u32, lane: u32, v: {{ELEM}}) -> {{ELEM}} {
  if (T == 1u) { return v; }
  red[lid] = v;
  workgroupBarrier();
  for (var k = T / 2u; k > 0u; k >>= 1u) {
    if (lane < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  let s = red[lid - lane];
  workgroupBarrier();
  return s;
}
