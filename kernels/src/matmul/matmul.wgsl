// Register-blocked matmul (the op's WGSL path). C = X (R x K) @ Y (K x Cc) per batch, through element strides,
// so the op maps every case onto it: A @ B with either operand transposed, or the swapped product
// C^T = B^T @ A^T when C is narrow (then X = B^T, Y = A^T, C is written through swapped strides and the bias
// runs along rows). The bias is an addend read through strides, Bias[bOff + r * sBr + c * sBc]: a vector along
// columns (0, 1) or rows (1, 0), or a strided matrix (a slice of a bigger tensor, see the op's addend).
//
// Work split, chosen for Mesa's llvmpipe (software Vulkan), where an invocation is one lane of an 8-wide SIMD
// vector and every storage-buffer load runs lane by lane (a bounds-checked scalar load per lane), so the cost
// to minimise is loads per multiply-add, while keeping the unrolled code small (llvmpipe compiles it with LLVM
// at first dispatch, and compile time grows quickly with code size):
//   * a 1-D workgroup of WG invocations shares TM rows of X; each invocation owns TN adjacent columns and
//     keeps a TM x TN block of accumulators in registers (TM + TN loads feed TM * TN FMAs per k);
//   * with subgroups (SG template) the row values are loaded cooperatively: for each chunk of 8 k's, lane l of
//     a subgroup loads X(row, k0 + l) and every lane receives it by subgroupBroadcast (a register move), so a
//     row value costs 1/8 of a load. The whole workgroup shares its rows, so any subgroup size >= 8 works.
//     The last chunk is masked (k >= K contributes exact zeros), so there is no separate tail loop;
//   * without subgroups each invocation loads its own row values (chunks of 4 k's);
//   * Y is read as vec4 where its layout allows: over 4 adjacent columns ('c4') or over 4 consecutive k of one
//     column ('k4'); else as scalars. Each load site costs a per-lane loop, so this is faster and, as much, keeps
//     the code small.
// On llvmpipe Y may be bound as a uniform window instead (YDECL; MatmulPlan.uboRows / uboCols): a lane-varying
// uniform load is a branchless gather there, a storage load a branch per lane (kernels README).
// No workgroup memory and no barriers (slow on llvmpipe). Out-of-range rows/columns are clamped for loading and
// skipped when storing, so control flow stays uniform around subgroupBroadcast. No grid loops either: the op
// splits a grid beyond 65535 groups per dimension into several dispatches with group offsets gx0, gy0, z0.
// One dispatch covers k in [kb, ke). For a large K the op splits K into chunks of a few hundred, one dispatch
// each, so that the slice of Y a workgroup streams stays in the CPU's L2 cache while the next row blocks reuse
// it; dispatches after the first add to C (accum = 1; the bias goes with the first).
// The results are stored in a loop over rows whose trip count comes from the uniform tm (= TM): LLVM cannot
// unroll it, which keeps the number of memory access sites small (each one becomes a per-lane loop in
// llvmpipe's code; an unrolled store phase made compiling ~3x slower).
//
// Epilogue (matmul-kernel.ts epilogue): C = prev + (acc + bias), prev = C itself when accumulating (a later
// chunk of a split K, or the op's accumulate option), else 0; or, with an activation, PRE = acc + bias and
// C = act(PRE) (a second output, which the backward of the activation reads).
// Template markers (double braces, filled by blockedWgsl in matmul-kernel.ts since the unrolled blocks depend
// on TM, TN and the Y layout): ENABLE, YDECL (Y's binding: storage, or a uniform window), TM, TN, SGI, DECL (offsets, bias, accumulators), LOOP (the k
// loop), STORE, and for the epilogue ACT (the activation's expression of x), PRE_DECL (the PRE binding) and BU
// (the uniforms' binding number).
{{ENABLE}}

struct Params {
  R: u32, Cc: u32, K: u32, batch: u32,
  sXr: u32, sXk: u32, sYk: u32, sYc: u32,
  sCr: u32, sCc: u32, hasBias: u32, sBr: u32,
  d0: u32, d1: u32, d2: u32, d3: u32,
  sx0: u32, sx1: u32, sx2: u32, sx3: u32,
  sy0: u32, sy1: u32, sy2: u32, sy3: u32,
  gx0: u32, gy0: u32, z0: u32, kb: u32,
  ke: u32, accum: u32, tm: u32, sBc: u32,
  bOff: u32, yb: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) {{YDECL}}
@group(0) @binding(2) var<storage, read> Bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
{{PRE_DECL}}
@group(0) @binding({{BU}}) var<uniform> u: Params;

// The epilogue's activation (identity without one; see matmul-kernel.ts epilogue).
fn act(x: f32) -> f32 {
  let p0 = 1.0;
  return {{ACT}};
}

override WG: u32 = 64;
const TM: u32 = {{TM}}u;
const TN: u32 = {{TN}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>{{SGI}}) {
  let z = wid.z + u.z0;
  var idx = z;
  let i3 = idx % u.d3; idx = idx / u.d3;
  let i2 = idx % u.d2; idx = idx / u.d2;
  let i1 = idx % u.d1; idx = idx / u.d1;
  let xOff = idx * u.sx0 + i1 * u.sx1 + i2 * u.sx2 + i3 * u.sx3;
  let yOff = idx * u.sy0 + i1 * u.sy1 + i2 * u.sy2 + i3 * u.sy3;
  let cOff = z * u.R * u.Cc;
  let r0 = (wid.y + u.gy0) * TM;
  let c0 = ((wid.x + u.gx0) * WG + lid.x) * TN;
{{DECL}}
{{LOOP}}
{{STORE}}
}
