/**
 * The 'render_scenes' kernel on both backends: inputs [F f32, I i32, IMG u8], output u8 [n, H, W, 3].
 * The CPU backend runs the reference (render-cpu.ts); WebGPU runs render.wgsl, one pixel per invocation
 * (WG must be a multiple of 4: a workgroup packs its pixels into whole u32 words).
 */
import { grid1d, registerKernel } from '@twist/kernels';
import type { RenderParams } from './pack.js';
import { renderCpu } from './render-cpu.js';
import source from './render.wgsl';

export const RENDER_KERNEL = 'render_scenes';
const WG = 64;
/** Geoms per scene that render.wgsl's workgroup copy holds (its MAXG). */
const MAX_SHARED_GEOMS = 32;

/**
 * @internal tests: `shared: false` keeps the WGSL renderer on global reads where it would copy each workgroup's
 * scene to workgroup memory (the two give identical bytes).
 */
export const renderTuning: { shared?: boolean } = {};

/** Whether every workgroup's pixels lie in one scene whose geoms fit the workgroup copy (render.wgsl SHARED). */
export function sharedScenes(p: RenderParams): boolean {
  return renderTuning.shared !== false && (p.width * p.height) % WG === 0 && p.maxGeoms <= MAX_SHARED_GEOMS;
}

registerKernel({
  name: RENDER_KERNEL,
  backend: 'cpu',
  run([f, i, img], [out], p: RenderParams) {
    renderCpu(f as Float32Array, i as Int32Array, img as Uint8Array, out as Uint8Array, p);
  },
});

registerKernel({
  name: RENDER_KERNEL,
  backend: 'webgpu',
  source,
  constants: (p: RenderParams) => ({ WG, SHARED: sharedScenes(p) ? 1 : 0 }),
  uniforms: (p: RenderParams) => [
    ['u32', p.n],
    ['u32', p.width],
    ['u32', p.height],
    ['u32', p.geomF],
    ['u32', p.texF],
    ['u32', p.geomI],
    ['u32', p.texI],
    ['u32', p.samples],
  ],
  dispatch: (p: RenderParams) => grid1d(p.n * p.width * p.height, WG),
});
