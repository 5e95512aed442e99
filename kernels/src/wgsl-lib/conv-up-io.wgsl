// conv_up's uniforms and bindings (conv-up.wgsl, conv-up-run.wgsl): S and F of element type ST, B and the bias of YT.
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
