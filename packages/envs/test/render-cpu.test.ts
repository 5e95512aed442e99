/**
 * The renderer's semantics on the CPU reference (runs everywhere): geoms land where the camera maths says,
 * with their colours and Lambert shading; textures, shadows, image textures; validation errors.
 */
import { describe, expect, it } from 'vitest';
import { CpuDevice } from '@twist/kernels';
import { axisAngleMat, renderScenes, renderScenesCpu, TEXTURE_FAMILY_NAMES, type RenderSize, type Scene, type SceneGeom } from '../src/index.js';
import { baseScene, geom, px, randomScene } from './render-helpers.js';

const S = 64;
const size: RenderSize = { width: S, height: S };
const render1 = (sc: Scene, sz = size) => renderScenesCpu([sc], sz)[0];
const byte = (v: number) => Math.round(v * 255);
const luma = (c: number[]) => c[0] + c[1] + c[2];

describe('renderScenesCpu: geometry', () => {
  const rgb: [number, number, number] = [0.8, 0.4, 0.2];
  // camera on -y looking at the origin, light travelling +y (from behind the camera): a surface facing the
  // camera gets ambient + diffuse = 1, so the centre pixel is the geom's own colour.
  const cases: [string, SceneGeom][] = [
    ['sphere', geom('sphere', [0, 0, 0], [0.5, 0, 0], rgb)],
    ['box', geom('box', [0, 0, 0], [0.4, 0.3, 0.2], rgb)],
    ['capsule', geom('capsule', [0, 0, 0], [0.3, 0.3, 0], rgb)],
    ['cylinder', geom('cylinder', [0, 0, 0], [0.3, 0.3, 0], rgb)],
    ['ellipsoid', geom('ellipsoid', [0, 0, 0], [0.5, 0.3, 0.4], rgb)],
  ];
  for (const [name, g] of cases) {
    it(`a ${name} in front of the camera covers the centre pixel with its colour, the corner stays background`, () => {
      const img = render1(baseScene([g]));
      const c = px(img, S, S / 2, S / 2);
      for (let k = 0; k < 3; k++) expect(Math.abs(c[k] - byte(rgb[k])), `${name} centre ${c}`).toBeLessThanOrEqual(1);
      expect(px(img, S, 0, 0)).toEqual([0, 0, 0]);
    });
  }

  it('a plane seen from above fills the view; from below it is invisible (one-sided, as in MuJoCo)', () => {
    const above = baseScene([geom('plane', [0, 0, 0], [0, 0, 0.1], rgb)], {
      camera: { pos: [0, 0, 3], target: [0, 0, 0], up: [0, 1, 0], fovy: 40 },
      light: { dir: [0, 0, -1], ambient: 0.2, diffuse: 0.8 },
    });
    const img = render1(above);
    expect(px(img, S, 0, 0)).toEqual(rgb.map(byte));
    expect(px(img, S, S - 1, S - 1)).toEqual(rgb.map(byte));
    const below = { ...above, camera: { ...above.camera, pos: [0, 0, -3] as [number, number, number] } };
    expect(px(render1(below), S, S / 2, S / 2)).toEqual([0, 0, 0]);
  });

  it('a bounded plane ends at its half sizes', () => {
    const sc = baseScene([geom('plane', [0, 0, 0], [0.5, 0.5, 0.1], [1, 1, 1])], {
      camera: { pos: [0, 0, 3], target: [0, 0, 0], up: [0, 1, 0], fovy: 40 },
      light: { dir: [0, 0, -1], ambient: 1, diffuse: 0 },
    });
    const img = render1(sc);
    // half-width 0.5 at distance 3: ndc 0.5 / (3 tan 20deg) = 0.458 -> columns 17..46
    expect(px(img, S, 32, 32)).toEqual([255, 255, 255]);
    expect(px(img, S, 20, 32)).toEqual([255, 255, 255]);
    expect(px(img, S, 14, 32)).toEqual([0, 0, 0]);
    expect(px(img, S, 50, 32)).toEqual([0, 0, 0]);
  });

  it('projects a geom off-centre where the pinhole maths puts it (image x = world +x here, image y down)', () => {
    const img = render1(baseScene([geom('sphere', [0.8, 0, 0.5], [0.1, 0, 0], [1, 1, 1])]));
    // ndc = 0.8 / (3 tan 20deg) = 0.7326 -> column (0.7326 + 1) * 32 = 55.4; row (1 - 0.458) * 32 = 17.3
    expect(luma(px(img, S, 55, 17))).toBeGreaterThan(600);
    expect(luma(px(img, S, 32, 32))).toBe(0);
    expect(luma(px(img, S, 8, 17))).toBe(0);
  });

  it('uses the rotation matrix: a long box turned 90 degrees about the view axis stands upright', () => {
    const flat = geom('box', [0, 0, 0], [0.9, 0.1, 0.1], [1, 1, 1]);
    const upright = { ...flat, mat: axisAngleMat([0, 1, 0], Math.PI / 2) };
    const a = render1(baseScene([flat]));
    const b = render1(baseScene([upright]));
    expect(luma(px(a, S, 8, 32))).toBeGreaterThan(600);
    expect(luma(px(a, S, 32, 8))).toBe(0);
    expect(luma(px(b, S, 8, 32))).toBe(0);
    expect(luma(px(b, S, 32, 8))).toBeGreaterThan(600);
  });

  it('capsule ends are round, cylinder ends flat (seen side-on, axis vertical)', () => {
    const cap = render1(baseScene([geom('capsule', [0, 0, 0], [0.3, 0.4, 0], [1, 1, 1])]));
    const cyl = render1(baseScene([geom('cylinder', [0, 0, 0], [0.3, 0.4, 0], [1, 1, 1])]));
    // the capsule reaches z = 0.7 on its axis; the cylinder stops at 0.4. Row of z = 0.55: (1 - 0.55/1.092) * 32 = 15.9
    expect(luma(px(cap, S, 32, 16))).toBeGreaterThan(0);
    expect(luma(px(cyl, S, 32, 16))).toBe(0);
    // near the silhouette corner (x = 0.28, z = 0.55) the capsule's hemisphere is absent
    expect(luma(px(cap, S, 32 + 8, 16))).toBe(0);
  });

  it('is shaded brighter on the lit side (Lambert), never darker than ambient', () => {
    const sc = baseScene([geom('sphere', [0, 0, 0], [0.8, 0, 0], [1, 1, 1])], { light: { dir: [1, 0.3, 0], ambient: 0.1, diffuse: 0.9 } });
    const img = render1(sc);
    // light travels +x: the surface facing -x (image left) is lit
    const left = luma(px(img, S, 14, 32));
    const right = luma(px(img, S, 50, 32));
    expect(left).toBeGreaterThan(right + 200);
    expect(right).toBeGreaterThanOrEqual(3 * Math.floor(0.1 * 255));
  });

  it('casts hard shadows (optional per light)', () => {
    const sc = baseScene([geom('plane', [0, 0, 0], [0, 0, 0.1], [1, 1, 1]), geom('sphere', [0, 0, 1], [0.3, 0, 0], [1, 0, 0])], {
      camera: { pos: [0, -2, 2], target: [0, 0, 0], up: [0, 0, 1], fovy: 40 },
      light: { dir: [0, 0, -1], ambient: 0.25, diffuse: 0.75 },
    });
    const lit = render1({ ...sc, light: { ...sc.light, shadows: false } });
    const shadowed = render1(sc);
    // the image centre sees the floor at the origin, straight under the sphere
    expect(px(lit, S, 32, 32)).toEqual([255, 255, 255]);
    expect(px(shadowed, S, 32, 32)).toEqual([64, 64, 64]);
  });

  it('skips geoms with alpha 0 (MuJoCo hides them)', () => {
    const img = render1(baseScene([{ ...geom('sphere', [0, 0, 0], [0.5, 0, 0], [1, 1, 1]), rgba: [1, 1, 1, 0] }]));
    expect(luma(px(img, S, 32, 32))).toBe(0);
  });

  it('nearer geoms occlude farther ones', () => {
    const img = render1(baseScene([geom('sphere', [0, 1, 0], [0.6, 0, 0], [0, 0, 1]), geom('box', [0, -0.5, 0], [0.2, 0.2, 0.2], [1, 0, 0])]));
    expect(px(img, S, 32, 32)).toEqual([255, 0, 0]);
    expect(px(img, S, 32, 21)[2]).toBeGreaterThan(100); // the sphere shows above the small box
  });

  it('renders non-square sizes and the whole 32..128 range', () => {
    for (const [w, h] of [[32, 32], [128, 128], [48, 33]]) {
      const img = render1(baseScene([geom('sphere', [0, 0, 0], [0.5, 0, 0], [1, 1, 1])]), { width: w, height: h });
      expect(img.length).toBe(w * h * 3);
      expect(luma(px(img, w, w >> 1, h >> 1))).toBeGreaterThan(700);
    }
  });
});

