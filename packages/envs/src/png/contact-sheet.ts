/**
 * Contact sheets: many RGB observations tiled into one image, with optional labels (5x7 font) above each tile.
 * (writeContactSheet, which writes it as a PNG file, is in png.ts, behind @twist/envs/node.)
 */
import { drawText, FONT_H, FONT_W } from './font.js';

export interface ContactSheetOptions {
  /** Size of every image (RGB, width*height*3 bytes). */
  width: number;
  height: number;
  /** Tiles per row (default: ceil(sqrt(count))). */
  columns?: number;
  /** One label per image, drawn above it (truncated to the tile width). */
  labels?: string[];
  /** Integer upscaling of every tile, nearest neighbour (default 1; use 2+ to make 64x64 tiles readable). */
  scale?: number;
  /** Pixels between tiles (default 2). */
  gap?: number;
  /** Sheet background (default dark grey). */
  background?: [number, number, number];
}

/** Tiles images into one RGB image; returns {width, height, data}. */
export function contactSheet(images: readonly Uint8Array[], opts: ContactSheetOptions): { width: number; height: number; data: Uint8Array } {
  const op = 'contactSheet';
  const { width: w, height: h } = opts;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) throw new Error(`${op}: width and height must be positive integers, got ${w}x${h}`);
  if (!images.length) throw new Error(`${op}: images must be a non-empty array`);
  images.forEach((im, k) => {
    if (!(im instanceof Uint8Array) || im.length !== w * h * 3) {
      throw new Error(`${op}: image ${k} must be a Uint8Array of width*height*3 = ${w * h * 3} bytes, got ${im?.length}`);
    }
  });
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new Error(`${op}: scale must be an integer in 1..16, got ${scale}`);
  const cols = opts.columns ?? Math.ceil(Math.sqrt(images.length));
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`${op}: columns must be a positive integer, got ${cols}`);
  if (opts.labels && opts.labels.length !== images.length) {
    throw new Error(`${op}: labels must have one entry per image (${images.length}), got ${opts.labels.length}`);
  }
  const gap = opts.gap ?? 2;
  const bg = opts.background ?? [32, 32, 32];
  const label = opts.labels ? FONT_H + 3 : 0;
  const tw = w * scale;
  const th = h * scale;
  const rows = Math.ceil(images.length / cols);
  const W = gap + cols * (tw + gap);
  const H = gap + rows * (th + label + gap);
  const data = new Uint8Array(W * H * 3);
  for (let k = 0; k < W * H; k++) data.set(bg, 3 * k);
  images.forEach((im, k) => {
    const x0 = gap + (k % cols) * (tw + gap);
    const y0 = gap + Math.floor(k / cols) * (th + label + gap);
    if (opts.labels) {
      const maxChars = Math.floor((tw + 1) / (FONT_W + 1));
      drawText(data, W, H, x0, y0 + 1, String(opts.labels[k]).slice(0, maxChars), [235, 235, 235]);
    }
    for (let y = 0; y < th; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < tw; x++) {
        const s = 3 * (sy * w + Math.floor(x / scale));
        const d = 3 * ((y0 + label + y) * W + x0 + x);
        data[d] = im[s];
        data[d + 1] = im[s + 1];
        data[d + 2] = im[s + 2];
      }
    }
  });
  return { width: W, height: H, data };
}
