/** Visual domain randomisation: disjoint train / held-out distributions, seeding, applying, image backgrounds. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyVisualDomain, createRng, demoScene, renderScenesCpu, sampleVisualDomain, TEXTURE_FAMILIES, VISUAL_DISTRIBUTIONS, type Scene, type VisualSplit } from '../src/index.js';
import { loadBackgroundFolder, writePng } from '../src/node.js';
import { FLOOR_TEXTURE } from '../src/physics/scene-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'twist-dr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const draw = (seed: number, split: VisualSplit, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sampleVisualDomain(rng, split));
};

describe('Rng', () => {
  it('is reproducible, uniform-ish and in range', () => {
    const a = createRng(5);
    const b = createRng(5);
    const xs = Array.from({ length: 2000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 2000 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.03);
    const r = createRng(1);
    const ints = Array.from({ length: 500 }, () => r.int(7));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    expect(createRng(6).next()).not.toBe(createRng(5).next());
    expect(() => createRng(NaN)).toThrow(/seed must be a finite number/);
    expect(() => r.int(0)).toThrow(/positive integer/);
  });
});

describe('visual distributions', () => {
  it('train and held-out texture families are disjoint, and each split draws only its own', () => {
    const train = new Set(VISUAL_DISTRIBUTIONS.train.families);
    const held = new Set(VISUAL_DISTRIBUTIONS.heldout.families);
    expect([...train].filter((f) => held.has(f))).toEqual([]);
    for (const f of train) expect(TEXTURE_FAMILIES[f].split).toBe('train');
    for (const f of held) expect(TEXTURE_FAMILIES[f].split).toBe('heldout');
    const seen = { train: new Set<string>(), heldout: new Set<string>() };
    for (const split of ['train', 'heldout'] as const) {
      for (const d of draw(3, split, 300)) {
        seen[split].add(d.background.family);
        expect(d.split).toBe(split);
      }
    }
    expect(seen.train).toEqual(train); // every family is drawn
    expect(seen.heldout).toEqual(held);
    expect([...seen.train].filter((f) => seen.heldout.has(f))).toEqual([]);
  });

  it("draws parameters from each split's ranges", () => {
    for (const split of ['train', 'heldout'] as const) {
      const dist = VISUAL_DISTRIBUTIONS[split];
      for (const d of draw(9, split, 200)) {
        expect(d.background.scale).toBeGreaterThanOrEqual(dist.backgroundScale[0]);
        expect(d.background.scale).toBeLessThan(dist.backgroundScale[1]);
        // the floor: the tasks' own checker, only its colour drawn (the same ranges in both splits)
        expect({ ...d.floor, colorA: null, colorB: null }).toEqual({ ...FLOOR_TEXTURE, colorA: null, colorB: null });
        for (let c = 0; c < 3; c++) {
          expect(d.floor.colorA[c]).toBeGreaterThanOrEqual(dist.floorColor[0]);
          expect(d.floor.colorA[c]).toBeLessThan(dist.floorColor[1]);
          expect(d.floor.colorB[c]).toBeCloseTo(Math.min(d.floor.colorA[c] + dist.floorContrast, 1), 12);
        }
        const a = dist.familyA[d.background.family as keyof typeof dist.familyA];
        if (a) expect(d.background.params[3]).toBeGreaterThanOrEqual(a[0]);
        // light and camera are the task's (the paper's simulated DR draws only backgrounds and colours)
        expect([dist.ambient, dist.diffuse, dist.lightElevation]).toEqual([null, null, null]);
        expect(d.light).toEqual({});
        expect([...d.camera.posJitter, ...d.camera.targetJitter, d.camera.fovyJitter].every((v) => v === 0)).toBe(true);
        expect(Math.max(...d.camera.posJitter.map(Math.abs))).toBeLessThanOrEqual(dist.cameraPosJitter);
        expect(Math.abs(d.camera.fovyJitter)).toBeLessThanOrEqual(dist.fovyJitter);
      }
    }
    expect(() => sampleVisualDomain(createRng(1), 'test' as VisualSplit)).toThrow(/split must be 'train' or 'heldout', got 'test'/);
  });

  it('overrides turn on light and camera draws within their ranges, and name an unknown key', () => {
    const overrides = { ambient: [0.2, 0.45], diffuse: [0.4, 0.8], lightElevation: [35, 85], cameraPosJitter: 0.04, cameraTargetJitter: 0.02, fovyJitter: 3 } as const;
    const rng = createRng(17);
    for (let i = 0; i < 200; i++) {
      const d = sampleVisualDomain(rng, i % 2 ? 'train' : 'heldout', { overrides });
      expect(d.light.ambient).toBeGreaterThanOrEqual(0.2);
      expect(d.light.ambient).toBeLessThan(0.45);
      expect(d.light.diffuse).toBeGreaterThanOrEqual(0.4);
      expect(d.light.diffuse).toBeLessThan(0.8);
      const dir = d.light.dir!;
      expect(Math.hypot(...dir)).toBeCloseTo(1, 10);
      const el = (Math.asin(-dir[2]) * 180) / Math.PI; // below the horizon
      expect(el).toBeGreaterThanOrEqual(35 - 1e-9);
      expect(el).toBeLessThanOrEqual(85 + 1e-9);
      expect(Math.max(...d.camera.posJitter.map(Math.abs))).toBeLessThanOrEqual(0.04);
      expect(Math.max(...d.camera.posJitter.map(Math.abs))).toBeGreaterThan(0);
      expect(Math.abs(d.camera.fovyJitter)).toBeLessThanOrEqual(3);
    }
    expect(() => sampleVisualDomain(createRng(1), 'train', { overrides: { brightness: [0, 1] } as never })).toThrow(/unknown distribution key 'brightness'/);
  });

  it('is seeded: the same seed gives the same domains and identical images; another seed does not', () => {
    expect(draw(11, 'train', 5)).toEqual(draw(11, 'train', 5));
    expect(draw(11, 'train', 5)).not.toEqual(draw(12, 'train', 5));
    const render = (seed: number, split: VisualSplit) =>
      renderScenesCpu(draw(seed, split, 3).map((d) => applyVisualDomain(horizon, d)), { width: 48, height: 48 });
    // the demo scene seen level, so the background (the only thing the splits differ in) fills the top half
    const horizon: Scene = { ...demoScene(0), camera: { pos: [0, -1.6, 0.3], target: [0, 0, 0.3], up: [0, 0, 1], fovy: 45 } };
    const a = render(21, 'heldout');
    expect(a).toEqual(render(21, 'heldout'));
    expect(a).not.toEqual(render(22, 'heldout'));
    expect(render(21, 'train')).not.toEqual(a);
  });
});

describe('applyVisualDomain', () => {
  const scene = (): Scene => {
    const s = demoScene(0);
    s.geoms[1] = { ...s.geoms[1], drRole: 'fixed' }; // the sphere keeps its colour (e.g. a goal marker)
    s.light.shadows = false;
    return s;
  };

  it('rewrites floor, object colours, light, camera and background without touching the input', () => {
    const src = scene();
    const before = JSON.stringify(src);
    const d = sampleVisualDomain(createRng(4), 'train', { overrides: { cameraPosJitter: 0.04, cameraTargetJitter: 0.02, fovyJitter: 3 } });
    expect(Math.abs(d.camera.posJitter[0])).toBeGreaterThan(0);
    const out = applyVisualDomain(src, d);
    expect(JSON.stringify(src)).toBe(before);
    // the floor (a plane) gets the domain's floor texture, appended after the scene's own
    expect(out.textures.length).toBe(src.textures.length + 1);
    expect(out.textures.at(-1)).toEqual(d.floor);
    expect(out.geoms[0].texture).toBe(src.textures.length);
    expect(out.geoms[0].rgba).toEqual([1, 1, 1, 1]);
    // fixed geoms are untouched; objects are jittered within +-colorJitter, clamped to [0, 1]
    expect(out.geoms[1]).toEqual(src.geoms[1]);
    for (let k = 2; k < src.geoms.length; k++) {
      const a = src.geoms[k].rgba;
      const b = out.geoms[k].rgba;
      expect(b).not.toEqual(a);
      for (let c = 0; c < 3; c++) {
        expect(Math.abs(b[c] - a[c])).toBeLessThanOrEqual(d.colorJitter + 1e-12);
        expect(b[c]).toBeGreaterThanOrEqual(0);
        expect(b[c]).toBeLessThanOrEqual(1);
      }
      expect(b[3]).toBe(a[3]);
    }
    expect(out.background).toEqual(d.background);
    expect(out.light.dir).toEqual(src.light.dir); // the domain draws no direction: the scene's is kept (a copy)
    expect(out.light.dir).not.toBe(src.light.dir);
    expect([out.light.ambient, out.light.diffuse]).toEqual([src.light.ambient, src.light.diffuse]);
    expect(out.light.shadows).toBe(false); // the scene's shadow switch survives
    // a domain with a direction (a distribution with lightElevation) sets it
    const lit = applyVisualDomain(src, { ...d, light: { dir: [0, 0.6, -0.8], ambient: 0.25, diffuse: 0.5 } });
    expect(lit.light).toEqual({ dir: [0, 0.6, -0.8], ambient: 0.25, diffuse: 0.5, shadows: false });
    const dist = Math.hypot(...src.camera.target.map((t, i) => t - src.camera.pos[i]));
    out.camera.pos.forEach((p, i) => expect(p).toBeCloseTo(src.camera.pos[i] + d.camera.posJitter[i] * dist, 12));
    expect(out.camera.fovy).toBeCloseTo(src.camera.fovy + d.camera.fovyJitter, 12);
    // deterministic given the domain
    expect(applyVisualDomain(src, d)).toEqual(out);
  });

  it('drRole overrides the default role (a box can be the floor, a plane can stay fixed)', () => {
    const s = scene();
    s.geoms[0] = { ...s.geoms[0], drRole: 'fixed' };
    s.geoms[2] = { ...s.geoms[2], drRole: 'floor' };
    const out = applyVisualDomain(s, sampleVisualDomain(createRng(8), 'heldout'));
    expect(out.geoms[0]).toEqual(s.geoms[0]);
    expect(out.geoms[2].texture).toBe(s.textures.length);
  });
});

describe('held-out image backgrounds', () => {
  it('loadBackgroundFolder loads RGB and RGBA PNGs (sorted, big ones downscaled) and the renderer draws them', () => {
    const bg = join(dir, 'bg');
    const big = { width: 600, height: 300, channels: 3 as const, data: new Uint8Array(600 * 300 * 3) };
    for (let y = 0; y < 300; y++) for (let x = 0; x < 600; x++) big.data.set(x < 300 ? [255, 0, 0] : [0, 0, 255], 3 * (y * 600 + x));
    writePng(join(bg, 'b-big.png'), big);
    writePng(join(bg, 'a-small.png'), { width: 2, height: 2, channels: 4, data: Uint8Array.from([10, 20, 30, 255, 40, 50, 60, 0, 70, 80, 90, 128, 1, 2, 3, 4]) });
    writeFileSync(join(bg, 'notes.txt'), 'not an image');
    const texs = loadBackgroundFolder(bg);
    expect(texs.length).toBe(2);
    expect(texs[0].family).toBe('image');
    expect(texs[0].image).toEqual({ width: 2, height: 2, data: Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 1, 2, 3]) });
    expect([texs[1].image!.width, texs[1].image!.height]).toEqual([256, 128]);

    const d = sampleVisualDomain(createRng(2), 'heldout', { backgrounds: [texs[1]] });
    expect(d.background).toBe(texs[1]);
    const s = demoScene(0);
    s.geoms = [];
    const [img] = renderScenesCpu([applyVisualDomain(s, d)], { width: 64, height: 64 });
    expect(Array.from(img.subarray(0, 3))).toEqual([255, 0, 0]); // top-left: the red half
    expect(Array.from(img.subarray(3 * 63, 3 * 64))).toEqual([0, 0, 255]); // top-right: the blue half

    // imageProbability 0: procedural held-out backgrounds only
    const p = sampleVisualDomain(createRng(2), 'heldout', { backgrounds: texs, imageProbability: 0 });
    expect(VISUAL_DISTRIBUTIONS.heldout.families).toContain(p.background.family);
  });

  it('says what is wrong with a folder', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.txt'), 'no images here');
    expect(() => loadBackgroundFolder(empty)).toThrow(/no .png files in/);
    expect(() => loadBackgroundFolder(join(dir, 'missing'))).toThrow(/cannot read folder/);
    writePng(join(dir, 'x.png'), { width: 1, height: 1, channels: 3, data: new Uint8Array(3) });
    writeFileSync(join(dir, 'bad.png'), 'garbage');
    expect(() => loadBackgroundFolder(dir)).toThrow(/bad.png: decodePng: not a PNG file/);
  });
});
