// Direct 2-D convolution, "up" direction (the adjoint of conv-down.wgsl, see geometry.ts): B from S and F, NHWC.
//   B[n,ih,iw,cb] = bias[cb] + sum over kh,kw with (ih + pT - kh) % sH == 0, oh = (ih + pT - kh) / sH in [0,HS)
//                   (and likewise for w) of sum_cs S[n,oh,ow,cs] * F[kh,kw,cb,cs]
// Used by conv2d's backward-input (S = dy, F = w) and by conv-transpose2d (S = x, F = w [KH,KW,Cout,Cin]).
//
// Phase decomposition: the output pixels with ih % sH == ph, iw % sW == pw (one "phase") all use the taps
// kh = kh0 + th * sH, kw = kw0 + tw * sW (kh0 = (ph + pT) % sH), with oh = qh + i - th for output row ih = ph + sH * i,
// so no invocation loops over taps it never uses. The phase and the block of C output channels come from wid.x (they
// vary fastest over the grid, so the workgroups reading one block of S run back to back and find it in cache).
// Pixels of a phase are numbered batch-fastest (m = (i * nw + j) * N + n), so neighbouring lanes usually share
// (i, j) and hence the same valid taps; with subgroups the tap loops run over the union of the subgroup's valid
// taps (subgroupMin / subgroupMax, the same for every lane of a subgroup), which skips the all-masked taps at
// image borders (most taps when S is 2x2, as in the Dreamer encoder's last layer).
//
// Costs on llvmpipe (8 invocations = one SIMD vector; every storage load is a bounds-checked scalar load per lane):
// each invocation computes P pixels x C channels; per step of 4 input channels cs it gathers its P vectors of S and,
// with subgroups, the C filter vectors F[kh,kw,cb0+k,cs..] are loaded cooperatively (lane l loads vector l) and
// handed to every lane with subgroupBroadcast (a register move) instead of being loaded by all 8 lanes.
// Out-of-range taps read index 0 and are masked with select. The stores run in a loop with an opaque trip count
// (u.tileP = P) so that LLVM keeps one copy of the store code.
//
// Template markers (tile sizes fix the registers, so they are not override constants): ENABLE / SGARG / DIAG
// (subgroups), ST (S and F element type: vec4<f32> along cs, or f32), SV its width, YT (B and bias element type:
// vec4<f32> along cb when the channel block allows, or f32), C, P, and the generated statements SETUP, TAPS,
// ROW, COL, BODY, STORE (conv-kernels.ts).
{{ENABLE}}{{DIAG}}
struct Params {
  HB: u32, WB: u32, CB: u32, HS: u32,
  WS: u32, CS: u32, KH: u32, KW: u32,
  sH: u32, sW: u32, pT: u32, pL: u32,
  N: u32, hasBias: u32, tileP: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> S: array<{{ST}}>;        // S [N,HS,WS,CS]
@group(0) @binding(1) var<storage, read> F: array<{{ST}}>;        // F [KH,KW,CB,CS]
@group(0) @binding(2) var<storage, read> Bias: array<{{YT}}>;     // [CB] (F again when hasBias == 0)
@group(0) @binding(3) var<storage, read_write> Y: array<{{YT}}>;  // B [N,HB,WB,CB]
@group(0) @binding(4) var<uniform> u: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>{{SGARG}}) {
  let nPh = u.sH * u.sW;
  let phase = wid.x % nPh;
  let cb0 = (wid.x / nPh) * {{C}}u;
  let ph = phase / u.sW;
  let pw = phase % u.sW;
  // Output rows ih = ph + sH * i, i < nh (and columns likewise); the phase may be empty for tiny outputs.
  let nh = select(0u, (u.HB - ph + u.sH - 1u) / u.sH, ph < u.HB);
  let nw = select(0u, (u.WB - pw + u.sW - 1u) / u.sW, pw < u.WB);
  let Mp = u.N * nh * nw;
  if (Mp == 0u) { return; }
  let kh0 = (ph + u.pT) % u.sH;
  let kw0 = (pw + u.pL) % u.sW;
  let nTh = i32((u.KH - min(kh0, u.KH) + u.sH - 1u) / u.sH); // taps of this phase
  let nTw = i32((u.KW - min(kw0, u.KW) + u.sW - 1u) / u.sW);
  let qh = i32((ph + u.pT) / u.sH);
  let qw = i32((pw + u.pL) / u.sW);
  let CSv = u.CS / {{SV}}u;
  let mBase = (wid.y + wid.z * nwg.y) * (WG * {{P}}u) + lid.x;
{{SETUP}}
{{TAPS}}
  for (var th = thLo; th <= thHi; th++) {
    let kh = kh0 + u32(th) * u.sH;
{{ROW}}
    for (var tw = twLo; tw <= twHi; tw++) {
      let kw = kw0 + u32(tw) * u.sW;
{{COL}}
      let fi = ((kh * u.KW + kw) * u.CB + cb0) * CSv;
      for (var cs = 0u; cs < CSv; cs++) {
{{BODY}}
      }
    }
  }
{{STORE}}
}
