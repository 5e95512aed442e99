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
//#include conv-up-io ST={{ST}} YT={{YT}}

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>{{SGARG}}) {
//#include conv-up-phase C={{C}} SV={{SV}}
  let nJB = (nw + {{R}}u - 1u) / {{R}}u; // runs per output row of the phase
  let Gp = u.N * nh * nJB;
  if (Gp == 0u) { return; }
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
