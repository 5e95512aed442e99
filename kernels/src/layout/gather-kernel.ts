import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import gatherSource from './gather.wgsl';
import gatherBackwardSource from './gather-backward.wgsl';
import oneHotSource from './one-hot.wgsl';

const WG = 256;
/** Indices staged per workgroup-memory tile in gather_backward. */
const TILE = 256;

/** x viewed as [outer, A, inner], y as [outer, K, inner] (n = size of y). */
export interface GatherParams {
  n: number;
  inner: number;
  K: number;
  A: number;
  u8: boolean;
  /** x is f32: an out-of-range index gives NaN (else 0, which i32 and u8 cannot tell from data) */
  nan: boolean;
}

/** The bits of the quiet NaN that JavaScript stores into a Float32Array. */
const NAN_WORD = 0x7fc00000;

registerKernel({
  name: 'layout_gather',
  backend: 'cpu',
  run([x, idx], [y], p: GatherParams) {
    const outer = p.n / (p.K * p.inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < p.K; k++) {
        const a = idx[k];
        const dst = (o * p.K + k) * p.inner;
        if (a < 0 || a >= p.A) y.fill(p.nan ? NaN : 0, dst, dst + p.inner);
        else y.set(x.subarray((o * p.A + a) * p.inner, (o * p.A + a + 1) * p.inner) as any, dst);
      }
    }
  },
});

registerKernel({
  name: 'layout_gather',
  backend: 'webgpu',
  source: gatherSource,
  constants: (p: GatherParams) => ({ WG, U8: p.u8 ? 1 : 0, FILL: p.nan ? NAN_WORD : 0 }),
  uniforms: (p: GatherParams) => [
    ['u32', p.n],
    ['u32', p.inner],
    ['u32', p.K],
    ['u32', p.A],
  ],
  dispatch: (p: GatherParams) => grid1d(p.u8 ? Math.ceil(p.n / 4) : p.n, WG),
});

/** dx viewed as [outer, A, inner] (n = size of dx), dy as [outer, K, inner]. */
export interface GatherBackwardParams {
  n: number;
  inner: number;
  K: number;
  A: number;
}

registerKernel({
  name: 'layout_gather_backward',
  backend: 'cpu',
  run([dy, idx], [dx], p: GatherBackwardParams) {
    // Same order as the WGSL kernel: each dx element sums its matches in increasing k, in f32.
    dx.fill(0, 0, p.n);
    const outer = p.n / (p.A * p.inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < p.K; k++) {
        const a = idx[k];
        if (a < 0 || a >= p.A) continue;
        const src = (o * p.K + k) * p.inner;
        const dst = (o * p.A + a) * p.inner;
        for (let r = 0; r < p.inner; r++) dx[dst + r] = Math.fround(dx[dst + r] + dy[src + r]);
      }
    }
  },
});

registerKernel({
  name: 'layout_gather_backward',
  backend: 'webgpu',
  source: gatherBackwardSource.replaceAll('{{TILE}}', String(TILE)),
  constants: () => ({ WG }),
  uniforms: (p: GatherBackwardParams) => [
    ['u32', p.n],
    ['u32', p.inner],
    ['u32', p.K],
    ['u32', p.A],
  ],
  dispatch: (p: GatherBackwardParams) => grid1d(p.n, WG),
});

export interface OneHotParams {
  n: number;
  depth: number;
}

registerKernel({
  name: 'layout_one_hot',
  backend: 'cpu',
  run([idx], [y], p: OneHotParams) {
    y.fill(0, 0, p.n);
    const K = p.n / p.depth;
    for (let k = 0; k < K; k++) {
      const a = idx[k];
      if (a >= 0 && a < p.depth) y[k * p.depth + a] = 1;
      else y.fill(NaN, k * p.depth, (k + 1) * p.depth);
    }
  },
});

registerKernel({
  name: 'layout_one_hot',
  backend: 'webgpu',
  source: oneHotSource,
  constants: () => ({ WG }),
  uniforms: (p: OneHotParams) => [
    ['u32', p.n],
    ['u32', p.depth],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: OneHotParams) => grid1d(p.n, WG),
});