describe('renderScenesCpu: textures', () => {
  const bgScene = (family: string, extra: object = {}) =>
    baseScene([], { background: { family, colorA: [1, 1, 0], colorB: [0, 0, 1], scale: 5, params: [0.3, 0.1, 0.2, 0.5, 0.5, 3], ...extra } });

  it('every procedural family but solid varies across the image, and all differ from each other', () => {
    const fams = TEXTURE_FAMILY_NAMES.filter((f) => f !== 'image');
    const imgs = renderScenesCpu(fams.map((f) => bgScene(f)), size);
    imgs.forEach((img, k) => {
      const distinct = new Set<number>();
      for (let i = 0; i < img.length; i += 3) distinct.add((img[i] << 16) | (img[i + 1] << 8) | img[i + 2]);
      if (fams[k] === 'solid') expect(distinct.size).toBe(1);
      else expect(distinct.size, fams[k]).toBeGreaterThan(1);
    });
    for (let a = 0; a < imgs.length; a++) {
      for (let b = a + 1; b < imgs.length; b++) expect(Buffer.compare(imgs[a], imgs[b]), `${fams[a]} vs ${fams[b]}`).not.toBe(0);
    }
  });

  it('parameters matter: angle, scale, seed and colours change the pattern', () => {
    const ref = render1(bgScene('noise'));
    expect(Buffer.compare(ref, render1(bgScene('noise', { params: [0.3, 0.1, 0.2, 0.5, 0.5, 4] })))).not.toBe(0);
    expect(Buffer.compare(ref, render1(bgScene('noise', { scale: 6 })))).not.toBe(0);
    expect(Buffer.compare(ref, render1(bgScene('noise', { params: [1.3, 0.1, 0.2, 0.5, 0.5, 3] })))).not.toBe(0);
    expect(Buffer.compare(ref, render1(bgScene('noise', { colorA: [1, 0, 0] })))).not.toBe(0);
  });

  it('checker alternates colorA / colorB exactly', () => {
    const img = render1(baseScene([], { background: { family: 'checker', colorA: [1, 0, 0], colorB: [0, 1, 0], scale: 2, params: [] } }));
    // scale 2 over the image height: 32-pixel squares; the top-left square is colorA (t = 0)
    expect(px(img, S, 5, 5)).toEqual([255, 0, 0]);
    expect(px(img, S, 40, 5)).toEqual([0, 255, 0]);
    expect(px(img, S, 40, 40)).toEqual([255, 0, 0]);
  });

  it("'image' textures sample texels (nearest), x right and rows downwards, stretched over the screen", () => {
    const data = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 53) % 256);
    const img = render1(baseScene([], { background: { family: 'image', colorA: [0, 0, 0], colorB: [1, 1, 1], scale: 1, params: [], image: { width: 4, height: 4, data } } }));
    for (const [tx, ty] of [[0, 0], [1, 0], [0, 1], [3, 2]]) {
      const k = 3 * (ty * 4 + tx);
      expect(px(img, S, tx * 16 + 8, ty * 16 + 8)).toEqual([data[k], data[k + 1], data[k + 2]]);
    }
  });

  it('textures geoms in their local frame (a checker floor shows both colours, modulated by the geom colour)', () => {
    const sc = baseScene([geom('plane', [0, 0, 0], [0, 0, 0.1], [1, 0.5, 1], { texture: 0 })], {
      camera: { pos: [0, 0, 3], target: [0, 0, 0], up: [0, 1, 0], fovy: 40 },
      light: { dir: [0, 0, -1], ambient: 1, diffuse: 0 },
      textures: [{ family: 'checker', colorA: [1, 1, 1], colorB: [0.2, 0.2, 0.2], scale: 2, params: [] }],
    });
    const img = render1(sc, { ...size, samples: 1 });
    const seen = new Set<string>();
    for (let i = 0; i < img.length; i += 3) seen.add(`${img[i]},${img[i + 1]},${img[i + 2]}`);
    expect([...seen].sort()).toEqual(['255,128,255', '51,26,51']);
    // 4 rays per pixel (the default): pixels across a square's edge mix the two colours in quarters, in linear colour
    const aa = render1(sc);
    const byte = (v: number) => Math.floor(Math.min(Math.max(v, 0), 1) * 255 + 0.5);
    const mixes = new Set([0, 1, 2, 3, 4].map((k) => [1, 0.5, 1].map((c) => byte((k * c + (4 - k) * 0.2 * c) / 4)).join(',')));
    const seenAA = new Set<string>();
    for (let i = 0; i < aa.length; i += 3) seenAA.add(`${aa[i]},${aa[i + 1]},${aa[i + 2]}`);
    for (const c of seenAA) expect(mixes.has(c), `colour ${c} is not a quarter mix`).toBe(true);
    expect(seenAA.size).toBeGreaterThan(2);
    expect(() => render1(sc, { ...size, samples: 2 as never })).toThrow(/samples must be 1 or 4 rays per pixel, got 2/);
  });

  it('4 rays per pixel put a sub-pixel edge into the pixel it crosses: coverage in quarters', () => {
    // a white box filling the image left of world x = e, seen straight down with ambient light only
    const S2 = 32;
    const at = (e: number) => {
      const sc = baseScene([geom('box', [e - 5, 0, 0], [5, 5, 0.1], [1, 1, 1])], {
        camera: { pos: [0, 0, 3], target: [0, 0, 0], up: [0, 1, 0], fovy: 40 },
        light: { dir: [0, 0, -1], ambient: 1, diffuse: 0 },
      });
      sc.background = { family: 'solid', colorA: [0, 0, 0], colorB: [0, 0, 0], scale: 1, params: [] };
      return renderScenesCpu([sc], { width: S2, height: S2 })[0];
    };
    // one pixel spans 2 * 2.9 * tan(20 deg) / 32 = 0.066 world units at the box top (2.9 below the camera)
    const w = (2 * 2.9 * Math.tan((20 * Math.PI) / 180)) / S2;
    const row = 5;
    // pixel 16 spans world x in [0, w]; its rays sit at x = w/8, 3w/8, 5w/8, 7w/8: an edge at k w / 4 covers k of them
    const values = [0, 1, 2, 3].map((k) => at((k * w) / 4)[(row * S2 + 16) * 3]);
    expect(values).toEqual([0, 64, 128, 191]);
    // one ray per pixel sees only the centre: nothing until the edge passes w / 2
    const centre = (e: number) => renderScenesCpu([{ ...baseScene([geom('box', [e - 5, 0, 0], [5, 5, 0.1], [1, 1, 1])], { camera: { pos: [0, 0, 3], target: [0, 0, 0], up: [0, 1, 0], fovy: 40 }, light: { dir: [0, 0, -1], ambient: 1, diffuse: 0 } }) }], { width: S2, height: S2, samples: 1 })[0][(row * S2 + 16) * 3];
    expect([centre(0.25 * w), centre(0.45 * w), centre(0.55 * w)]).toEqual([0, 0, 255]);
  });
});

