import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import adamSource from './adam.wgsl';
import clipScaleSource from './clip-scale.wgsl';
import sumsqFinalSource from './sumsq-final.wgsl';
import sumsqPartialSource from './sumsq-partial.wgsl';

const WG = 256;
/** Elements per invocation in sumsq_partial: a workgroup reduces CHUNK elements into one partial. */
const ITEMS = 16;
export const SUMSQ_CHUNK = WG * ITEMS;

/** Partials of one tensor of n elements: P[base + g] = sum of squares of chunk g (groups = ceil(n / CHUNK)). */
export interface SumsqPartialParams {
  n: number;
  base: number;
  groups: number;
}

registerKernel({
  name: 'optim_sumsq_partial',
  backend: 'cpu',
  run([x], [p], q: SumsqPartialParams) {
    for (let g = 0; g < q.groups; g++) {
      let acc = 0;
      const end = Math.min(q.n, (g + 1) * SUMSQ_CHUNK);
      for (let e = g * SUMSQ_CHUNK; e < end; e++) acc += x[e] * x[e];
      p[q.base + g] = acc;
    }
  },
});

registerKernel({
  name: 'optim_sumsq_partial',
  backend: 'webgpu',
  source: sumsqPartialSource.replaceAll('{{WG}}', String(WG)),
  constants: () => ({ WG, ITEMS }),
  uniforms: (q: SumsqPartialParams) => [
    ['u32', q.n],
    ['u32', q.base],
    ['u32', q.groups],
    ['u32', 0],
  ],
  dispatch: (q: SumsqPartialParams) => grid1d(q.groups, 1),
});

export interface SumsqFinalParams {
  m: number;
}

registerKernel({
  name: 'optim_sumsq_final',
  backend: 'cpu',
  run([p], [y], q: SumsqFinalParams) {
    let acc = 0;
    for (let i = 0; i < q.m; i++) acc += p[i];
    y[0] = acc;
  },
});

registerKernel({
  name: 'optim_sumsq_final',
  backend: 'webgpu',
  source: sumsqFinalSource.replaceAll('{{WG}}', String(WG)),
  constants: () => ({ WG }),
  uniforms: (q: SumsqFinalParams) => [
    ['u32', q.m],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: () => [1],
});

export interface ClipScaleParams {
  maxNorm: number;
}

/** The clipping factor min(1, maxNorm / (sqrt(sumSq) + 1e-6)). */
export const CLIP_EPS = 1e-6;

registerKernel({
  name: 'optim_clip_scale',
  backend: 'cpu',
  run([s], [y], q: ClipScaleParams) {
    y[0] = Math.min(1, Math.fround(q.maxNorm) / (Math.sqrt(s[0]) + CLIP_EPS));
  },
});

registerKernel({
  name: 'optim_clip_scale',
  backend: 'webgpu',
  source: clipScaleSource,
  uniforms: (q: ClipScaleParams) => [
    ['f32', q.maxNorm],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: () => [1],
});

/** One Adam(W) step over n elements; bc1 = 1 - b1^t, bc2 = 1 - b2^t; scaled: a clipping-factor tensor is bound. */
export interface AdamParams {
  n: number;
  lr: number;
  b1: number;
  b2: number;
  eps: number;
  wd: number;
  bc1: number;
  bc2: number;
  scaled: boolean;
}

registerKernel({
  name: 'optim_adam',
  backend: 'cpu',
  // inputs: grad (, scale); outputs: param, m, v (updated in place)
  run(inputs, [p, m, v], q: AdamParams) {
    const [g] = inputs;
    const f = Math.fround;
    const scale = q.scaled ? inputs[1][0] : 1;
    const [lr, b1, b2, eps, wd, bc1, bc2] = [q.lr, q.b1, q.b2, q.eps, q.wd, q.bc1, q.bc2].map(f); // f32 uniforms
    const [omb1, omb2] = [f(1 - q.b1), f(1 - q.b2)]; // 1 - beta in double, then f32, as the host sends them
    for (let i = 0; i < q.n; i++) {
      const gi = g[i] * scale;
      m[i] = b1 * m[i] + omb1 * gi;
      v[i] = b2 * v[i] + omb2 * gi * gi;
      p[i] = p[i] - lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps) + wd * p[i]);
    }
  },
});

registerKernel({
  name: 'optim_adam',
  backend: 'webgpu',
  source: (q: AdamParams) => {
    const b = q.scaled ? 2 : 1;
    return adamSource
      .replaceAll('{{SCALE_DECL}}', q.scaled ? '@group(0) @binding(1) var<storage, read> S: array<f32>;' : '')
      .replaceAll('{{SCALE}}', q.scaled ? 'S[0]' : '1.0')
      .replaceAll('{{BP}}', String(b))
      .replaceAll('{{BM}}', String(b + 1))
      .replaceAll('{{BV}}', String(b + 2))
      .replaceAll('{{BU}}', String(b + 3));
  },
  variant: (q: AdamParams) => (q.scaled ? 'scaled' : 'plain'),
  constants: () => ({ WG }),
  uniforms: (q: AdamParams) => [
    ['u32', q.n],
    ['f32', q.lr],
    ['f32', q.b1],
    ['f32', q.b2],
    ['f32', 1 - q.b1],
    ['f32', 1 - q.b2],
    ['f32', q.eps],
    ['f32', q.wd],
    ['f32', q.bc1],
    ['f32', q.bc2],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (q: AdamParams) => grid1d(q.n, WG),
});
