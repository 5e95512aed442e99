import { registerKernel } from '../core/registry.js';
import { philoxInto } from '../rng/philox.js';
import { withPhilox } from '../rng/rng-kernel.js';
import { grid1d } from '../webgpu/grid.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import entropySource from './categorical-entropy.wgsl';
import klGradSource from './categorical-kl-grad.wgsl';
import klSource from './categorical-kl.wgsl';
import sampleGradSource from './categorical-sample-grad.wgsl';
import sampleSource from './categorical-sample.wgsl';
import samplerSource from './categorical-sampler.wgsl';
import { EXP2_TABLES_WGSL, sampleRowFixed } from './sampler.js';

/**
 * A shader with the integer sampler spliced in: Philox at its {{PHILOX}} marker, the exp2 tables and the
 * sampler's helpers (categorical-sampler.wgsl) at {{EXP2_TABLES}}. Also used by the fused observe scan.
 */
export function withSampler(wgsl: string): string {
  return withPhilox(wgsl).replace('{{EXP2_TABLES}}', EXP2_TABLES_WGSL + samplerSource);
}

/** Threads per workgroup of the row-per-thread kernels. */
const WG = 64;

export interface SampleParams {
  rows: number;
  C: number;
  /** weightBits(C) */
  q: number;
  /** unimixFixed(unimix) */
  M: number;
  unimix: number;
  k0: number;
  k1: number;
  o0: number;
  o1: number;
}

export interface SampleGradParams {
  rows: number;
  C: number;
  unimix: number;
}

/** KL and entropy: `groups` outputs, each the sum over V rows of C classes. */
export interface GroupParams {
  groups: number;
  V: number;
  C: number;
  unimix: number;
}

export interface KLGradParams {
  rows: number;
  V: number;
  C: number;
  unimix: number;
  wP: number;
  wQ: number;
  /** Which outputs are bound (in this order): dp, dq. */
  hasP: boolean;
  hasQ: boolean;
}

/** Row max and sum of exp(x - max), in f64. */
function rowStats(x: ArrayLike<number>, base: number, C: number): { m: number; s: number } {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, x[base + c]);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(x[base + c] - m);
  return { m, s };
}

// ---- categorical_sample --------------------------------------------------------------------------------------

registerKernel({
  name: 'categorical_sample',
  backend: 'cpu',
  run([x], [sample, probs], p: SampleParams) {
    const { rows, C, unimix } = p;
    const w = new Uint32Array(4);
    const fl = unimix / C;
    for (let r = 0; r < rows; r++) {
      const base = r * C;
      const { m, s } = rowStats(x, base, C);
      if (!Number.isFinite(m)) {
        // no distribution (a NaN or +inf logit, or all -inf): NaN in, NaN out, as the WGSL
        probs.fill(NaN, base, base + C);
        sample.fill(NaN, base, base + C);
        continue;
      }
      for (let c = 0; c < C; c++) probs[base + c] = ((1 - unimix) * Math.exp(x[base + c] - m)) / s + fl;
      const j = Math.floor(r / 4);
      philoxInto(j >>> 0, Math.floor(j / 4294967296) >>> 0, p.o0, p.o1, p.k0, p.k1, w);
      const k = sampleRowFixed(x, base, C, p.q, p.M, w[r & 3] >>> 8);
      for (let c = 0; c < C; c++) sample[base + c] = c === k ? 1 : 0;
    }
  },
});

registerKernel({
  name: 'categorical_sample',
  backend: 'webgpu',
  source: ieeeSource + withSampler(sampleSource),
  constants: () => ({ WG }),
  uniforms: (p: SampleParams) => [
    ['u32', p.rows],
    ['u32', p.C],
    ['u32', p.q],
    ['u32', p.M],
    ['u32', p.k0],
    ['u32', p.k1],
    ['u32', p.o0],
    ['u32', p.o1],
    ['f32', p.unimix],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: SampleParams) => grid1d(p.rows, WG),
});

