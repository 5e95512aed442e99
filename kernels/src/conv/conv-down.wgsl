// Direct 2-D convolution, "down" direction (see geometry.ts): S = conv(B, F) + bias, NHWC.
//   S[n,oh,ow,cs] = bias[cs] + sum_{kh,kw,cb} B[n, oh*sH + kh - pT, ow*sW + kw - pL, cb] * F[kh,kw,cb,cs]
// Used by conv2d (B = x, F = w [KH,KW,Cin,Cout]) and by conv-transpose2d's backward-input (B = dy).
//
// Costs on llvmpipe (software Vulkan; 8 invocations run as one SIMD vector and every storage-buffer load is a
// bounds-checked scalar load per lane, whatever its address): each invocation computes {{P}} output pixels x
// {{C}} output channels, so a gathered value of B feeds {{C}} multiply-adds and a filter value {{P}}. All
// invocations of a workgroup share the channel block (wid.x); with subgroups the filter rows of one step are
// loaded cooperatively (lane l of a subgroup loads vector l) and handed to every lane with subgroupBroadcast (a
// register move), instead of being loaded by all 8 lanes. Control flow is uniform: out-of-image taps read index 0
// and are masked with select, tail pixels are clamped to the last pixel and not stored. The stores run in a loop
// with an opaque trip count (u.tileP = P): LLVM keeps one copy of the store code (compile time).
// Template markers (tile sizes fix the number of registers, so they cannot be override constants): ENABLE / SGARG
// (subgroups), XT / FT element types of B / F and S (vec4<f32> or f32), XV / FV their widths, C, P, and the
// generated statements SETUP, ROW, COL, BODY, STORE (conv-kernels.ts).
{{ENABLE}}
struct Params {
  HB: u32, WB: u32, CB: u32, HS: u32,
  WS: u32, CS: u32, KH: u32, KW: u32,
  sH: u32, sW: u32, pT: u32, pL: u32,
  M: u32, hasBias: u32, tileP: u32, _pad0: u32, // tileP = P (an opaque trip count for the store loop)
}

@group(0) @binding(0) var<storage, read> X: array<{{XT}}>;   // B [N,HB,WB,CB]
@group(0) @binding(1) var<storage, read> F: array<{{FT}}>;   // F [KH,KW,CB,CS]
@group(0) @binding(2) var<storage, read> Bias: array<{{FT}}>; // [CS] (F again when hasBias == 0)
@group(0) @binding(3) var<storage, read_write> Y: array<{{FT}}>; // S [N,HS,WS,CS]
@group(0) @binding(4) var<uniform> u: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>{{SGARG}}) {
  let CBv = u.CB / {{XV}}u;          // a B pixel in units of XT
  let CSv = u.CS / {{FV}}u;          // an F row / S pixel in units of FT
  // Channel blocks vary fastest over the grid: the workgroups that read one block of pixels run back to back and
  // find it in cache (batches of hundreds of images do not fit). Pixel blocks: wid.y + wid.z * nwg.y.
  let cs0 = wid.x * ({{C}}u / {{FV}}u); // first channel of this block, in units of FT
  let mBase = (wid.y + wid.z * nwg.y) * (WG * {{P}}u) + lid.x;
  let rowStep = {{XV}}u * CSv;
{{SETUP}}
  for (var kh = 0u; kh < u.KH; kh++) {
{{ROW}}
    for (var kw = 0u; kw < u.KW; kw++) {
{{COL}}
      var fi = (kh * u.KW + kw) * u.CB * CSv + cs0;
      for (var cb = 0u; cb < CBv; cb++) {
{{BODY}}
        fi += rowStep;
      }
    }
  }
{{STORE}}
}
