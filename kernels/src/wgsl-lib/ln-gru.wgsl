// DreamerV2's LayerNorm GRU cell for one hidden unit j of H, shared by the GRU kernels (gru/) and the observe
// scan (scan/). From the LayerNorm outputs n = (pre - mean) rstd of the unit's three pre-activation columns
// (reset j, candidate H + j, update 2H + j; mean and rstd over all 3H) as n.xyz, LayerNorm's gamma and beta of
// those columns, and the update gate's bias ub:
//   p = n gamma + beta;  r = sigm(p_r),  c = tanh(r p_c),  u = sigm(p_u + ub);  h' = u c + (1 - u) h
// lnGruGates returns (r, p_c, c, u), what h' (lnGruState) and the backward (lnGruGrads) need. lnGruGrads, from
// dh' = d and the previous state h:
//   dc = d u,  du = d (c - h),  dz = dc (1 - c^2)   (z = r p_c),
//   dp_r = dz p_c r (1 - r),  dp_c = dz r,  dp_u = du u (1 - u),  dh_direct = d (1 - u)
// as (dp_r, dp_c, dp_u, dh_direct); LayerNorm's backward over the 3H columns is layer-norm's layerNormGrad, with
// dn = dp gamma. Needs webgpu/ieee.wgsl (tanhN) in the shader.
//#include sigmoid
//#include layer-norm

fn lnGruGates(n: vec3<f32>, gamma: vec3<f32>, beta: vec3<f32>, ub: f32) -> vec4<f32> {
  let p = n * gamma + beta;
  let r = sigm(p.x);
  let c = tanhN(r * p.y);
  return vec4(r, p.y, c, sigm(p.z + ub));
}

fn lnGruState(g: vec4<f32>, h: f32) -> f32 {
  return g.w * g.z + (1.0 - g.w) * h;
}

fn lnGruGrads(g: vec4<f32>, d: f32, h: f32) -> vec4<f32> {
  let dz = d * g.w * (1.0 - g.z * g.z);
  let du = d * (g.z - h);
  return vec4(dz * g.y * g.x * (1.0 - g.x), dz * g.x, du * g.w * (1.0 - g.w), d * (1.0 - g.w));
}
