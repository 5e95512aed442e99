// truncnorm-sample-grad.wgsl through the actor head (truncnorm-head.wgsl): one thread per element, writing the
// gradient of both of its head inputs (m and s) into DOUT [rows, 2A].

{{TRUNCNORM_MATH}}

@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> OUT: array<f32>;
@group(0) @binding(3) var<storage, read_write> DOUT: array<f32>;
@group(0) @binding(4) var<uniform> prm: Params;

override WG: u32 = 64;

// added to DOUT's value when prm.acc (an in-place gradient accumulation, as add would)
fn headStore(k: u32, v: f32) {
  DOUT[k] = select(v, DOUT[k] + v, prm.acc != 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= prm.n) { return; }
  let k = hm(i);
  let m = OUT[k];
  let sr = OUT[k + prm.A];
  let mu = headMean(m);
  let s = headStd(sr);
  let j = tn_sample_jacobian((prm.lo - mu) / s, (prm.hi - mu) / s, U[i]);
  let dy = DY[i];
  headStore(k, headDm(m, dy * j.x));
  headStore(k + prm.A, headDs(sr, dy * j.y));
}
