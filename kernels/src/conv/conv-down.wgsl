// Direct 2-D convolution, "down" direction (see geometry.ts): S = conv(B, F) + bias, NHWC.
//   S[n,oh,ow,cs] = bias[cs] + sum_{kh,kw,cb} B[n, oh*sH + kh - pT, ow*sW + kw - pL, cb] * F[kh,kw,cb,cs]
// Used by conv2d (B = x, F = w [KH,KW,Cin,Cout]) and by conv-transpose2d's backward-input (B = dy).
//
// Register blocking for software Vulkan (llvmpipe runs 8 invocations as one SIMD vector): each invocation computes
// {{P}} output pixels x {{C}} output channels. All invocations of a workgroup share the channel block (wid.y), so the
// filter index depends only on workgroup id and loop counters: llvmpipe's divergence analysis turns those loads
// into one scalar load + broadcast, and the only per-lane gathers are the {{P}} loads of B per input channel
// (vec4 over channels when CB % 4 == 0). Control flow is uniform: out-of-image taps read index 0 and are masked
// with select, tail pixels are clamped to the last pixel and not stored.
// Template markers (tile sizes fix the number of registers, so they cannot be override constants):
//   {{XT}} / {{FT}} element types of B / F and S (vec4<f32> or f32); {{XV}} / {{FV}} their widths;
//   SETUP, ROW, COL, BODY, STORE the markers for the unrolled per-pixel / per-channel statements (conv-kernels.ts).

{{ENABLE}}
struct Params {
  HB: u32, WB: u32, CB: u32, HS: u32,
  WS: u32, CS: u32, KH: u32, KW: u32,
  sH: u32, sW: u32, pT: u32, pL: u32,
  M: u32, hasBias: u32, _pad0: u32, _pad1: u32,
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
  let cs0 = wid.y * ({{C}}u / {{FV}}u); // first channel of this block, in units of FT
  let mBase = (wid.x + wid.z * nwg.x) * (WG * {{P}}u) + lid.x;
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
