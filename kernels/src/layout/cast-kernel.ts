import type { DType } from '../core/dtype.js';
import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import castSource from './cast.wgsl';

const source = ieeeSource + castSource;

const WG = 256;
const CODE: Record<DType, number> = { f32: 0, i32: 1, u8: 2 };
/** The largest f32 below 2^31: i32 targets clamp to [-2^31, I32_HI] before rounding. */
export const I32_HI = 2147483520;

export interface CastParams {
  n: number;
  src: DType;
  dst: DType;
  scale: number;
  shift: number;
}

/** Round to nearest, ties to even (WGSL's round). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : r;
}

registerKernel({
  name: 'layout_cast',
  backend: 'cpu',
  run([x], [y], p: CastParams) {
    // f32 arithmetic as on the GPU: the uniform block holds scale and shift as f32.
    const scale = Math.fround(p.scale);
    const shift = Math.fround(p.shift);
    for (let i = 0; i < p.n; i++) {
      const v = Math.fround(Math.fround(Math.fround(x[i]) * scale) + shift);
      if (p.dst === 'f32') y[i] = v;
      else if (p.dst === 'u8') y[i] = Number.isNaN(v) ? 0 : roundHalfEven(Math.min(Math.max(v, 0), 255));
      else y[i] = Number.isNaN(v) ? 0 : roundHalfEven(Math.min(Math.max(v, -2147483648), I32_HI));
    }
  },
});

registerKernel({
  name: 'layout_cast',
  backend: 'webgpu',
  source,
  constants: (p: CastParams) => ({ WG, SRC: CODE[p.src], DST: CODE[p.dst] }),
  uniforms: (p: CastParams) => [
    ['u32', p.n],
    ['f32', p.scale],
    ['f32', p.shift],
    ['u32', 0],
  ],
  dispatch: (p: CastParams) => grid1d(p.dst === 'u8' ? Math.ceil(p.n / 4) : p.n, WG),
});
