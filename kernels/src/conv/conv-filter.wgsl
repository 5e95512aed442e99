// Filter gradient of a 2-D convolution (see geometry.ts), as partial sums over chunks of pixels:
//   Out[g, kh,kw,cb,cs] = sum over m = (n,oh,ow) in chunk g of B[n, oh*sH + kh - pT, ow*sW + kw - pL, cb] * S[m, cs]
// chunk g covers m in [g * chunk, min((g + 1) * chunk, M)), M = N*HS*WS; conv_sum_partials adds the chunks up
// (with one chunk this kernel writes the gradient itself). conv2d: B = x, S = dy; conv-transpose2d: B = dy, S = x.
//
// An implicit GEMM F = im2col(B)^T S with the reduction over pixels. Each invocation owns {{P}} filter rows
// (kh, kw and a group of {{XV}} input channels cb) x {{C}} output channels cs; the channel block (wid.x), the chunk
// (wid.z) and the pixel loop are uniform over the workgroup. Per pixel an invocation gathers its B vectors and,
// with subgroups, S[m, cs0 ..] is loaded cooperatively (lane l of a subgroup loads vector l) and handed to every
// lane by subgroupBroadcast (see conv-down.wgsl for why that matters on llvmpipe). {{U}} pixels per iteration
// (the accumulator updates are masked stores once per iteration on llvmpipe). Out-of-image taps and pixels past
// the chunk read index 0 / the last pixel and are masked with select. Stores in a loop with an opaque trip count.
// Markers: ENABLE / SGARG (subgroups), XT (B element type, vec4<f32> along cb or f32), ST (S and Out element type,
// vec4<f32> along cs or f32), XV / SV their widths, C, P, U, and the generated SETUP, BODY, STORE (conv-kernels.ts).
{{ENABLE}}
struct Params {
  HB: u32, WB: u32, CB: u32, HS: u32,
  WS: u32, CS: u32, KH: u32, KW: u32,
  sH: u32, sW: u32, pT: u32, pL: u32,
  M: u32, chunk: u32, rows: u32, L: u32,
  tileP: u32, _pad0: u32, _pad1: u32, _pad2: u32, // tileP = P (an opaque trip count for the store loop)
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
  // Channel blocks vary fastest over the grid (then row blocks, then chunks): the workgroups that read one block
  // of rows of B run back to back and find it in cache.
  let cs0 = wid.x * ({{C}}u / {{SV}}u); // in units of ST
  let g = wid.z;
  let rBase = wid.y * (WG * {{P}}u) + lid.x; // row = (kh * KW + kw) * CBv + cbv
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
