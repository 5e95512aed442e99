import { registerKernel } from '../core/registry.js';
import { ceilDiv, MAX_GROUPS } from '../webgpu/grid.js';
import naiveSource from './matmul-naive.wgsl';

/** Batch dims after collapsing (outermost first); unused leading dims have size 1 and stride 0. */
export const MAX_BATCH_DIMS = 4;

/**
 * Everything the matmul kernels need. Element (m, k) of one A matrix is A[aOff + m*sAm + k*sAk] and element
 * (k, n) of one B matrix is B[bOff + k*sBk + n*sBn], where aOff/bOff come from the batch index decomposed over
 * `dims` with strides `sa`/`sb` (0 where the operand broadcasts). C is contiguous [batch, M, N].
 */
export interface MatmulParams {
  M: number;
  N: number;
  K: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  sAm: number;
  sAk: number;
  sBk: number;
  sBn: number;
  /** Length MAX_BATCH_DIMS each, outermost first. */
  dims: number[];
  sa: number[];
  sb: number[];
  hasBias: boolean;
  /** Force a WGSL variant (tests and benchmarks); otherwise chosen by shape. */
  variant?: MatmulVariant;
}

export type MatmulVariant = 'naive';

registerKernel({
  name: 'matmul',
  backend: 'cpu',
  run([A, B, Bias], [C], p: MatmulParams) {
    const { M, N, K, dims, sa, sb } = p;
    // f64 accumulation: the reference is at least as accurate as any f32 kernel it is compared with.
    const acc = new Float64Array(N);
    for (let z = 0; z < p.batch; z++) {
      let idx = z;
      let aOff = 0;
      let bOff = 0;
      for (let d = MAX_BATCH_DIMS - 1; d >= 0; d--) {
        const c = idx % dims[d];
        idx = Math.floor(idx / dims[d]);
        aOff += c * sa[d];
        bOff += c * sb[d];
      }
      const cOff = z * M * N;
      for (let m = 0; m < M; m++) {
        acc.fill(0);
        for (let k = 0; k < K; k++) {
          const av = A[aOff + m * p.sAm + k * p.sAk];
          const rb = bOff + k * p.sBk;
          for (let n = 0; n < N; n++) acc[n] += av * B[rb + n * p.sBn];
        }
        for (let n = 0; n < N; n++) C[cOff + m * N + n] = acc[n] + (p.hasBias ? Bias[n] : 0);
      }
    }
  },
});

registerKernel({
  name: 'matmul',
  backend: 'webgpu',
  source: naiveSource,
  variant: () => 'naive',
  constants: () => ({ WGX: 16, WGY: 16 }),
  uniforms: (p: MatmulParams) => [
    ['u32', p.M],
    ['u32', p.N],
    ['u32', p.K],
    ['u32', p.batch],
    ['u32', p.sAm],
    ['u32', p.sAk],
    ['u32', p.sBk],
    ['u32', p.sBn],
    ...p.dims.map((d) => ['u32', d] as const),
    ...p.sa.map((s) => ['u32', s] as const),
    ...p.sb.map((s) => ['u32', s] as const),
    ['u32', p.hasBias ? 1 : 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: MatmulParams) => [
    Math.min(ceilDiv(p.N, 16), MAX_GROUPS),
    Math.min(ceilDiv(p.M, 16), MAX_GROUPS),
    Math.min(p.batch, MAX_GROUPS),
  ],
});
