import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import fwdSource from './layernorm.wgsl';
import bwdSource from './layernorm-backward.wgsl';
import paramSource from './layernorm-param-grad.wgsl';

/** Threads of a 64-wide workgroup per row (1, 32 or 64; see rowThreads). */
export const LN_WG = 64;

/**
 * How many threads share one row. Many rows: one thread per row (no workgroup barriers, which are costly on
 * lavapipe, and plenty of parallelism across rows). Few, long rows: a workgroup-wide tree reduction.
 */
export function rowThreads(rows: number, cols: number): 1 | 32 | 64 {
  if (rows >= 64 || cols <= 64) return 1;
  return cols >= 2048 ? 64 : 32;
}

export interface LayerNormParams {
  rows: number;
  cols: number;
  eps: number;
  hasGamma: boolean;
  hasBeta: boolean;
  /** threads per row (WGSL only) */
  tpr: number;
}

export interface LayerNormBackwardParams {
  rows: number;
  cols: number;
  hasGamma: boolean;
  tpr: number;
}

export interface LayerNormParamGradParams {
  rows: number;
  cols: number;
}

/** Row statistics as the kernels define them: shifted two-pass mean and centred variance, in f64. */
export function rowStats(x: ArrayLike<number>, base: number, cols: number, eps: number): [number, number] {
  const shift = x[base];
  let s = 0;
  for (let c = 0; c < cols; c++) s += x[base + c] - shift;
  const mean = shift + s / cols;
  let v = 0;
  for (let c = 0; c < cols; c++) {
    const d = x[base + c] - mean;
    v += d * d;
  }
  return [mean, 1 / Math.sqrt(v / cols + eps)];
}

// Inputs [x, gamma, beta] (gamma/beta are x when absent), outputs [y, mean, rstd].
registerKernel({
  name: 'layernorm',
  backend: 'cpu',
  run([x, g, b], [y, mean, rstd], p: LayerNormParams) {
    const C = p.cols;
    for (let r = 0; r < p.rows; r++) {
      const base = r * C;
      const [m, rs] = rowStats(x, base, C, p.eps);
      // the GPU holds mean and rstd in f32; so does the reference, so y is computed from the stored values
      mean[r] = m;
      rstd[r] = rs;
      const mf = mean[r];
      const rf = rstd[r];
      for (let c = 0; c < C; c++) {
        let v = (x[base + c] - mf) * rf;
        if (p.hasGamma) v *= g[c];
        if (p.hasBeta) v += b[c];
        y[base + c] = v;
      }
    }
  },
});

registerKernel({
  name: 'layernorm',
  backend: 'webgpu',
  source: fwdSource,
  constants: (p: LayerNormParams) => ({ WG: LN_WG, T: p.tpr }),
  uniforms: (p: LayerNormParams) => [
    ['u32', p.rows],
    ['u32', p.cols],
    ['f32', p.eps],
    ['u32', (p.hasGamma ? 1 : 0) | (p.hasBeta ? 2 : 0)],
  ],
  dispatch: (p: LayerNormParams) => grid1d(p.rows, LN_WG / p.tpr),
});

// Inputs [dy, x, gamma (x when absent), mean, rstd], output [dx].
registerKernel({
  name: 'layernorm_backward',
  backend: 'cpu',
  run([dy, x, g, mean, rstd], [dx], p: LayerNormBackwardParams) {
    const C = p.cols;
    for (let r = 0; r < p.rows; r++) {
      const base = r * C;
      const m = mean[r];
      const rs = rstd[r];
      let s1 = 0;
      let s2 = 0;
      for (let c = 0; c < C; c++) {
        const n = (x[base + c] - m) * rs;
        const dn = p.hasGamma ? dy[base + c] * g[c] : dy[base + c];
        s1 += dn;
        s2 += dn * n;
      }
      s1 /= C;
      s2 /= C;
      for (let c = 0; c < C; c++) {
        const n = (x[base + c] - m) * rs;
        const dn = p.hasGamma ? dy[base + c] * g[c] : dy[base + c];
        dx[base + c] = rs * (dn - s1 - n * s2);
      }
    }
  },
});

registerKernel({
  name: 'layernorm_backward',
  backend: 'webgpu',
  source: bwdSource,
  constants: (p: LayerNormBackwardParams) => ({ WG: LN_WG, T: p.tpr }),
  uniforms: (p: LayerNormBackwardParams) => [
    ['u32', p.rows],
    ['u32', p.cols],
    ['u32', p.hasGamma ? 1 : 0],
    ['u32', 0],
  ],
  dispatch: (p: LayerNormBackwardParams) => grid1d(p.rows, LN_WG / p.tpr),
});

export const PG_TC = 64;
export const PG_TR = 4;

// Inputs [dy, x, mean, rstd], outputs [dgamma, dbeta].
registerKernel({
  name: 'layernorm_param_grad',
  backend: 'cpu',
  run([dy, x, mean, rstd], [dg, db], p: LayerNormParamGradParams) {
    const C = p.cols;
    const ag = new Float64Array(C);
    const ab = new Float64Array(C);
    for (let r = 0; r < p.rows; r++) {
      const base = r * C;
      const m = mean[r];
      const rs = rstd[r];
      for (let c = 0; c < C; c++) {
        const d = dy[base + c];
        ag[c] += d * (x[base + c] - m) * rs;
        ab[c] += d;
      }
    }
    dg.set(ag);
    db.set(ab);
  },
});

registerKernel({
  name: 'layernorm_param_grad',
  backend: 'webgpu',
  source: paramSource,
  constants: () => ({ TC: PG_TC, TR: PG_TR }),
  uniforms: (p: LayerNormParamGradParams) => [
    ['u32', p.rows],
    ['u32', p.cols],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: LayerNormParamGradParams) => grid1d(p.cols, PG_TC),
});
