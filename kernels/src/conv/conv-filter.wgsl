// Filter gradient of a 2-D convolution (see geometry.ts), as partial sums over chunks of pixels:
//   Out[g, kh,kw,cb,cs] = sum over m = (n,oh,ow) in chunk g of B[n, oh*sH + kh - pT, ow*sW + kw - pL, cb] * S[m, cs]
// chunk g covers m in [g * chunk, min((g + 1) * chunk, M)), M = N*HS*WS; conv_sum_partials adds the chunks up
// (with one chunk this kernel writes the gradient itself). conv2d: B = x, S = dy; conv-transpose2d: B = dy, S = x.
//
// An implicit GEMM F = im2col(B)^T S with the reduction over pixels: each invocation owns {{P}} rows (kh,kw,cb-group
// of {{XV}} channels) x {{C}} output channels cs. The channel block (wid.y) and the chunk (wid.z) are uniform over
// the workgroup and so is the pixel loop, so the S loads are scalar loads + broadcasts on llvmpipe and the per-lane
// gathers are the {{P}} loads of B per pixel. Out-of-image taps read index 0 and are masked with select.
// Markers: {{XT}} B element type (vec4<f32> along cb or f32), {{ST}} S / Out element type (vec4 along cs or f32),
// {{XV}}, {{SV}} their widths; SETUP, BODY, STORE the markers for the unrolled statements (conv-kernels.ts).

{{ENABLE}}
struct Params {
  HB: u32, WB: u32, CB: u32, HS: u32,
  WS: u32, CS: u32, KH: u32, KW: u32,
  sH: u32, sW: u32, pT: u32, pL: u32,
  M: u32, chunk: u32, rows: u32, L: u32,
}

@group(0) @binding(0) var<storage, read> X: array<{{XT}}>;       // B [N,HB,WB,CB]
@group(0) @binding(1) var<storage, read> S: array<{{ST}}>;       // S [N,HS,WS,CS]
@group(0) @binding(2) var<storage, read_write> Out: array<{{ST}}>; // [G, KH,KW,CB,CS]
@group(0) @binding(3) var<uniform> u: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>{{SGARG}}) {
  let CBv = u.CB / {{XV}}u;
  let CSv = u.CS / {{SV}}u;
  let cs0 = wid.y * ({{C}}u / {{SV}}u); // in units of ST
  let g = wid.z;
  let rBase = wid.x * (WG * {{P}}u) + lid.x; // row = (kh * KW + kw) * CBv + cbv
{{SETUP}}
  let mStart = g * u.chunk;
  let mEnd = min(mStart + u.chunk, u.M);
  // Position (n, oh, ow) of pixel m, advanced one pixel at a time inside BODY ({{U}} pixels per iteration).
  var ow = mStart % u.WS;
  var oh = (mStart / u.WS) % u.HS;
  var nb = (mStart / (u.WS * u.HS)) * u.HB; // n * HB
  var si = mStart * CSv + cs0;             // S index of pixel m, channel block cs0
  let sMax = (u.M - 1u) * CSv + cs0;
  for (var m = mStart; m < mEnd; m += {{U}}u) {
{{BODY}}
    si += {{U}}u * CSv;
  }
  let ob = g * (u.L / {{SV}}u);
{{STORE}}
}
