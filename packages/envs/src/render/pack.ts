/**
 * Packs a batch of scenes into the flat buffers the render kernel reads (the WGSL kernel and the CPU
 * reference read the same buffers, so both start from identical f32 values).
 *
 * F (f32):
 *   scene s at s * SCENE_F:  camPos[3], camRight[3] (scaled by tan(fovy/2) * W/H), camUp[3] (scaled by
 *                            tan(fovy/2)), camForward[3], lightDir[3] (unit, direction of travel), ambient,
 *                            diffuse, pad[3]
 *   geom g at geomF + g * GEOM_F:  pos[3], mat[9] (row-major, columns = local axes), size[3], rgb[3],
 *                                  bounding radius (-1 = unbounded: infinite planes), pad
 *   texture t at texF + t * TEX_F: colorA[3], colorB[3], scale, cos(angle), sin(angle), offsetX, offsetY,
 *                                  a, b, seed, pad[2]
 * I (i32):
 *   scene s at s * SCENE_I:          geomStart, geomCount, backgroundTexture, shadows (0/1)
 *   geom g at geomI + g * GEOM_I:    type (MuJoCo mjtGeom code), texture (absolute index, -1 none)
 *   texture t at texI + t * TEX_I:   family code, image offset (texels), image width, image height
 * IMG (u8, read as u32 words): RGBA texels (A = 255) of every distinct image, concatenated.
 */
import type { GeomType, Scene, SceneGeom, Texture } from '../scene.js';
import { familyCode, PARAM_DEFAULTS, TEXTURE_FAMILIES } from './textures.js';

export const SCENE_F = 20;
export const GEOM_F = 20;
export const TEX_F = 16;
export const SCENE_I = 4;
export const GEOM_I = 2;
export const TEX_I = 4;

export const GEOM_CODES: Readonly<Record<GeomType, number>> = { plane: 0, sphere: 2, capsule: 3, ellipsoid: 4, cylinder: 5, box: 6 };

export const MIN_SIZE = 32;
export const MAX_SIZE = 128;

export interface RenderSize {
  width: number;
  height: number;
  /**
   * Rays per pixel, averaged in linear colour: 4 (default; a rotated-grid pattern, the anti-aliasing of
   * MuJoCo's offscreen rendering, quality/offsamples = 4, which dm_control's images have) or 1 (the pixel
   * centre). Edges then carry sub-pixel positions: a 1-2 pixel cartpole pole's tilt of a few hundredths of a
   * radian moves its tip by under half a pixel, visible only as an edge pixel's mix.
   */
  samples?: 1 | 4;
}

export const DEFAULT_SAMPLES = 4;

export interface RenderParams {
  n: number;
  width: number;
  height: number;
  samples: number;
  geomF: number;
  texF: number;
  geomI: number;
  texI: number;
  /** Visible geoms of the scene that has the most (render.wgsl copies a scene's geoms to workgroup memory when they fit). */
  maxGeoms: number;
}

export interface PackedScenes {
  f: Float32Array;
  i: Int32Array;
  img: Uint8Array;
  params: RenderParams;
}

export function checkSize(op: string, size: RenderSize | undefined): Required<RenderSize> {
  const s = size ?? { width: 64, height: 64 };
  for (const k of ['width', 'height'] as const) {
    const v = s[k];
    if (!Number.isInteger(v) || v < MIN_SIZE || v > MAX_SIZE) {
      throw new Error(`${op}: image ${k} must be an integer in ${MIN_SIZE}..${MAX_SIZE}, got ${String(v)}`);
    }
  }
  const samples = s.samples ?? DEFAULT_SAMPLES;
  if (samples !== 1 && samples !== 4) throw new Error(`${op}: samples must be 1 or 4 rays per pixel, got ${String(samples)}`);
  return { width: s.width, height: s.height, samples };
}

function vec3(op: string, what: string, v: unknown): [number, number, number] {
  if (!Array.isArray(v) || v.length < 3 || !v.slice(0, 3).every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${op}: ${what} must be 3 finite numbers, got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2]];
}

const sub = (a: number[], b: number[]) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
function normalize(op: string, what: string, v: number[]): number[] {
  const l = Math.hypot(v[0], v[1], v[2]);
  if (!(l > 1e-12)) throw new Error(`${op}: ${what} must be a non-zero vector, got [${v.join(', ')}]`);
  return [v[0] / l, v[1] / l, v[2] / l];
}

const SIZE_RULES: Readonly<Record<GeomType, string>> = {
  plane: 'half sizes must not be negative (0 = infinite)',
  sphere: 'the radius must be positive',
  capsule: 'the radius must be positive and the half length not negative',
  cylinder: 'the radius must be positive and the half length not negative',
  ellipsoid: 'all three radii must be positive',
  box: 'half sizes must not be negative',
};

