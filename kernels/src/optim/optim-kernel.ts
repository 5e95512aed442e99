import type { TypedArray } from '../core/dtype.js';
import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import adamSource from './adam.wgsl';
import adamGateSource from './adam-gate.wgsl';
import adamGateSumSource from './adam-gate-sum.wgsl';
import oneMinusPowSource from './one-minus-pow.wgsl';
import sumsqTableSource from './sumsq-table.wgsl';
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

/**
 * One Adam(W) step over n elements; bc1 = 1 - b1^t, bc2 = 1 - b2^t. mode: 'plain' (scale 1), 'scaled' (a
 * clipping-factor tensor [1] is bound) or 'gated' (the gate [scale, finite, bc1, bc2] of adam_gate is bound; bc1
 * and bc2 here are then unused and the step does nothing when finite is 0).
 */
export interface AdamParams {
  n: number;
  lr: number;
  b1: number;
  b2: number;
  eps: number;
  wd: number;
  bc1: number;
  bc2: number;
  mode: 'plain' | 'scaled' | 'gated';
}

registerKernel({
  name: 'optim_adam',
  backend: 'cpu',
  // inputs: grad (, scale | gate); outputs: param, m, v (updated in place)
  run(inputs, [p, m, v], q: AdamParams) {
    const [g] = inputs;
    const f = Math.fround;
    if (q.mode === 'gated' && inputs[1][1] === 0) return; // a skipped step: param, m and v stay bit-identical
    const scale = q.mode === 'plain' ? 1 : inputs[1][0];
    const [lr, b1, b2, eps, wd] = [q.lr, q.b1, q.b2, q.eps, q.wd].map(f); // f32 uniforms
    const [bc1, bc2] = q.mode === 'gated' ? [inputs[1][2], inputs[1][3]] : [f(q.bc1), f(q.bc2)];
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
    const bound = q.mode !== 'plain';
    const b = bound ? 2 : 1;
    const gated = q.mode === 'gated';
    return adamSource
      .replaceAll('{{SCALE_DECL}}', bound ? '@group(0) @binding(1) var<storage, read> S: array<f32>;' : '')
      .replaceAll('{{SKIP}}', gated ? 'if (S[1] == 0.0) { return; }' : '')
      .replaceAll('{{SCALE}}', bound ? 'S[0]' : '1.0')
      .replaceAll('{{BC1}}', gated ? 'S[2]' : 'u.bc1')
      .replaceAll('{{BC2}}', gated ? 'S[3]' : 'u.bc2')
      .replaceAll('{{BP}}', String(b))
      .replaceAll('{{BM}}', String(b + 1))
      .replaceAll('{{BV}}', String(b + 2))
      .replaceAll('{{BU}}', String(b + 3));
  },
  variant: (q: AdamParams) => q.mode,
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

/**
 * The gate of a guarded Adam step (adam-gate.wgsl): from the squared global norm, the skip decision, the counters
 * [applied, skipped, consecutive] (i32, in place), the clipping factor and the bias corrections of the applied
 * step. maxNorm 0 = no clipping. b1, b2 in double (the CPU reference uses them; the shader gets ln b).
 */
export interface AdamGateParams {
  maxNorm: number;
  b1: number;
  b2: number;
}

/** ln b for the shader's 1 - b^t, clamped so that b = 0 (ln = -inf) gives 1 - exp(-200 t) = 1. */
const lnBeta = (b: number) => Math.max(Math.log(b), -200);

/** The CPU reference of the gate (adam-gate.wgsl), shared by optim_adam_gate and optim_adam_gate_sum. */
function gateCpu(sumSq: number, c: TypedArray, y: TypedArray, q: AdamGateParams): void {
  if (!Number.isFinite(sumSq)) {
    c[1] += 1;
    c[2] += 1;
    y.set([0, 0, 1, 1]);
    return;
  }
  const t = (c[0] += 1);
  c[2] = 0;
  y[0] = q.maxNorm > 0 ? Math.min(1, Math.fround(q.maxNorm) / (Math.sqrt(sumSq) + CLIP_EPS)) : 1;
  y[1] = 1;
  y[2] = 1 - Math.pow(q.b1, t); // stored as f32: the double value correctly rounded (the shader is within 3e-7)
  y[3] = 1 - Math.pow(q.b2, t);
}

registerKernel({
  name: 'optim_adam_gate',
  backend: 'cpu',
  run([s], [c, y], q: AdamGateParams) {
    gateCpu(s[0], c, y, q);
  },
});

registerKernel({
  name: 'optim_adam_gate',
  backend: 'webgpu',
  source: oneMinusPowSource + adamGateSource,
  uniforms: (q: AdamGateParams) => [
    ['f32', q.maxNorm],
    ['u32', q.maxNorm > 0 ? 1 : 0],
    ['f32', lnBeta(q.b1)],
    ['f32', lnBeta(q.b2)],
  ],
  dispatch: () => [1],
});

/** Chunk partials of tensors in one flat buffer (sumsq-table.wgsl): P[g] = sum of X[T[2g], T[2g+1]) squared. */
export interface SumsqTableParams {
  groups: number;
}

registerKernel({
  name: 'optim_sumsq_table',
  backend: 'cpu',
  run([x, t], [p], q: SumsqTableParams) {
    // the same double accumulation per chunk as optim_sumsq_partial's reference
    for (let g = 0; g < q.groups; g++) {
      let acc = 0;
      for (let e = t[2 * g]; e < t[2 * g + 1]; e++) acc += x[e] * x[e];
      p[g] = acc;
    }
  },
});

registerKernel({
  name: 'optim_sumsq_table',
  backend: 'webgpu',
  source: sumsqTableSource.replaceAll('{{WG}}', String(WG)),
  constants: () => ({ WG, ITEMS }),
  uniforms: (q: SumsqTableParams) => [
    ['u32', q.groups],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (q: SumsqTableParams) => grid1d(q.groups, 1),
});

/** optim_sumsq_final and optim_adam_gate in one dispatch, plus the norm sqrt(sumSq) (adam-gate-sum.wgsl). */
export interface AdamGateSumParams extends AdamGateParams {
  /** partials to add */
  m: number;
}

registerKernel({
  name: 'optim_adam_gate_sum',
  backend: 'cpu',
  run([p], [c, y, n], q: AdamGateSumParams) {
    let acc = 0;
    for (let i = 0; i < q.m; i++) acc += p[i];
    const sumSq = Math.fround(acc); // as optim_sumsq_final stores it
    n[0] = Math.sqrt(sumSq);
    gateCpu(sumSq, c, y, q);
  },
});

registerKernel({
  name: 'optim_adam_gate_sum',
  backend: 'webgpu',
  source: oneMinusPowSource + adamGateSumSource.replaceAll('{{WG}}', String(WG)),
  constants: () => ({ WG }),
  uniforms: (q: AdamGateSumParams) => [
    ['u32', q.m],
    ['u32', q.maxNorm > 0 ? 1 : 0],
    ['f32', q.maxNorm],
    ['f32', lnBeta(q.b1)],
    ['f32', lnBeta(q.b2)],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: () => [1],
});
