import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import concatU8Source from './concat-u8.wgsl';
import copySource from './copy.wgsl';
import padSource from './pad.wgsl';
import sliceAddSource from './slice-add.wgsl';
import stridedSource from './strided.wgsl';

const WG = 256;

/** Y[ooff + c.os] = X[ioff + c.is] over the coordinates c of dims (6 entries each; see strided.wgsl). */
export interface StridedParams {
  n: number;
  ioff: number;
  ooff: number;
  dims: number[];
  is: number[];
  os: number[];
  /** Packed u8 data (destination must then be contiguous: os row-major, ooff 0). */
  u8: boolean;
}

registerKernel({
  name: 'layout_strided',
  backend: 'cpu',
  run([x], [y], p: StridedParams) {
    const { dims, is, os } = p;
    for (let i = 0; i < p.n; i++) {
      let r = i;
      let s = p.ioff;
      let d = p.ooff;
      for (let k = 5; k >= 0; k--) {
        const c = r % dims[k];
        r = (r - c) / dims[k];
        s += c * is[k];
        d += c * os[k];
      }
      y[d] = x[s];
    }
  },
});

registerKernel({
  name: 'layout_strided',
  backend: 'webgpu',
  source: stridedSource,
  constants: (p: StridedParams) => ({ WG, U8: p.u8 ? 1 : 0 }),
  uniforms: (p: StridedParams) => [
    ['u32', p.n],
    ['u32', p.ioff],
    ['u32', p.ooff],
    ['u32', 0],
    ...p.dims.map((v) => ['u32', v] as const),
    ...p.is.map((v) => ['u32', v] as const),
    ...p.os.map((v) => ['u32', v] as const),
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: StridedParams) => grid1d(p.u8 ? Math.ceil(p.n / 4) : p.n, WG),
});

/** Zero padding: Y (dims) holds X (row-major strides is) in the window [lo, lo + sz); 32-bit elements. */
export interface PadParams {
  n: number;
  dims: number[];
  lo: number[];
  sz: number[];
  is: number[];
}

registerKernel({
  name: 'layout_pad',
  backend: 'cpu',
  run([x], [y], p: PadParams) {
    for (let i = 0; i < p.n; i++) {
      let r = i;
      let s = 0;
      let inside = true;
      for (let k = 5; k >= 0; k--) {
        const c = (r % p.dims[k]) - p.lo[k];
        r = Math.floor(r / p.dims[k]);
        if (c < 0 || c >= p.sz[k]) inside = false;
        s += c * p.is[k];
      }
      y[i] = inside ? x[s] : 0;
    }
  },
});

registerKernel({
  name: 'layout_pad',
  backend: 'webgpu',
  source: padSource,
  constants: () => ({ WG }),
  uniforms: (p: PadParams) => [
    ['u32', p.n],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ...[...p.dims, ...p.lo, ...p.sz, ...p.is].map((v) => ['u32', v] as const),
  ],
  dispatch: (p: PadParams) => grid1d(p.n, WG),
});

/** One u8 input of a concatenation: output [outer, A, inner], input [outer, len, inner] at axis offset off. */
export interface ConcatU8Params {
  n: number;
  inner: number;
  A: number;
  off: number;
  len: number;
}

registerKernel({
  name: 'layout_concat_u8',
  backend: 'cpu',
  run([x], [y], p: ConcatU8Params) {
    const outer = p.n / (p.A * p.inner);
    for (let o = 0; o < outer; o++) {
      for (let a = 0; a < p.len; a++) {
        const src = (o * p.len + a) * p.inner;
        const dst = (o * p.A + p.off + a) * p.inner;
        for (let r = 0; r < p.inner; r++) y[dst + r] = x[src + r];
      }
    }
  },
});

registerKernel({
  name: 'layout_concat_u8',
  backend: 'webgpu',
  source: concatU8Source,
  constants: () => ({ WG }),
  uniforms: (p: ConcatU8Params) => [
    ['u32', p.n],
    ['u32', p.inner],
    ['u32', p.A],
    ['u32', p.off],
    ['u32', p.len],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: ConcatU8Params) => grid1d(Math.ceil(p.n / 4), WG),
});

/** Flat copy of n elements; words = 32-bit words of storage (n for f32/i32, ceil(n/4) for u8). */
export interface CopyParams {
  n: number;
  words: number;
}

registerKernel({
  name: 'layout_copy',
  backend: 'cpu',
  run([x], [y], p: CopyParams) {
    y.set(x.subarray(0, p.n) as any);
  },
});

registerKernel({
  name: 'layout_copy',
  backend: 'webgpu',
  source: copySource,
  constants: () => ({ WG }),
  uniforms: (p: CopyParams) => [
    ['u32', p.words],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: CopyParams) => grid1d(p.words, WG),
});

/** Y[i] = A[i] + X[ioff + c(i) . is], c(i) the coordinate of i over dims (6 entries each; see slice-add.wgsl). f32. */
export interface SliceAddParams {
  n: number;
  ioff: number;
  dims: number[];
  is: number[];
}

registerKernel({
  name: 'layout_slice_add',
  backend: 'cpu',
  run([a, x], [y], p: SliceAddParams) {
    const { dims, is } = p;
    for (let i = 0; i < p.n; i++) {
      let r = i;
      let s = p.ioff;
      for (let k = 5; k >= 0; k--) {
        const c = r % dims[k];
        r = (r - c) / dims[k];
        s += c * is[k];
      }
      y[i] = a[i] + x[s];
    }
  },
});

registerKernel({
  name: 'layout_slice_add',
  backend: 'webgpu',
  source: sliceAddSource,
  constants: () => ({ WG }),
  uniforms: (p: SliceAddParams) => [
    ['u32', p.n],
    ['u32', p.ioff],
    ['u32', 0],
    ['u32', 0],
    ...p.dims.map((v) => ['u32', v] as const),
    ...p.is.map((v) => ['u32', v] as const),
  ],
  dispatch: (p: SliceAddParams) => grid1d(p.n, WG),
});
