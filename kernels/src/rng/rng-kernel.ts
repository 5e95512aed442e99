import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import philoxSource from './philox.wgsl';
import source from './rng.wgsl';
import { philoxInto, TWO_M24 } from './philox.js';

/** What the 'rng' kernel draws; the numeric code is the shader's MODE override. */
export const RNG_MODES = { bits: 0, uniform: 1, normal: 2 } as const;
export type RngMode = keyof typeof RNG_MODES;

export interface RngParams {
  mode: RngMode;
  /** Elements to write. */
  n: number;
  /** Key words (seed low, high) and the counter's upper words (offset low, high). */
  k0: number;
  k1: number;
  o0: number;
  o1: number;
  /** uniform: lo, hi; normal: mean, std (f32 in the shader; the CPU rounds them the same way). */
  p0: number;
  p1: number;
}

const WG = 64;
const f32 = Math.fround;

/** The shader with the Philox snippet spliced in (shared with the categorical sampler). */
export function withPhilox(wgsl: string): string {
  return wgsl.replace('{{PHILOX}}', philoxSource);
}

registerKernel({
  name: 'rng',
  backend: 'cpu',
  run(_in, [y], p: RngParams) {
    const w = new Uint32Array(4);
    const out = new Float64Array(4);
    const bits = new Uint32Array(y.buffer, y.byteOffset, p.n);
    const p0 = f32(p.p0);
    const p1 = f32(p.p1);
    const scale = f32(p1 - p0);
    for (let i0 = 0, b = 0; i0 < p.n; i0 += 4, b++) {
      philoxInto(b >>> 0, Math.floor(b / 4294967296) >>> 0, p.o0, p.o1, p.k0, p.k1, w);
      const m = Math.min(4, p.n - i0);
      if (p.mode === 'bits') {
        for (let l = 0; l < m; l++) bits[i0 + l] = w[l];
        continue;
      }
      if (p.mode === 'uniform') {
        for (let l = 0; l < 4; l++) out[l] = f32(p0 + f32(scale * ((w[l] >>> 8) * TWO_M24)));
      } else {
        for (let h = 0; h < 4; h += 2) {
          const r = Math.sqrt(-2 * Math.log(((w[h] >>> 8) + 1) * TWO_M24));
          const t = ((w[h + 1] >>> 8) * TWO_M24 - 0.5) * 2 * Math.PI;
          out[h] = f32(p0 + p1 * r * Math.cos(t));
          out[h + 1] = f32(p0 + p1 * r * Math.sin(t));
        }
      }
      for (let l = 0; l < m; l++) y[i0 + l] = out[l];
    }
  },
});

registerKernel({
  name: 'rng',
  backend: 'webgpu',
  source: withPhilox(source),
  constants: (p: RngParams) => ({ WG, MODE: RNG_MODES[p.mode] }),
  uniforms: (p: RngParams) => [
    ['u32', p.n],
    ['u32', p.k0],
    ['u32', p.k1],
    ['u32', p.o0],
    ['u32', p.o1],
    ['f32', p.p0],
    ['f32', p.p1],
    ['u32', 0],
  ],
  dispatch: (p: RngParams) => grid1d(Math.ceil(p.n / 4), WG),
});
