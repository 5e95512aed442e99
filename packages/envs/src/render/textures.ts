/**
 * Texture families: the procedural patterns the renderer evaluates per pixel, in the WGSL kernel
 * (render.wgsl, `tex_pattern`) and in the CPU reference (below), with the same maths.
 *
 * Every family maps a 2-D texture coordinate to t in [0, 1] and the colour mix(colorA, colorB, t); 'image'
 * samples RGB texels instead. The coordinate is
 *   p = rotate(uv * scale, angle) + (offsetX, offsetY)
 * where uv is the hit point in the geom's local frame (world units; the two local axes across the face's
 * dominant normal axis), or, for the scene background, the screen position ((x + 0.5) / H, (y + 0.5) / H).
 *
 * Texture.params = [angle (radians), offsetX, offsetY, a, b, seed]; missing entries take the defaults
 * [0, 0, 0, 0.5, 0.5, 0]. What a and b mean per family is in TEXTURE_FAMILIES.
 */
import type { Texture } from '../scene.js';

export interface TextureFamilyInfo {
  /** Code used in the packed buffers and the shader's switch. */
  code: number;
  /** Which domain-randomisation split draws it ('any' = not drawn by DR: plain colour and image). */
  split: 'train' | 'heldout' | 'any';
  /** Meaning of params[3] (a) and params[4] (b). */
  a: string;
  b: string;
}

export const TEXTURE_FAMILIES = {
  solid: { code: 0, split: 'any', a: '-', b: '-' },
  checker: { code: 1, split: 'train', a: '-', b: '-' },
  stripes: { code: 2, split: 'train', a: 'duty cycle (fraction of colorB)', b: '-' },
  gradient: { code: 3, split: 'train', a: '-', b: '-' },
  dots: { code: 4, split: 'train', a: 'dot diameter / cell', b: '-' },
  grid: { code: 5, split: 'train', a: 'line width / cell', b: '-' },
  noise: { code: 6, split: 'train', a: 'contrast (0..1)', b: '-' },
  rings: { code: 7, split: 'heldout', a: 'duty cycle', b: '-' },
  waves: { code: 8, split: 'heldout', a: 'wave amplitude', b: '-' },
  cells: { code: 9, split: 'heldout', a: 'feature-point jitter (0..1)', b: '-' },
  marble: { code: 10, split: 'heldout', a: 'turbulence', b: '-' },
  zigzag: { code: 11, split: 'heldout', a: 'zigzag amplitude', b: '-' },
  image: { code: 12, split: 'any', a: '-', b: '-' },
} as const satisfies Record<string, TextureFamilyInfo>;

export type TextureFamily = keyof typeof TEXTURE_FAMILIES;
export const TEXTURE_FAMILY_NAMES = Object.keys(TEXTURE_FAMILIES) as TextureFamily[];
export const PARAM_DEFAULTS = [0, 0, 0, 0.5, 0.5, 0] as const;

export function familyCode(op: string, where: string, family: string): number {
  const info = (TEXTURE_FAMILIES as Record<string, TextureFamilyInfo>)[family];
  if (!info || !Object.prototype.hasOwnProperty.call(TEXTURE_FAMILIES, family)) {
    throw new Error(`${op}: ${where} has unknown texture family '${family}'; valid families: ${TEXTURE_FAMILY_NAMES.join(', ')}`);
  }
  return info.code;
}

/** A procedural texture with the given family and parameters (params default as documented above). */
export function proceduralTexture(
  family: Exclude<TextureFamily, 'image'>,
  colorA: [number, number, number],
  colorB: [number, number, number],
  scale = 1,
  params: number[] = [],
): Texture {
  familyCode('proceduralTexture', 'the texture', family);
  return { family, colorA, colorB, scale, params };
}

export const solidTexture = (color: [number, number, number]): Texture => proceduralTexture('solid', color, color, 1);

// ---------------------------------------------------------------------------------------------------------
// CPU evaluation (the reference the WGSL mirrors line by line).

const fract = (x: number) => x - Math.floor(x);
const TAU = 6.283185307179586;

