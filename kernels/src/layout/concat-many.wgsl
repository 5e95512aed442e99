// Up to 7 tensors copied into one in a single dispatch (K inputs, one variant per K; 32-bit words, so
// f32 and i32 alike, bit for bit). Input j is a run of n_j words read as rows of c_j words; row r of it goes to
// Y[r * rowY + o_j, + c_j). So a concatenation along an axis is rowY = A * inner, c_j = len_j * inner and
// o_j = off_j * inner, and packing flat tensors into slots of one buffer is one row per input at o_j.
// The inputs' runs are laid end to end over the invocations: input j covers [s_j, s_j + n_j) of the flat
// index, s_0 = 0 (s_j past the last input are u.n, so they are never chosen).
// Template markers (double braces): K and K1 (binding numbers), DECL (the inputs' bindings), READ (the switch
// that reads input j).

struct Params {
  n: u32, rowY: u32, _pad0: u32, _pad1: u32,
  s0: u32, s1: u32, s2: u32, s3: u32, s4: u32, s5: u32, s6: u32, _pad2: u32,
  c0: u32, c1: u32, c2: u32, c3: u32, c4: u32, c5: u32, c6: u32, _pad3: u32,
  o0: u32, o1: u32, o2: u32, o3: u32, o4: u32, o5: u32, o6: u32, _pad4: u32,
}

{{DECL}}
@group(0) @binding({{K}}) var<storage, read_write> Y: array<u32>;
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
  var v = 0u;
  switch j {
{{READ}}
    default: {}
  }
  Y[(e / c) * u.rowY + o + e % c] = v;
}