// ---- categorical_sample_grad ---------------------------------------------------------------------------------

registerKernel({
  name: 'categorical_sample_grad',
  backend: 'cpu',
  run([ds, probs], [dx], p: SampleGradParams) {
    const { rows, C, unimix } = p;
    const fl = Math.fround(unimix) / C;
    for (let r = 0; r < rows; r++) {
      const base = r * C;
      let dot = 0;
      for (let c = 0; c < C; c++) dot += Math.max(probs[base + c] - fl, 0) * ds[base + c];
      dot /= 1 - unimix;
      for (let c = 0; c < C; c++) dx[base + c] = Math.max(probs[base + c] - fl, 0) * (ds[base + c] - dot);
    }
  },
});

registerKernel({
  name: 'categorical_sample_grad',
  backend: 'webgpu',
  source: sampleGradSource,
  constants: () => ({ WG }),
  uniforms: (p: SampleGradParams) => [
    ['u32', p.rows],
    ['u32', p.C],
    ['f32', p.unimix],
    ['u32', 0],
  ],
  dispatch: (p: SampleGradParams) => grid1d(p.rows, WG),
});

// ---- categorical_kl / categorical_entropy ----------------------------------------------------------------------

/** KL(p || q) of one row, f64. */
function rowKL(a: ArrayLike<number>, b: ArrayLike<number>, base: number, C: number, unimix: number): number {
  const A = rowStats(a, base, C);
  const B = rowStats(b, base, C);
  let kl = 0;
  if (unimix === 0) {
    const la = Math.log(A.s);
    const lb = Math.log(B.s);
    for (let c = 0; c < C; c++) {
      const da = a[base + c] - A.m;
      const pc = Math.exp(da) / A.s;
      if (!(pc <= 0)) kl += pc * (da - la - (b[base + c] - B.m - lb)); // 0 log 0 = 0; a NaN stays
    }
  } else {
    const fl = unimix / C;
    for (let c = 0; c < C; c++) {
      const pc = ((1 - unimix) * Math.exp(a[base + c] - A.m)) / A.s + fl;
      const qc = ((1 - unimix) * Math.exp(b[base + c] - B.m)) / B.s + fl;
      kl += pc * (Math.log(pc) - Math.log(qc));
    }
  }
  return kl;
}

function rowEntropy(a: ArrayLike<number>, base: number, C: number, unimix: number): number {
  const { m, s } = rowStats(a, base, C);
  let h = 0;
  if (unimix === 0) {
    const ls = Math.log(s);
    for (let c = 0; c < C; c++) {
      const d = a[base + c] - m;
      const pc = Math.exp(d) / s;
      if (!(pc <= 0)) h -= pc * (d - ls); // 0 log 0 = 0; a NaN stays
    }
  } else {
    const fl = unimix / C;
    for (let c = 0; c < C; c++) {
      const pc = ((1 - unimix) * Math.exp(a[base + c] - m)) / s + fl;
      h -= pc * Math.log(pc);
    }
  }
  return h;
}

/** Workgroup size of the group kernels: the rows per group rounded up to a power of two, at most 64. */
export function groupWG(V: number): number {
  let wg = 1;
  while (wg < V && wg < 64) wg *= 2;
  return wg;
}

const groupUniforms = (p: GroupParams) =>
  [
    ['u32', p.groups],
    ['u32', p.V],
    ['u32', p.C],
    ['f32', p.unimix],
  ] as const;

registerKernel({
  name: 'categorical_kl',
  backend: 'cpu',
  run([a, b], [kl], p: GroupParams) {
    for (let g = 0; g < p.groups; g++) {
      let acc = 0;
      for (let r = 0; r < p.V; r++) acc += rowKL(a, b, (g * p.V + r) * p.C, p.C, p.unimix);
      kl[g] = acc;
    }
  },
});