function sizeOk(type: GeomType, s: readonly number[]): boolean {
  switch (type) {
    case 'plane':
      return s[0] >= 0 && s[1] >= 0;
    case 'sphere':
      return s[0] > 0;
    case 'capsule':
    case 'cylinder':
      return s[0] > 0 && s[1] >= 0;
    case 'ellipsoid':
      return s[0] > 0 && s[1] > 0 && s[2] > 0;
    case 'box':
      return s[0] >= 0 && s[1] >= 0 && s[2] >= 0;
  }
}

/**
 * Radius of a sphere around the geom centre containing it (with a margin), for the shader's early out; -1 for
 * an infinite plane.
 */
export function boundingRadius(type: GeomType, s: readonly number[]): number {
  let r: number;
  switch (type) {
    case 'plane':
      if (!(s[0] > 0 && s[1] > 0)) return -1;
      r = Math.hypot(s[0], s[1]);
      break;
    case 'sphere':
      r = s[0];
      break;
    case 'capsule':
      r = s[0] + s[1];
      break;
    case 'cylinder':
      r = Math.hypot(s[0], s[1]);
      break;
    case 'ellipsoid':
      r = Math.max(s[0], s[1], s[2]);
      break;
    case 'box':
      r = Math.hypot(s[0], s[1], s[2]);
      break;
  }
  return r * 1.001 + 1e-3;
}

