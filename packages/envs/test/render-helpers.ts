/** Shared by the render tests: scene builders and image comparison. */
import { axisAngleMat, createRng, TEXTURE_FAMILY_NAMES, type Rng, type Scene, type SceneGeom, type Texture, type Vec3 } from '../src/index.js';

export const I3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function geom(type: SceneGeom['type'], pos: Vec3, size: Vec3, rgb: Vec3, extra: Partial<SceneGeom> = {}): SceneGeom {
  return { type, pos, mat: [...I3], size, rgba: [...rgb, 1], texture: -1, ...extra };
}

/** An empty scene: camera on -y looking at the origin (z up), light from the camera side, black background. */
export function baseScene(geoms: SceneGeom[] = [], extra: Partial<Scene> = {}): Scene {
  return {
    geoms,
    camera: { pos: [0, -3, 0], target: [0, 0, 0], up: [0, 0, 1], fovy: 40 },
    light: { dir: [0, 1, 0], ambient: 0.2, diffuse: 0.8, shadows: false },
    background: { family: 'solid', colorA: [0, 0, 0], colorB: [0, 0, 0], scale: 1, params: [] },
    textures: [],
    ...extra,
  };
}

/** RGB at (x, y) of an H*W*3 image. */
export function px(img: Uint8Array, width: number, x: number, y: number): [number, number, number] {
  const k = 3 * (y * width + x);
  return [img[k], img[k + 1], img[k + 2]];
}

const rgb = (r: Rng): Vec3 => [r.next(), r.next(), r.next()];

export function randomTexture(r: Rng, image: { width: number; height: number; data: Uint8Array }): Texture {
  const family = r.pick(TEXTURE_FAMILY_NAMES);
  return {
    family,
    colorA: rgb(r),
    colorB: rgb(r),
    scale: r.uniform(0.5, 12),
    params: [r.uniform(0, 6.3), r.uniform(-5, 5), r.uniform(-5, 5), r.uniform(0, 1), r.uniform(0, 1), r.int(1000)],
    ...(family === 'image' ? { image } : {}),
  };
}

/** A random scene: a floor and 1..8 geoms of every type, random poses, colours, textures, camera and light. */
export function randomScene(seed: number): Scene {
  const r = createRng(seed);
  const image = { width: 5, height: 3, data: Uint8Array.from({ length: 45 }, () => r.int(256)) };
  const textures = Array.from({ length: 4 }, () => randomTexture(r, image));
  const types: SceneGeom['type'][] = ['sphere', 'capsule', 'ellipsoid', 'cylinder', 'box'];
  const geoms: SceneGeom[] = [geom('plane', [0, 0, 0], [r.next() < 0.5 ? 0 : 2, r.next() < 0.5 ? 0 : 2, 0.1], rgb(r), { texture: r.int(4) })];
  const n = 1 + r.int(8);
  for (let i = 0; i < n; i++) {
    const axis: Vec3 = [r.uniform(-1, 1), r.uniform(-1, 1), r.uniform(-1, 1) + 0.01];
    geoms.push(
      geom(r.pick(types), [r.uniform(-1, 1), r.uniform(-1, 1), r.uniform(0.1, 0.8)], [r.uniform(0.05, 0.4), r.uniform(0.05, 0.4), r.uniform(0.05, 0.4)], rgb(r), {
        mat: axisAngleMat(axis, r.uniform(0, 6.3)),
        texture: r.next() < 0.4 ? r.int(4) : -1,
      }),
    );
  }
  const az = r.uniform(0, 6.3);
  const el = r.uniform(0.2, 1.2);
  const dist = r.uniform(2, 4);
  const bg = randomTexture(r, image);
  return {
    geoms,
    camera: {
      pos: [dist * Math.cos(el) * Math.cos(az), dist * Math.cos(el) * Math.sin(az), dist * Math.sin(el)],
      target: [r.uniform(-0.3, 0.3), r.uniform(-0.3, 0.3), r.uniform(0, 0.4)],
      up: [0, 0, 1],
      fovy: r.uniform(30, 70),
    },
    light: { dir: [r.uniform(-1, 1), r.uniform(-1, 1), -r.uniform(0.3, 1)], ambient: r.uniform(0.1, 0.5), diffuse: r.uniform(0.3, 0.9), shadows: r.next() < 0.7 },
    background: bg,
    textures,
  };
}

/** Fraction of pixels whose channels all differ by at most tol, and the largest channel difference. */
export function agreement(a: Uint8Array, b: Uint8Array, tol: number): { frac: number; maxDiff: number; bad: number } {
  if (a.length !== b.length) throw new Error(`agreement: lengths differ (${a.length} vs ${b.length})`);
  let bad = 0;
  let maxDiff = 0;
  for (let k = 0; k < a.length; k += 3) {
    const d = Math.max(Math.abs(a[k] - b[k]), Math.abs(a[k + 1] - b[k + 1]), Math.abs(a[k + 2] - b[k + 2]));
    if (d > tol) bad++;
    if (d > maxDiff) maxDiff = d;
  }
  return { frac: 1 - bad / (a.length / 3), maxDiff, bad };
}
