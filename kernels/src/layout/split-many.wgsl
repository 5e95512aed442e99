// The inverse of concat-many.wgsl: up to 7 tensors (K outputs, one variant per K) each filled from one input
// in a single dispatch, 32-bit words. Output j is a run of n_j words read as rows of c_j words; row r of it
// comes from X[r * rowX + o_j, + c_j). The outputs' runs are laid end to end over the invocations as in
// concat-many.wgsl. Template markers (double braces): K1 (binding number), DECL (output bindings), WRITE.

struct Params {
  n: u32, rowX: u32, _pad0: u32, _pad1: u32,
  s0: u32, s1: u32, s2: u32, s3: u32, s4: u32, s5: u32, s6: u32, _pad2: u32,
  c0: u32, c1: u32, c2: u32, c3: u32, c4: u32, c5: u32, c6: u32, _pad3: u32,
  o0: u32, o1: u32, o2: u32, o3: u32, o4: u32, o5: u32, o6: u32, _pad4: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
{{DECL}}
@group(0) @binding({{K1}}) var<uniform> u: Params;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  var j = 0u;
  var s = 0u;
  var c = u.c0;
  var o = u.o0;
  if (i >= u.s1) { j = 1u; s = u.s1; c = u.c1; o = u.o1; }
  if (i >= u.s2) { j = 2u; s = u.s2; c = u.c2; o = u.o2; }
  if (i >= u.s3) { j = 3u; s = u.s3; c = u.c3; o = u.o3; }
  if (i >= u.s4) { j = 4u; s = u.s4; c = u.c4; o = u.o4; }
  if (i >= u.s5) { j = 5u; s = u.s5; c = u.c5; o = u.o5; }
  if (i >= u.s6) { j = 6u; s = u.s6; c = u.c6; o = u.o6; }
  let e = i - s;
  let v = X[(e / c) * u.rowX + o + e % c];
  switch j {
{{WRITE}}
    default: {}
  }
}
