import { registerKernel } from '../core/registry.js';
import { LN_WG, rowThreads } from '../norm/layernorm-kernel.js';
import { grid1d } from '../webgpu/grid.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import fwdSource from './gru-forward.wgsl';
import bwdSource from './gru-backward.wgsl';
import finishSource from './gru-finish.wgsl';

export { rowThreads };

export interface GruForwardParams {
  rows: number;
  H: number;
  eps: number;
  updateBias: number;
  /** threads per row (WGSL only) */
  tpr: number;
}

export interface GruBackwardParams {
  rows: number;
  H: number;
  updateBias: number;
  tpr: number;
}

export interface GruFinishParams {
  rows: number;
  H: number;
  /** Bits: 1 dgamma, 2 dbeta, 4 dh are added to the outputs' values (in-place gradient accumulation). */
  acc?: number;
  /** A fifth input BOX whose elements BOX[off + b * row + j] are added to dh last (a strided gradient so far). */
  box?: { off: number; row: number } | null;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

// Inputs [xw, hw, h, gamma, beta], outputs [hNew, pre, aux = [(mean, rstd) x B | beta]]; see gru-forward.wgsl.
registerKernel({
  name: 'gru_forward',
  backend: 'cpu',
  run([xw, hw, h, g, bt], [hn, pre, stats], p: GruForwardParams) {
    const { H } = p;
    const C = 3 * H;
    stats.set(bt.subarray(0, C), 2 * p.rows);
    for (let r = 0; r < p.rows; r++) {
      const base = r * C;
      for (let c = 0; c < C; c++) pre[base + c] = xw[base + c] + hw[base + c];
      const shift = pre[base];
      let s = 0;
      for (let c = 0; c < C; c++) s += pre[base + c] - shift;
      const mean = shift + s / C;
      let v = 0;
      for (let c = 0; c < C; c++) v += (pre[base + c] - mean) ** 2;
      stats[2 * r] = mean;
      stats[2 * r + 1] = 1 / Math.sqrt(v / C + p.eps);
      const m = stats[2 * r];
      const rs = stats[2 * r + 1];
      for (let j = 0; j < H; j++) {
        const rg = sigmoid((pre[base + j] - m) * rs * g[j] + bt[j]);
        const cand = Math.tanh(rg * ((pre[base + H + j] - m) * rs * g[H + j] + bt[H + j]));
        const upd = sigmoid((pre[base + 2 * H + j] - m) * rs * g[2 * H + j] + bt[2 * H + j] + p.updateBias);
        hn[r * H + j] = upd * cand + (1 - upd) * h[r * H + j];
      }
    }
  },
});

registerKernel({
  name: 'gru_forward',
  backend: 'webgpu',
  source: ieeeSource + fwdSource,
  constants: (p: GruForwardParams) => ({ WG: LN_WG, T: p.tpr }),
  uniforms: (p: GruForwardParams) => [
    ['u32', p.rows],
    ['u32', p.H],
    ['f32', p.eps],
    ['f32', p.updateBias],
  ],
  dispatch: (p: GruForwardParams) => grid1d(p.rows, LN_WG / p.tpr),
});

// Inputs [dhNew, pre, aux, h, gamma], outputs [dpre, dpx = [dp | dh_direct]]; see gru-backward.wgsl.
registerKernel({
  name: 'gru_backward',
  backend: 'cpu',
  run([dhn, pre, stats, h, g], [dpre, dpx], p: GruBackwardParams) {
    const { H } = p;
    const C = 3 * H;
    const bt = stats.subarray(2 * p.rows, 2 * p.rows + C);
    const nn = new Float64Array(C);
    const dn = new Float64Array(C);
    for (let r = 0; r < p.rows; r++) {
      const base = r * C;
      const xb = r * 4 * H;
      const m = stats[2 * r];
      const rs = stats[2 * r + 1];
      for (let c = 0; c < C; c++) nn[c] = (pre[base + c] - m) * rs;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < H; j++) {
        const pc = nn[H + j] * g[H + j] + bt[H + j];
        const rg = sigmoid(nn[j] * g[j] + bt[j]);
        const cand = Math.tanh(rg * pc);
        const upd = sigmoid(nn[2 * H + j] * g[2 * H + j] + bt[2 * H + j] + p.updateBias);
        const d = dhn[r * H + j];
        const dz = d * upd * (1 - cand * cand);
        const dpr = dz * pc * rg * (1 - rg);
        const dpc = dz * rg;
        const dpu = d * (cand - h[r * H + j]) * upd * (1 - upd);
        dpx[xb + j] = dpr;
        dpx[xb + H + j] = dpc;
        dpx[xb + 2 * H + j] = dpu;
        dpx[xb + 3 * H + j] = d * (1 - upd);
        dn[j] = dpr * g[j];
        dn[H + j] = dpc * g[H + j];
        dn[2 * H + j] = dpu * g[2 * H + j];
      }
      for (let c = 0; c < C; c++) {
        s1 += dn[c];
        s2 += dn[c] * nn[c];
      }
      s1 /= C;
      s2 /= C;
      for (let c = 0; c < C; c++) dpre[base + c] = rs * (dn[c] - s1 - nn[c] * s2);
    }
  },
});

