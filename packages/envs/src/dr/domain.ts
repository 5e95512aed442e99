/**
 * Visual domain randomisation: a train distribution and a disjoint held-out one. A VisualDomain is one draw
 * (background, floor texture, object colour jitter, light, camera jitter); applyVisualDomain rewrites a Scene
 * with it. Following the paper (Sec. V), object colours, light and camera come from the same ranges in both
 * splits; the textures differ: held-out backgrounds and floors use other texture families (disjoint from
 * train) with other parameter ranges, or images loaded with loadBackgroundFolder.
 */
import { hash3, TEXTURE_FAMILIES, type TextureFamily } from '../render/textures.js';
import type { Scene, SceneGeom, Texture, Vec3 } from '../scene.js';
import type { Rng } from './rng.js';

export type VisualSplit = 'train' | 'heldout';

export interface VisualDomain {
  split: VisualSplit;
  background: Texture;
  /** Put on 'floor' geoms (planes unless SceneGeom.drRole says otherwise), their colour set to white. */
  floor: Texture;
  /** Per-geom colour jitter of 'object' geoms: rgb += (u - 0.5) * 2 * colorJitter, u = hash(seed, geom, channel). */
  colorSeed: number;
  colorJitter: number;
  light: { dir: Vec3; ambient: number; diffuse: number };
  /** Camera position and target offsets as fractions of the camera-target distance; fovy offset in degrees. */
  camera: { posJitter: Vec3; targetJitter: Vec3; fovyJitter: number };
}

type Range = readonly [number, number];

export interface VisualDistribution {
  families: readonly TextureFamily[];
  /** Range of params[3] (a) per family. */
  familyA: Partial<Record<TextureFamily, Range>>;
  /** Background texture scale: pattern periods per image height. */
  backgroundScale: Range;
  /** Floor texture scale: pattern periods per metre. */
  floorScale: Range;
  colorJitter: number;
  ambient: Range;
  diffuse: Range;
  /** Light elevation below the horizon, degrees. */
  lightElevation: Range;
  cameraPosJitter: number;
  cameraTargetJitter: number;
  fovyJitter: number;
}

const COMMON = {
  colorJitter: 0.3,
  ambient: [0.2, 0.45],
  diffuse: [0.4, 0.8],
  lightElevation: [35, 85],
  cameraPosJitter: 0.04,
  cameraTargetJitter: 0.02,
  fovyJitter: 3,
} as const;

/** The two distributions. Their texture families are disjoint (a test checks it). */
export const VISUAL_DISTRIBUTIONS: Readonly<Record<VisualSplit, VisualDistribution>> = {
  train: {
    families: ['checker', 'stripes', 'gradient', 'dots', 'grid', 'noise'],
    familyA: { stripes: [0.3, 0.7], dots: [0.35, 0.85], grid: [0.06, 0.2], noise: [0, 1] },
    backgroundScale: [2, 8],
    floorScale: [1, 4],
    ...COMMON,
  },
  heldout: {
    families: ['rings', 'waves', 'cells', 'marble', 'zigzag'],
    familyA: { rings: [0.3, 0.7], waves: [0.2, 0.6], cells: [0.5, 1], marble: [0.5, 1.5], zigzag: [0.4, 1.2] },
    backgroundScale: [5, 12],
    floorScale: [2.5, 6],
    ...COMMON,
  },
};

for (const [split, d] of Object.entries(VISUAL_DISTRIBUTIONS)) {
  for (const f of d.families) {
    if (TEXTURE_FAMILIES[f].split !== split) throw new Error(`dr: family '${f}' is listed for ${split} but marked ${TEXTURE_FAMILIES[f].split}`);
  }
}

export interface SampleOptions {
  /** Image textures (e.g. from loadBackgroundFolder) to use as backgrounds. */
  backgrounds?: readonly Texture[];
  /** Probability of an image background when `backgrounds` is given (default 1). */
  imageProbability?: number;
}

const rgb = (rng: Rng): Vec3 => [rng.next(), rng.next(), rng.next()];

