// LayerNorm's backward for one column of a row, n = (x - mean) rstd the forward's output before gamma and beta,
// dn = dy gamma, and the row's two means of dn and dn n over its columns:
//   dx = rstd (dn - mean(dn) - n mean(dn n))
fn layerNormGrad(dn: f32, n: f32, rstd: f32, meanDn: f32, meanDnN: f32) -> f32 {
  return rstd * (dn - meanDn - n * meanDnN);
}