describe('renderScenesCpu: determinism and backends', () => {
  it('gives identical images for the same scenes', () => {
    const scenes = [randomScene(1), randomScene(2)];
    const a = renderScenesCpu(scenes, size);
    const b = renderScenesCpu([randomScene(1), randomScene(2)], size);
    expect(a).toEqual(b);
  });

  it('the CPU device runs the registered reference kernel: renderScenes equals renderScenesCpu', async () => {
    const dev = new CpuDevice();
    const scenes = [randomScene(3), randomScene(4), randomScene(5)];
    const t = renderScenes(dev, scenes, { width: 40, height: 33 });
    expect(t.shape).toEqual([3, 33, 40, 3]);
    expect(t.dtype).toBe('u8');
    const got = (await t.toArray()) as Uint8Array;
    const want = renderScenesCpu(scenes, { width: 40, height: 33 });
    expect(got).toEqual(Uint8Array.from(want.flatMap((w) => [...w])));
    t.dispose();
    expect(dev.stats().liveBuffers).toBe(0);
  });
});

describe('renderScenes: errors', () => {
  const sc = baseScene([geom('sphere', [0, 0, 0], [0.5, 0, 0], [1, 1, 1])]);
  it('rejects image sizes outside 32..128', () => {
    expect(() => renderScenesCpu([sc], { width: 31, height: 64 })).toThrow(/renderScenesCpu: image width must be an integer in 32..128, got 31/);
    expect(() => renderScenesCpu([sc], { width: 64, height: 129 })).toThrow(/image height must be an integer in 32..128, got 129/);
    expect(() => renderScenes(new CpuDevice(), [sc], { width: 64.5, height: 64 })).toThrow(/renderScenes: image width must be an integer in 32..128, got 64.5/);
  });
  it('rejects unknown texture families, naming the valid ones', () => {
    const bad = { ...sc, background: { ...sc.background, family: 'plaid' } };
    expect(() => renderScenesCpu([bad])).toThrow(/scene 0 background has unknown texture family 'plaid'; valid families: solid, checker, stripes, gradient, dots, grid, noise, rings, waves, cells, marble, zigzag, image/);
    const bad2 = { ...sc, textures: [{ ...sc.background, family: 'toString' }] };
    expect(() => renderScenesCpu([sc, bad2])).toThrow(/scene 1 texture 0 has unknown texture family 'toString'/);
  });
  it('rejects unknown geom types, bad texture indices, missing image data and an empty batch', () => {
    expect(() => renderScenesCpu([baseScene([{ ...geom('sphere', [0, 0, 0], [1, 0, 0], [1, 1, 1]), type: 'torus' as any }])])).toThrow(
      /scene 0 geom 0 has unknown type 'torus'; valid types: plane, sphere, capsule, ellipsoid, cylinder, box/,
    );
    expect(() => renderScenesCpu([baseScene([geom('sphere', [0, 0, 0], [1, 0, 0], [1, 1, 1], { texture: 2 })])])).toThrow(/geom 0.texture must be -1 or an index into the scene's 0 textures, got 2/);
    expect(() => renderScenesCpu([{ ...sc, background: { ...sc.background, family: 'image' } }])).toThrow(/background has family 'image' but no image/);
    expect(() => renderScenesCpu([])).toThrow(/scenes must be a non-empty array/);
    expect(() => renderScenesCpu([baseScene([geom('ellipsoid', [0, 0, 0], [1, 0, 1], [1, 1, 1])])])).toThrow(
      /scene 0 geom 0 \(ellipsoid\) has a bad size \[1, 0, 1\]: all three radii must be positive/,
    );
    expect(() => renderScenesCpu([{ ...sc, camera: { ...sc.camera, up: [0, 1, 0] } }])).toThrow(/camera right/);
  });
});
