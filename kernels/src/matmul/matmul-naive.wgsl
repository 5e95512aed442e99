// Simple matmul, one output element per invocation: C[z, m, n] = sum_k A[z, m, k] * B[z, k, n] (+ bias[n]).
// Operands are addressed through element strides, so transposes cost nothing here: A(m, k) is
// A[aOff + m * sAm + k * sAk], B(k, n) is B[bOff + k * sBk + n * sBn]. The batch index z is decomposed over up
// to four collapsed batch dims (d0 outermost .. d3 innermost; unused dims are 1) whose strides into A and B are
// sa*, sb* (0 where that operand broadcasts). C is contiguous [batch, M, N]. Without a bias the op binds A
// again in the bias slot and sets hasBias = 0. Grid loops (x over N, y over M, z over batch) let any size run
// with at most 65535 groups per dimension.

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  sAm: u32, sAk: u32, sBk: u32, sBn: u32,
  d0: u32, d1: u32, d2: u32, d3: u32,
  sa0: u32, sa1: u32, sa2: u32, sa3: u32,
  sb0: u32, sb1: u32, sb2: u32, sb3: u32,
  hasBias: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> Bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

override WGX: u32 = 16;
override WGY: u32 = 16;

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var z = wid.z; z < u.batch; z += nwg.z) {
    var idx = z;
    let c3 = idx % u.d3; idx = idx / u.d3;
    let c2 = idx % u.d2; idx = idx / u.d2;
    let c1 = idx % u.d1; idx = idx / u.d1;
    let c0 = idx;
    let aOff = c0 * u.sa0 + c1 * u.sa1 + c2 * u.sa2 + c3 * u.sa3;
    let bOff = c0 * u.sb0 + c1 * u.sb1 + c2 * u.sb2 + c3 * u.sb3;
    let cOff = z * u.M * u.N;
    for (var gy = wid.y; gy * WGY < u.M; gy += nwg.y) {
      let m = gy * WGY + lid.y;
      for (var gx = wid.x; gx * WGX < u.N; gx += nwg.x) {
        let n = gx * WGX + lid.x;
        if (m < u.M && n < u.N) {
          var acc = 0.0;
          var ia = aOff + m * u.sAm;
          var ib = bOff + n * u.sBn;
          for (var k = 0u; k < u.K; k++) {
            acc = fma(A[ia], B[ib], acc);
            ia += u.sAk;
            ib += u.sBk;
          }
          if (u.hasBias != 0u) { acc += Bias[n]; }
          C[cOff + m * u.N + n] = acc;
        }
      }
    }
  }
}
