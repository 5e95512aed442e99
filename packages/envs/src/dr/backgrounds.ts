/**
 * Held-out evaluation backgrounds from a folder of PNG files (e.g. photographs standing in for the real world).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPng, toRgb } from '../png/png.js';
import type { Texture } from '../scene.js';

/** Nearest-neighbour downscale of RGB bytes so the longer side is at most maxSide. */
function shrink(w: number, h: number, rgb: Uint8Array, maxSide: number): { width: number; height: number; data: Uint8Array } {
  const f = Math.max(w, h) / maxSide;
  if (f <= 1) return { width: w, height: h, data: rgb };
  const W = Math.max(1, Math.round(w / f));
  const H = Math.max(1, Math.round(h / f));
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(h - 1, Math.floor((y + 0.5) * (h / H)));
    for (let x = 0; x < W; x++) {
      const sx = Math.min(w - 1, Math.floor((x + 0.5) * (w / W)));
      out.set(rgb.subarray(3 * (sy * w + sx), 3 * (sy * w + sx) + 3), 3 * (y * W + x));
    }
  }
  return { width: W, height: H, data: out };
}

/**
 * Loads every *.png in `dir` (sorted by name) as an 'image' texture stretched over the screen (scale 1), for
 * use as held-out backgrounds (sampleVisualDomain(rng, 'heldout', { backgrounds })). Images larger than
 * maxSide (default 256) are downscaled: the renderer draws at most 128x128.
 */
export function loadBackgroundFolder(dir: string, opts: { maxSide?: number } = {}): Texture[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.png')).sort();
  } catch (e) {
    throw new Error(`loadBackgroundFolder: cannot read folder '${dir}': ${(e as Error).message}`);
  }
  if (!names.length) throw new Error(`loadBackgroundFolder: no .png files in '${dir}'`);
  return names.map((name) => {
    const png = readPng(join(dir, name));
    const image = shrink(png.width, png.height, toRgb(png), opts.maxSide ?? 256);
    return { family: 'image', colorA: [0, 0, 0], colorB: [1, 1, 1], scale: 1, params: [], image };
  });
}