registerKernel({
  name: 'gru_backward',
  backend: 'webgpu',
  source: ieeeSource + bwdSource,
  constants: (p: GruBackwardParams) => ({ WG: LN_WG, T: p.tpr }),
  uniforms: (p: GruBackwardParams) => [
    ['u32', p.rows],
    ['u32', p.H],
    ['f32', p.updateBias],
    ['u32', 0],
  ],
  dispatch: (p: GruBackwardParams) => grid1d(p.rows, LN_WG / p.tpr),
});

const TC = 64;
const TR = 4;
const colGroups = (p: GruFinishParams) => Math.ceil((3 * p.H) / TC);

// Inputs [dpx, pre, aux, dhMat], outputs [dgamma, dbeta, dh]; see gru-finish.wgsl.
registerKernel({
  name: 'gru_finish',
  backend: 'cpu',
  run([dpx, pre, stats, dhm, box], [dg, db, dh], p: GruFinishParams) {
    const { H } = p;
    const C = 3 * H;
    const ag = new Float64Array(C);
    const ab = new Float64Array(C);
    const acc = p.acc ?? 0;
    const f = Math.fround;
    for (let r = 0; r < p.rows; r++) {
      const m = stats[2 * r];
      const rs = stats[2 * r + 1];
      for (let c = 0; c < C; c++) {
        const d = dpx[r * 4 * H + c];
        ag[c] += d * (pre[r * C + c] - m) * rs;
        ab[c] += d;
      }
      for (let j = 0; j < H; j++) {
        const v = f(dpx[r * 4 * H + 3 * H + j] + dhm[r * H + j]);
        dh[r * H + j] = acc & 4 ? dh[r * H + j] + v : v;
        if (p.box) dh[r * H + j] += box[p.box.off + r * p.box.row + j];
      }
    }
    // with accumulation: the f32 sum added to the value there, as add would
    for (let c = 0; c < C; c++) {
      dg[c] = acc & 1 ? dg[c] + f(ag[c]) : ag[c];
      db[c] = acc & 2 ? db[c] + f(ab[c]) : ab[c];
    }
  },
});

registerKernel({
  name: 'gru_finish',
  backend: 'webgpu',
  source: (p: GruFinishParams) => {
    const b = p.box ? 1 : 0;
    return finishSource
      .replace('{{BOX_DECL}}', p.box ? '@group(0) @binding(4) var<storage, read> BOX: array<f32>;' : '')
      .replace('{{BOX_ADD}}', p.box ? ' + BOX[u.bOff + b * u.bRow + j]' : '')
      .replace('{{B_DG}}', String(4 + b))
      .replace('{{B_DB}}', String(5 + b))
      .replace('{{B_DH}}', String(6 + b))
      .replace('{{B_U}}', String(7 + b));
  },
  variant: (p: GruFinishParams) => (p.box ? 'box' : 'plain'),
  constants: () => ({ TC, TR }),
  uniforms: (p: GruFinishParams) => [
    ['u32', p.rows],
    ['u32', p.H],
    ['u32', colGroups(p)],
    ['u32', p.acc ?? 0],
    ['u32', p.box?.off ?? 0],
    ['u32', p.box?.row ?? 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: GruFinishParams) => grid1d(colGroups(p) + Math.ceil((p.rows * p.H) / (TC * TR)), 1),
});