/** Validates and packs scenes; throws naming the scene, the field, what was expected and what was given. */
export function packScenes(op: string, scenes: readonly Scene[], size: RenderSize): PackedScenes {
  if (!Array.isArray(scenes) || scenes.length === 0) {
    throw new Error(`${op}: scenes must be a non-empty array of Scene, got ${Array.isArray(scenes) ? 'an empty array' : typeof scenes}`);
  }
  const { width, height } = size;
  const samples = size.samples ?? DEFAULT_SAMPLES;
  const n = scenes.length;
  // First pass: count visible geoms and textures.
  let nGeoms = 0;
  let nTex = 0;
  for (const sc of scenes) {
    for (const g of sc.geoms) if (g.rgba?.[3] !== 0) nGeoms++;
    nTex += sc.textures.length + 1;
  }
  const geomF = n * SCENE_F;
  const texF = geomF + nGeoms * GEOM_F;
  const geomI = n * SCENE_I;
  const texI = geomI + nGeoms * GEOM_I;
  const f = new Float32Array(Math.max(1, texF + nTex * TEX_F));
  const iarr = new Int32Array(Math.max(1, texI + nTex * TEX_I));

  const images = new Map<Uint8Array, number>(); // image data -> texel offset
  const imageList: { data: Uint8Array; w: number; h: number }[] = [];
  let texels = 0;

  let g0 = 0;
  let maxGeoms = 0; // visible geoms of the busiest scene (render.wgsl's shared copy holds up to 32)
  let t0 = 0;
  const packTexture = (tex: Texture, t: number, where: string) => {
    if (!tex || typeof tex !== 'object') throw new Error(`${op}: ${where} must be a Texture, got ${String(tex)}`);
    const code = familyCode(op, where, tex.family);
    const o = texF + t * TEX_F;
    const ca = vec3(op, `${where}.colorA`, tex.colorA);
    const cb = vec3(op, `${where}.colorB`, tex.colorB);
    f.set(ca, o);
    f.set(cb, o + 3);
    const scale = tex.scale ?? 1;
    if (!Number.isFinite(scale)) throw new Error(`${op}: ${where}.scale must be a finite number, got ${scale}`);
    f[o + 6] = scale;
    const p = PARAM_DEFAULTS.map((d, k) => {
      const v = tex.params?.[k];
      return v === undefined ? d : v;
    });
    if (!p.every(Number.isFinite)) throw new Error(`${op}: ${where}.params must be finite numbers, got [${tex.params.join(', ')}]`);
    f[o + 7] = Math.cos(p[0]);
    f[o + 8] = Math.sin(p[0]);
    f[o + 9] = p[1];
    f[o + 10] = p[2];
    f[o + 11] = p[3];
    f[o + 12] = p[4];
    f[o + 13] = (p[5] >>> 0) % 16777216; // an integer exact in f32
    const oi = texI + t * TEX_I;
    iarr[oi] = code;
    if (code === TEXTURE_FAMILIES.image.code) {
      const im = tex.image;
      if (!im || !(im.data instanceof Uint8Array) || !Number.isInteger(im.width) || !Number.isInteger(im.height) || im.width < 1 || im.height < 1) {
        throw new Error(`${op}: ${where} has family 'image' but no image {width, height, data: Uint8Array}`);
      }
      if (im.data.length !== im.width * im.height * 3) {
        throw new Error(`${op}: ${where}.image.data must hold width*height*3 = ${im.width * im.height * 3} RGB bytes, got ${im.data.length}`);
      }
      let off = images.get(im.data);
      if (off === undefined) {
        off = texels;
        images.set(im.data, off);
        imageList.push({ data: im.data, w: im.width, h: im.height });
        texels += im.width * im.height;
      }
      iarr[oi + 1] = off;
      iarr[oi + 2] = im.width;
      iarr[oi + 3] = im.height;
    }
  };

  scenes.forEach((sc, s) => {
    const at = `scene ${s}`;
    if (!sc || !Array.isArray(sc.geoms) || !Array.isArray(sc.textures) || !sc.camera || !sc.light) {
      throw new Error(`${op}: ${at} must have geoms, textures, camera, light and background`);
    }
    // camera
    const cam = sc.camera;
    const pos = vec3(op, `${at} camera.pos`, cam.pos);
    const target = vec3(op, `${at} camera.target`, cam.target);
    const up = vec3(op, `${at} camera.up`, cam.up);
    if (!(cam.fovy > 0 && cam.fovy < 180)) throw new Error(`${op}: ${at} camera.fovy must be in (0, 180) degrees, got ${cam.fovy}`);
    const fwd = normalize(op, `${at} camera.target - camera.pos`, sub(target, pos));
    const right = normalize(op, `${at} camera right (forward x up; up must not be parallel to the view direction)`, cross(fwd, up));
    const camUp = cross(right, fwd);
    const ty = Math.tan((cam.fovy * Math.PI) / 360);
    const tx = ty * (width / height);
    const o = s * SCENE_F;
    f.set(pos, o);
    f.set([right[0] * tx, right[1] * tx, right[2] * tx], o + 3);
    f.set([camUp[0] * ty, camUp[1] * ty, camUp[2] * ty], o + 6);
    f.set(fwd, o + 9);
    const ld = normalize(op, `${at} light.dir`, vec3(op, `${at} light.dir`, sc.light.dir));
    f.set(ld, o + 12);
    f[o + 15] = sc.light.ambient;
    f[o + 16] = sc.light.diffuse;
    if (!Number.isFinite(sc.light.ambient) || !Number.isFinite(sc.light.diffuse)) {
      throw new Error(`${op}: ${at} light.ambient and light.diffuse must be finite, got ${sc.light.ambient}, ${sc.light.diffuse}`);
    }
    // textures (the background is appended after the scene's own)
    sc.textures.forEach((tex: Texture, k: number) => packTexture(tex, t0 + k, `${at} texture ${k}`));
    const bg = t0 + sc.textures.length;
    packTexture(sc.background, bg, `${at} background`);
    // geoms
    const start = g0;
    sc.geoms.forEach((g: SceneGeom, k: number) => {
      const gw = `${at} geom ${k}`;
      if (g.rgba?.[3] === 0) return; // invisible (MuJoCo's alpha-0 collision geoms)
      const code = GEOM_CODES[g.type];
      if (code === undefined || !Object.prototype.hasOwnProperty.call(GEOM_CODES, g.type)) {
        throw new Error(`${op}: ${gw} has unknown type '${g.type}'; valid types: ${Object.keys(GEOM_CODES).join(', ')}`);
      }
      if (!Array.isArray(g.mat) || g.mat.length !== 9 || !g.mat.every(Number.isFinite)) {
        throw new Error(`${op}: ${gw}.mat must be 9 finite numbers (3x3 row-major), got ${JSON.stringify(g.mat)}`);
      }
      const go = geomF + g0 * GEOM_F;
      f.set(vec3(op, `${gw}.pos`, g.pos), go);
      f.set(g.mat, go + 3);
      const sz = vec3(op, `${gw}.size`, g.size);
      if (!sizeOk(g.type, sz)) throw new Error(`${op}: ${gw} (${g.type}) has a bad size [${sz.join(', ')}]: ${SIZE_RULES[g.type]}`);
      f.set(sz, go + 12);
      f.set(vec3(op, `${gw}.rgba`, g.rgba), go + 15);
      f[go + 18] = boundingRadius(g.type, g.size);
      const gi = geomI + g0 * GEOM_I;
      iarr[gi] = code;
      const tx = g.texture ?? -1;
      if (tx >= sc.textures.length || !Number.isInteger(tx) || tx < -1) {
        throw new Error(`${op}: ${gw}.texture must be -1 or an index into the scene's ${sc.textures.length} textures, got ${tx}`);
      }
      iarr[gi + 1] = tx < 0 ? -1 : t0 + tx;
      g0++;
    });
    const si = s * SCENE_I;
    iarr[si] = start;
    iarr[si + 1] = g0 - start;
    maxGeoms = Math.max(maxGeoms, g0 - start);
    iarr[si + 2] = bg;
    iarr[si + 3] = sc.light.shadows === false ? 0 : 1;
    t0 += sc.textures.length + 1;
  });

  const img = new Uint8Array(Math.max(4, texels * 4));
  let p = 0;
  for (const { data, w, h } of imageList) {
    for (let k = 0; k < w * h; k++) {
      img[p++] = data[3 * k];
      img[p++] = data[3 * k + 1];
      img[p++] = data[3 * k + 2];
      img[p++] = 255;
    }
  }
  return { f, i: iarr, img, params: { n, width, height, samples, geomF, texF, geomI, texI, maxGeoms } };
}