registerKernel({
  name: 'categorical_kl',
  backend: 'webgpu',
  source: klSource,
  constants: (p: GroupParams) => ({ WG: groupWG(p.V) }),
  uniforms: groupUniforms,
  dispatch: (p: GroupParams) => grid1d(p.groups, 1),
});

registerKernel({
  name: 'categorical_entropy',
  backend: 'cpu',
  run([a], [h], p: GroupParams) {
    for (let g = 0; g < p.groups; g++) {
      let acc = 0;
      for (let r = 0; r < p.V; r++) acc += rowEntropy(a, (g * p.V + r) * p.C, p.C, p.unimix);
      h[g] = acc;
    }
  },
});

registerKernel({
  name: 'categorical_entropy',
  backend: 'webgpu',
  source: ieeeSource + entropySource,
  constants: (p: GroupParams) => ({ WG: groupWG(p.V) }),
  uniforms: groupUniforms,
  dispatch: (p: GroupParams) => grid1d(p.groups, 1),
});

// ---- categorical_kl_grad --------------------------------------------------------------------------------------

registerKernel({
  name: 'categorical_kl_grad',
  backend: 'cpu',
  run([dkl, a, b], outs, p: KLGradParams) {
    const da = p.hasP ? outs[0] : null;
    const db = p.hasQ ? outs[p.hasP ? 1 : 0] : null;
    const { rows, V, C, unimix } = p;
    const om = 1 - unimix;
    const fl = unimix / C;
    const mixed = unimix !== 0;
    const s = new Float64Array(C);
    const t = new Float64Array(C);
    const g = new Float64Array(C);
    const th = new Float64Array(C);
    for (let r = 0; r < rows; r++) {
      const base = r * C;
      const d = dkl[Math.floor(r / V)];
      const A = rowStats(a, base, C);
      const B = rowStats(b, base, C);
      const la = Math.log(A.s);
      const lb = Math.log(B.s);
      let dotp = 0;
      let dotq = 0;
      for (let c = 0; c < C; c++) {
        const xa = a[base + c] - A.m;
        const xb = b[base + c] - B.m;
        s[c] = Math.exp(xa) / A.s;
        t[c] = Math.exp(xb) / B.s;
        if (mixed) {
          const pc = om * s[c] + fl;
          const qc = om * t[c] + fl;
          g[c] = Math.log(pc) - Math.log(qc);
          th[c] = (-t[c] * pc) / qc;
        } else {
          g[c] = xa - la - (xb - lb);
          th[c] = -s[c];
        }
        dotp += s[c] * g[c];
        dotq += th[c];
      }
      const kp = p.wP * d * om;
      const kq = p.wQ * d * om;
      for (let c = 0; c < C; c++) {
        if (da) da[base + c] = kp * s[c] * (g[c] - dotp);
        if (db) db[base + c] = kq * (th[c] - t[c] * dotq);
      }
    }
  },
});

/** The shader without the lines of an absent output, bindings renumbered. */
function klGradShader(p: KLGradParams): string {
  const lines = klGradSource.split('\n').filter((l) => (p.hasP || !l.includes('// [dp]')) && (p.hasQ || !l.includes('// [dq]')));
  const nOut = (p.hasP ? 1 : 0) + (p.hasQ ? 1 : 0);
  return lines
    .join('\n')
    .replaceAll('{{B_DQ}}', String(p.hasP ? 4 : 3))
    .replaceAll('{{B_U}}', String(3 + nOut));
}

registerKernel({
  name: 'categorical_kl_grad',
  backend: 'webgpu',
  source: klGradShader,
  variant: (p: KLGradParams) => `${p.hasP ? 'p' : ''}${p.hasQ ? 'q' : ''}`,
  constants: () => ({ WG }),
  uniforms: (p: KLGradParams) => [
    ['u32', p.rows],
    ['u32', p.V],
    ['u32', p.C],
    ['f32', p.unimix],
    ['f32', p.wP],
    ['f32', p.wQ],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: KLGradParams) => grid1d(p.rows, WG),
});
