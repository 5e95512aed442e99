// Bias gradient of an NHWC conv (or any [..., C] tensor), as partial sums over chunks of rows:
//   Out[g, c] = sum over m in [g * chunk, min((g + 1) * chunk, M)) of Dy[m, c]
// One invocation per (chunk, channel group of {{V}}); conv_sum_partials adds the chunks when there are several.
// {{T}} is vec4<f32> when C % 4 == 0, else f32; Cv = C / {{V}}.

struct Params {
  M: u32, Cv: u32, chunk: u32, n: u32,
}

@group(0) @binding(0) var<storage, read> Dy: array<{{T}}>;       // [M, C]
@group(0) @binding(1) var<storage, read_write> Out: array<{{T}}>; // [G, C]
@group(0) @binding(2) var<uniform> u: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG);
  if (i >= u.n) { return; }
  let g = i / u.Cv;
  let c = i % u.Cv;
  let mStart = g * u.chunk;
  let mEnd = min(mStart + u.chunk, u.M);
  var acc = {{T}}(0.0);
  var j = mStart * u.Cv + c;
  for (var m = mStart; m < mEnd; m++) {
    acc += Dy[j];
    j += u.Cv;
  }
  Out[i] = acc;
}
