// Direct 2-D convolution, "up" direction (the adjoint of conv-down.wgsl, see geometry.ts): B from S and F, NHWC.
//   B[n,ih,iw,cb] = bias[cb] + sum over kh,kw with (ih + pT - kh) % sH == 0, oh = (ih + pT - kh) / sH in [0,HS)
//                   (and likewise for w) of sum_cs S[n,oh,ow,cs] * F[kh,kw,cb,cs]
// Used by conv2d's backward-input (S = dy, F = w) and by conv-transpose2d (S = x, F = w [KH,KW,Cout,Cin]).
//
// Phase decomposition: the output pixels with ih % sH == ph, iw % sW == pw (one "phase") all use the same taps
// kh = kh0, kh0 + sH, ... (kh0 = (ph + pT) % sH), so no invocation loops over taps it does not use. The phase
// and the block of {{C}} output channels come from wid.y and are uniform over the workgroup; the filter loads
// (index from workgroup id and loop counters only) are scalar loads + broadcasts on llvmpipe, and the per-lane
// gathers are the {{P}} loads of S per step (vec4 over cs when CS % 4 == 0). Control flow is uniform except the
// final store: out-of-range taps read index 0 and are masked with select.
// Markers: {{ST}} S and F element type (vec4<f32> along cs, or f32), {{SV}} its width, {{YT}} the B / bias element
// type (vec4<f32> along cb when the channel block allows, or f32); SETUP, ROW,
// COL, BODY, STORE the markers for the unrolled statements (conv-kernels.ts).

{{ENABLE}}
struct Params {
  HB: u32, WB: u32, CB: u32, HS: u32,
  WS: u32, CS: u32, KH: u32, KW: u32,
  sH: u32, sW: u32, pT: u32, pL: u32,
  N: u32, hasBias: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read> S: array<{{ST}}>;    // S [N,HS,WS,CS]
@group(0) @binding(1) var<storage, read> F: array<{{ST}}>;    // F [KH,KW,CB,CS]
@group(0) @binding(2) var<storage, read> Bias: array<{{YT}}>;    // [CB] (F again when hasBias == 0)
@group(0) @binding(3) var<storage, read_write> Y: array<{{YT}}>; // B [N,HB,WB,CB], vec4 along cb when CB % 4 == 0
@group(0) @binding(4) var<uniform> u: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>{{SGARG}}) {
  let nPh = u.sH * u.sW;
  let phase = wid.y % nPh;
  let cb0 = (wid.y / nPh) * {{C}}u;
  let ph = phase / u.sW;
  let pw = phase % u.sW;
  // Output rows ih = ph + sH * i, i < nh (and columns likewise); the phase may be empty for tiny outputs.
  let nh = select(0u, (u.HB - ph + u.sH - 1u) / u.sH, ph < u.HB);
  let nw = select(0u, (u.WB - pw + u.sW - 1u) / u.sW, pw < u.WB);
  let Mp = u.N * nh * nw;
  if (Mp == 0u) { return; }
  let kh0 = (ph + u.pT) % u.sH;
  let kw0 = (pw + u.pL) % u.sW;
  // oh = qh + i - t for the tap kh = kh0 + t * sH
  let qh = i32((ph + u.pT) / u.sH);
  let qw = i32((pw + u.pL) / u.sW);
  let CSv = u.CS / {{SV}}u;
  let mBase = (wid.x + wid.z * nwg.x) * (WG * {{P}}u) + lid.x;
{{SETUP}}
  var th = 0;
  for (var kh = kh0; kh < u.KH; kh += u.sH) {
{{ROW}}
    var tw = 0;
    for (var kw = kw0; kw < u.KW; kw += u.sW) {
{{COL}}
      let fi = ((kh * u.KW + kw) * u.CB + cb0) * CSv;
      for (var cs = 0u; cs < CSv; cs++) {
{{BODY}}
      }
      tw += 1;
    }
    th += 1;
  }
{{STORE}}
}
