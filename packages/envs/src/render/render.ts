/**
 * The batched renderer's public API. One call draws a whole batch of scenes in one dispatch.
 */
import { empty, tensor, type Device, type Tensor } from '@twist/kernels';
import type { Scene } from '../scene.js';
import { checkSize, packScenes, type RenderSize } from './pack.js';
import { renderCpu } from './render-cpu.js';
import { RENDER_KERNEL } from './render-kernel.js';

export type { RenderSize } from './pack.js';

/**
 * Renders scenes on `device` (WebGPU: render.wgsl; CPU: the reference), one dispatch for the batch.
 * Returns a u8 tensor [N, H, W, 3] (RGB, row-major, top row first); the caller owns it (dispose or scope).
 * Image sizes are 32..128 per side (default 64x64). Enqueues only: nothing is read back here.
 */
export function renderScenes(device: Device, scenes: readonly Scene[], size: RenderSize = { width: 64, height: 64 }): Tensor {
  const op = 'renderScenes';
  const sz = checkSize(op, size);
  const { width, height } = sz;
  const packed = packScenes(op, scenes, sz);
  const f = tensor(device, packed.f);
  const i = tensor(device, packed.i);
  const img = tensor(device, packed.img);
  const out = empty(device, [scenes.length, height, width, 3], 'u8');
  device.run(RENDER_KERNEL, [f, i, img], [out], packed.params);
  f.dispose();
  i.dispose();
  img.dispose();
  return out;
}

/** The CPU reference renderer without a device: one H*W*3 RGB Uint8Array per scene. */
export function renderScenesCpu(scenes: readonly Scene[], size: RenderSize = { width: 64, height: 64 }): Uint8Array[] {
  const op = 'renderScenesCpu';
  const sz = checkSize(op, size);
  const { width, height } = sz;
  const packed = packScenes(op, scenes, sz);
  const per = width * height * 3;
  const out = new Uint8Array(scenes.length * per);
  renderCpu(packed.f, packed.i, packed.img, out, packed.params);
  return scenes.map((_, s) => out.slice(s * per, (s + 1) * per));
}

/**
 * A renderer bound to a device and an image size, for the environments: each call renders a batch in one
 * dispatch and reads it back once, returning one H*W*3 RGB Uint8Array per scene (copies, safe to transfer).
 */
export function createRenderer(device: Device, size: RenderSize = { width: 64, height: 64 }): (scenes: readonly Scene[]) => Promise<Uint8Array[]> {
  const sz = checkSize('createRenderer', size);
  const per = sz.width * sz.height * 3;
  return async (scenes) => {
    const t = renderScenes(device, scenes, sz);
    try {
      const all = (await t.toArray()) as Uint8Array;
      return scenes.map((_, s) => all.slice(s * per, (s + 1) * per));
    } finally {
      t.dispose();
    }
  };
}
