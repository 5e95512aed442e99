/**
 * Visual domain randomisation: a train distribution and a disjoint held-out one. A VisualDomain is one draw
 * (background texture, floor colour, object colour jitter, light, camera jitter); applyVisualDomain rewrites a
 * Scene with it. Following the paper (Sec. V: "randomizing the background texture ... and the colour of
 * objects"; at evaluation "object colours from the same distribution as training, but the background texture
 * ... from a held-out test distribution"), only the background differs between the splits: held-out
 * backgrounds use other texture families (disjoint from train) with other parameter ranges, or images loaded
 * with loadBackgroundFolder. Floor, object colours, light and camera come from the same ranges in both.
 *
 * The floor keeps the tasks' own low-contrast checker and only changes colour (DESIGN: "object and floor
 * colours"; the Distracting Control Suite keeps its floor grid too). Until 2026-12-01 the floor took a random
 * high-contrast texture of the split's families: with it, a fresh student encoder trained supervised for 600
 * updates could not read the cartpole's pole at all (probes/pose-from-renders.mjs: R^2 of the pole's cos ~0,
 * against 0.75 with the floor's own pattern), so the task was harder than the paper's for reasons the paper
 * does not have.
 */
import { hash3, TEXTURE_FAMILIES, type TextureFamily } from '../render/textures.js';
import type { Scene, SceneGeom, Texture, Vec3 } from '../scene.js';
import { FLOOR_TEXTURE } from '../physics/scene-builder.js';
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
  /** What is drawn of the light; an absent field keeps the scene's own (direction, ambient, diffuse). */
  light: { dir?: Vec3; ambient?: number; diffuse?: number };
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
  /** Floor colour: colorA of the floor's checker, each channel uniform in this range; colorB = colorA + floorContrast. */
  floorColor: Range;
  floorContrast: number;
  colorJitter: number;
  /** Light brightness (ambient and diffuse terms); null: the scene's. */
  ambient: Range | null;
  diffuse: Range | null;
  /** Light elevation below the horizon, degrees, at a uniform azimuth; null: keep the scene's light direction. */
  lightElevation: Range | null;
  cameraPosJitter: number;
  cameraTargetJitter: number;
  fovyJitter: number;
}

const COMMON = {
  floorColor: [0.05, 0.65],
  floorContrast: 0.1,
  colorJitter: 0.3,
  // The paper's simulated DR names only background textures and object colours (its real-robot runs add camera
  // position and brightness). Light and camera stay the task's: with them drawn every step (light direction
  // 35-85 deg, brightness ambient 0.2-0.45 / diffuse 0.4-0.8, camera 4% / 2% / 3 deg; even brightness with a 1%
  // camera jitter) a fresh encoder in probes/pose-from-renders.mjs read the cart worse and did not begin to read
  // the pole's cos in 200-600 updates, against 0.42 by 200 without. The mechanisms stay (a distribution with
  // ranges here draws them) for setups that want them, e.g. a real camera's pose and exposure.
  ambient: null,
  diffuse: null,
  lightElevation: null,
  cameraPosJitter: 0,
  cameraTargetJitter: 0,
  fovyJitter: 0,
} as const;

/** The two distributions. Their texture families are disjoint (a test checks it). */
export const VISUAL_DISTRIBUTIONS: Readonly<Record<VisualSplit, VisualDistribution>> = {
  train: {
    families: ['checker', 'stripes', 'gradient', 'dots', 'grid', 'noise'],
    familyA: { stripes: [0.3, 0.7], dots: [0.35, 0.85], grid: [0.06, 0.2], noise: [0, 1] },
    backgroundScale: [2, 8],
    ...COMMON,
  },
  heldout: {
    families: ['rings', 'waves', 'cells', 'marble', 'zigzag'],
    familyA: { rings: [0.3, 0.7], waves: [0.2, 0.6], cells: [0.5, 1], marble: [0.5, 1.5], zigzag: [0.4, 1.2] },
    backgroundScale: [5, 12],
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
  /**
   * Changes to the split's distribution, e.g. light and camera ranges for a setup that wants them
   * ({ ambient: [0.2, 0.45], diffuse: [0.4, 0.8], lightElevation: [35, 85], cameraPosJitter: 0.04 }).
   */
  overrides?: Partial<VisualDistribution>;
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
  const base = VISUAL_DISTRIBUTIONS[split];
  if (!base) throw new Error(`sampleVisualDomain: split must be 'train' or 'heldout', got '${String(split)}'`);
  const d: VisualDistribution = opts.overrides ? { ...base, ...opts.overrides } : base;
  if (opts.overrides) {
    for (const k of Object.keys(opts.overrides)) {
      if (!(k in base)) throw new Error(`sampleVisualDomain: unknown distribution key '${k}' in overrides; valid keys: ${Object.keys(base).join(', ')}`);
    }
  }
  let background = sampleTexture(rng, d, d.backgroundScale);
  const fc = (): number => rng.uniform(d.floorColor[0], d.floorColor[1]);
  const colorA: Vec3 = [fc(), fc(), fc()];
  const floor: Texture = { ...FLOOR_TEXTURE, colorA, colorB: colorA.map((c) => Math.min(c + d.floorContrast, 1)) as Vec3, params: [...FLOOR_TEXTURE.params] };
  const bgs = opts.backgrounds ?? [];
  if (bgs.length && rng.next() < (opts.imageProbability ?? 1)) background = rng.pick(bgs);
  let dir: Vec3 | undefined;
  if (d.lightElevation) {
    const az = rng.uniform(0, 2 * Math.PI);
    const el = (rng.uniform(d.lightElevation[0], d.lightElevation[1]) * Math.PI) / 180;
    dir = [Math.cos(el) * Math.cos(az), Math.cos(el) * Math.sin(az), -Math.sin(el)];
  }
  const j = (s: number): Vec3 => [rng.uniform(-s, s), rng.uniform(-s, s), rng.uniform(-s, s)];
  return {
    split,
    background,
    floor,
    colorSeed: rng.u32(),
    colorJitter: d.colorJitter,
    light: {
      ...(dir ? { dir } : {}),
      ...(d.ambient ? { ambient: rng.uniform(d.ambient[0], d.ambient[1]) } : {}),
      ...(d.diffuse ? { diffuse: rng.uniform(d.diffuse[0], d.diffuse[1]) } : {}),
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
    light: {
      dir: [...(domain.light.dir ?? scene.light.dir)],
      ambient: domain.light.ambient ?? scene.light.ambient,
      diffuse: domain.light.diffuse ?? scene.light.diffuse,
      ...(scene.light.shadows !== undefined ? { shadows: scene.light.shadows } : {}),
    },
    background: domain.background,
    textures: [...scene.textures, domain.floor],
  };
}
