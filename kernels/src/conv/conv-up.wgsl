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
//#include conv-up-io ST={{ST}} YT={{YT}}

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>{{SGARG}}) {
//#include conv-up-phase C={{C}} SV={{SV}}
  let Mp = u.N * nh * nw;
  if (Mp == 0u) { return; }
  let nTw = i32(nTwU);
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