/** 32-bit integer hash of a lattice point and a seed (wrapping multiplies; identical in WGSL). */
export function hash3(x: number, y: number, s: number): number {
  let h = (Math.imul(x >>> 0, 0x8da6b343) ^ Math.imul(y >>> 0, 0xd8163841) ^ Math.imul(s >>> 0, 0xcb1ab31f)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** hash3 as a float in [0, 1) with 24 bits (exact in f32). */
export const hash01 = (x: number, y: number, s: number) => (hash3(x, y, s) >>> 8) / 16777216;

const ifloor = (x: number) => Math.floor(x) | 0;

/** Value noise in [0, 1): hashed lattice values, smoothstep interpolation. */
export function valueNoise(px: number, py: number, seed: number): number {
  const fx = Math.floor(px);
  const fy = Math.floor(py);
  const ix = fx | 0;
  const iy = fy | 0;
  const ux0 = px - fx;
  const uy0 = py - fy;
  const ux = ux0 * ux0 * (3 - 2 * ux0);
  const uy = uy0 * uy0 * (3 - 2 * uy0);
  const v00 = hash01(ix, iy, seed);
  const v10 = hash01(ix + 1, iy, seed);
  const v01 = hash01(ix, iy + 1, seed);
  const v11 = hash01(ix + 1, iy + 1, seed);
  const a = v00 + (v10 - v00) * ux;
  const b = v01 + (v11 - v01) * ux;
  return a + (b - a) * uy;
}

/**
 * t in [0, 1] of a procedural family at the transformed coordinate (px, py). `a`, `b` are params[3], [4];
 * `seed` params[5] as an unsigned integer.
 */
export function patternCpu(code: number, px: number, py: number, a: number, _b: number, seed: number): number {
  switch (code) {
    case 1: // checker
      return (ifloor(px) + ifloor(py)) & 1;
    case 2: // stripes
      return fract(px) < a ? 1 : 0;
    case 3: {
      // gradient: smooth triangle wave along x, period 2
      const t = Math.abs(fract(px * 0.5) * 2 - 1);
      return t * t * (3 - 2 * t);
    }
    case 4: {
      // dots
      const dx = fract(px) - 0.5;
      const dy = fract(py) - 0.5;
      return Math.sqrt(dx * dx + dy * dy) < a * 0.5 ? 1 : 0;
    }
    case 5: // grid
      return Math.min(fract(px), fract(py)) < a ? 1 : 0;
    case 6: {
      // noise: two octaves of value noise, contrast a
      const n = 0.6 * valueNoise(px, py, seed) + 0.4 * valueNoise(px * 2, py * 2, seed + 1);
      return Math.min(Math.max((n - 0.5) * (1 + 3 * a) + 0.5, 0), 1);
    }
    case 7: // rings
      return fract(Math.sqrt(px * px + py * py)) < a ? 1 : 0;
    case 8: {
      // waves: sinusoidal stripes displaced by a sine across them
      const z = px + a * Math.sin(TAU * fract(py * 0.5));
      return 0.5 + 0.5 * Math.sin(TAU * fract(z));
    }
    case 9: {
      // cells: Voronoi mosaic, each cell a hashed shade
      const cx = ifloor(px);
      const cy = ifloor(py);
      let best = 1e30;
      let bx = 0;
      let by = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const gx = cx + dx;
          const gy = cy + dy;
          const fx = gx + 0.5 + a * (hash01(gx, gy, seed) - 0.5);
          const fy = gy + 0.5 + a * (hash01(gx, gy, seed + 7) - 0.5);
          const d = (fx - px) * (fx - px) + (fy - py) * (fy - py);
          if (d < best) {
            best = d;
            bx = gx;
            by = gy;
          }
        }
      }
      return hash01(bx, by, seed + 13);
    }
    case 10: {
      // marble: sine of x displaced by two octaves of noise
      const n = valueNoise(px, py, seed) + 0.5 * valueNoise(px * 2, py * 2, seed + 1);
      const z = px * 0.5 + a * 2 * n;
      return 0.5 + 0.5 * Math.sin(TAU * fract(z));
    }
    case 11: {
      // zigzag
      const z = py + a * Math.abs(fract(px) - 0.5) * 2;
      return fract(z) < 0.5 ? 1 : 0;
    }
    default: // solid
      return 0;
  }
}