function sampleTexture(rng: Rng, d: VisualDistribution, scale: Range): Texture {
  const family = rng.pick(d.families);
  const a = d.familyA[family];
  const params = [rng.uniform(0, Math.PI), rng.uniform(0, 10), rng.uniform(0, 10), a ? rng.uniform(a[0], a[1]) : 0.5, 0.5, rng.int(1 << 24)];
  return { family, colorA: rgb(rng), colorB: rgb(rng), scale: rng.uniform(scale[0], scale[1]), params };
}

/** Draws a visual domain from the train or held-out distribution (deterministic given the rng state). */
export function sampleVisualDomain(rng: Rng, split: VisualSplit, opts: SampleOptions = {}): VisualDomain {
  const d = VISUAL_DISTRIBUTIONS[split];
  if (!d) throw new Error(`sampleVisualDomain: split must be 'train' or 'heldout', got '${String(split)}'`);
  let background = sampleTexture(rng, d, d.backgroundScale);
  const floor = sampleTexture(rng, d, d.floorScale);
  const bgs = opts.backgrounds ?? [];
  if (bgs.length && rng.next() < (opts.imageProbability ?? 1)) background = rng.pick(bgs);
  const az = rng.uniform(0, 2 * Math.PI);
  const el = (rng.uniform(d.lightElevation[0], d.lightElevation[1]) * Math.PI) / 180;
  const j = (s: number): Vec3 => [rng.uniform(-s, s), rng.uniform(-s, s), rng.uniform(-s, s)];
  return {
    split,
    background,
    floor,
    colorSeed: rng.u32(),
    colorJitter: d.colorJitter,
    light: {
      dir: [Math.cos(el) * Math.cos(az), Math.cos(el) * Math.sin(az), -Math.sin(el)],
      ambient: rng.uniform(d.ambient[0], d.ambient[1]),
      diffuse: rng.uniform(d.diffuse[0], d.diffuse[1]),
    },
    camera: { posJitter: j(d.cameraPosJitter), targetJitter: j(d.cameraTargetJitter), fovyJitter: rng.uniform(-d.fovyJitter, d.fovyJitter) },
  };
}

const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);

/** A new scene with the domain applied (the input scene is not modified). */
export function applyVisualDomain(scene: Scene, domain: VisualDomain): Scene {
  const floorIdx = scene.textures.length;
  const geoms = scene.geoms.map((g, k): SceneGeom => {
    const role = g.drRole ?? (g.type === 'plane' ? 'floor' : 'object');
    if (role === 'floor') return { ...g, texture: floorIdx, rgba: [1, 1, 1, g.rgba[3]] };
    if (role === 'fixed') return { ...g };
    const jit = (c: number) => ((hash3(k, c, domain.colorSeed) >>> 8) / 16777216 - 0.5) * 2 * domain.colorJitter;
    return { ...g, rgba: [clamp01(g.rgba[0] + jit(0)), clamp01(g.rgba[1] + jit(1)), clamp01(g.rgba[2] + jit(2)), g.rgba[3]] };
  });
  const cam = scene.camera;
  const dist = Math.hypot(cam.target[0] - cam.pos[0], cam.target[1] - cam.pos[1], cam.target[2] - cam.pos[2]);
  const add = (v: Vec3, o: Vec3): Vec3 => [v[0] + o[0] * dist, v[1] + o[1] * dist, v[2] + o[2] * dist];
  return {
    geoms,
    camera: {
      pos: add(cam.pos, domain.camera.posJitter),
      target: add(cam.target, domain.camera.targetJitter),
      up: [...cam.up],
      fovy: Math.min(Math.max(cam.fovy + domain.camera.fovyJitter, 1), 170),
    },
    light: { ...domain.light, dir: [...domain.light.dir], ...(scene.light.shadows !== undefined ? { shadows: scene.light.shadows } : {}) },
    background: domain.background,
    textures: [...scene.textures, domain.floor],
  };
}
