  // conv_up's phase of this workgroup (conv-up.wgsl): the output pixels ih % sH == ph, iw % sW == pw, a block of C
  // output channels from cb0; output rows ih = ph + sH i, i < nh (columns likewise; a phase may be empty for tiny
  // outputs); its taps kh = kh0 + th sH (nTh of them), kw = kw0 + tw sW (nTwU), reading S at oh = qh + i - th.
  let nPh = u.sH * u.sW;
  let phase = wid.x % nPh;
  let cb0 = (wid.x / nPh) * {{C}}u;
  let ph = phase / u.sW;
  let pw = phase % u.sW;
  let nh = select(0u, (u.HB - ph + u.sH - 1u) / u.sH, ph < u.HB);
  let nw = select(0u, (u.WB - pw + u.sW - 1u) / u.sW, pw < u.WB);
  let kh0 = (ph + u.pT) % u.sH;
  let kw0 = (pw + u.pL) % u.sW;
  let nTh = i32((u.KH - min(kh0, u.KH) + u.sH - 1u) / u.sH);
  let nTwU = (u.KW - min(kw0, u.KW) + u.sW - 1u) / u.sW;
  let qh = i32((ph + u.pT) / u.sH);
  let qw = i32((pw + u.pL) / u.sW);
  let CSv = u.CS / {{SV}}u;
