// truncnorm-entropy.wgsl with mean and std from the actor head (truncnorm-head.wgsl): one thread per row.

{{TRUNCNORM_MATH}}

@group(0) @binding(0) var<storage, read> OUT: array<f32>;
@group(0) @binding(1) var<storage, read_write> H: array<f32>;
@group(0) @binding(2) var<uniform> prm: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * (nwg.x * WG);
  if (row >= prm.n) { return; }
  var acc: f32 = 0.0;
  for (var c = 0u; c < prm.A; c++) {
    let k = row * 2u * prm.A + c;
    acc += tn_entropy(headMean(OUT[k]), headStd(OUT[k + prm.A]), prm.lo, prm.hi).x;
  }
  H[row] = acc;
}
