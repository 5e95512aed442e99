// Direct 2-D convolution, "up" direction (conv-up.wgsl's computation, geometry.ts), with every invocation computing
// a run of R output pixels that are neighbours along w within one phase:
//   B[n,ih,iw,cb] = bias[cb] + sum over kh,kw with (ih + pT - kh) % sH == 0, oh = (ih + pT - kh) / sH in [0,HS)
//                   (and likewise for w) of sum_cs S[n,oh,ow,cs] * F[kh,kw,cb,cs]
// Phases as in conv-up.wgsl: the output pixels with ih % sH == ph, iw % sW == pw use the taps kh = kh0 + th sH,
// kw = kw0 + tw sW, and output pixel (ih, iw) = (ph + sH i, pw + sW j) reads S at oh = qh + i - th, ow = qw + j - tw.
// The run's pixels j = j0 + p (p < R) read, for the TW = ceil(KW / sW) taps tw, the S columns
// ow = qw + j0 + p - tw: only R + TW - 1 distinct columns for R TW pixel-taps. So per step of 4 input channels an
// invocation gathers R + TW - 1 vectors of S where conv-up.wgsl gathers R TW (on llvmpipe each gathered vector
// is a bounds-checked load per lane and per element, the cost that dominates; conv-kernels.ts upRunGen). Column
// d = 0 .. R + TW - 2 is ow = qw + j0 - (TW - 1) + d and serves pixel p = d + tw - (TW - 1) through tap tw.
// When KW is not a multiple of sW, some phases have TW - 1 taps: their last tap's products are dropped (select on
// the uniform nTw), so a stride hole adds no term, as in the reference. An out-of-range column or row reads 0
// (0 * F, as the reference's padding terms).
// Runs are numbered batch-fastest (g = (i * nJB + jb) * N + n, jb the run within the phase's row), so the lanes of
// a subgroup usually share the output row and hence the valid taps th; with subgroups the th loop runs over their
// union (subgroupMin / subgroupMax) and the TW x C filter vectors of a step are loaded cooperatively and handed out
// by subgroupBroadcast.
// Template markers: ENABLE / SGARG / DIAG (subgroups), ST (S and F element type), SV its width, YT (B and bias
// element type), C (output channels per invocation), R (pixels per run), TW1 (= TW - 1), and the generated
// statements SETUP, TAPS, ROW, BODY, STORE (conv-kernels.ts upRunGen).
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
  let nh = select(0u, (u.HB - ph + u.sH - 1u) / u.sH, ph < u.HB);
  let nw = select(0u, (u.WB - pw + u.sW - 1u) / u.sW, pw < u.WB);
  let nJB = (nw + {{R}}u - 1u) / {{R}}u; // runs per output row of the phase
  let Gp = u.N * nh * nJB;
  if (Gp == 0u) { return; }
  let kh0 = (ph + u.pT) % u.sH;
  let kw0 = (pw + u.pL) % u.sW;
  let nTh = i32((u.KH - min(kh0, u.KH) + u.sH - 1u) / u.sH);
  let nTw = (u.KW - min(kw0, u.KW) + u.sW - 1u) / u.sW;
  let qh = i32((ph + u.pT) / u.sH);
  let qw = i32((pw + u.pL) / u.sW);
  let CSv = u.CS / {{SV}}u;
  let gr = (wid.y + wid.z * nwg.y) * WG + lid.x;
  let g = min(gr, Gp - 1u);
  let n = g % u.N;
  let q = g / u.N;
  let i = q / nJB;
  let j0 = (q % nJB) * {{R}}u;
  let ohb = qh + i32(i);
  let cw = qw + i32(j0) - {{TW1}}; // the S column of d = 0
{{SETUP}}
{{TAPS}}
  for (var th = thLo; th <= thHi; th++) {
    let kh = kh0 + u32(th) * u.sH;
    let oh = ohb - th;
    let okh = oh >= 0 && oh < i32(u.HS);
    let rb = (n * u.HS + u32(max(oh, 0))) * u.WS;
{{ROW}}
    for (var cs = 0u; cs < CSv; cs++) {
{{BODY}}
    }
  }
{{STORE}}
}
