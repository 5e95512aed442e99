/**
 * Builds the renderer's Scene (scene.ts) from a Sim: every visible geom (MuJoCo group < 3, alpha > 0) and
 * the task's visible sites, with world poses from geom_xpos/geom_xmat (site_xpos/site_xmat), sizes and
 * colours from the model, the task's MJCF camera (MuJoCo computes tracking cameras), a default light and the
 * task's default textures.
 */
import { MJ_GEOM_CODES, type Scene, type SceneGeom, type SceneLight, type Texture, type Vec3 } from '../scene.js';
import type { Sim } from './mujoco.js';

export interface TaskVisuals {
  /** Name of the MJCF camera the image is taken from. */
  camera: string;
  /** Default textures (Scene.textures). */
  textures: Texture[];
  /** Geom name -> index into textures. */
  geomTextures?: Record<string, number>;
  /** Sites drawn as geoms (e.g. a target marker). */
  visibleSites?: string[];
  background: Texture;
  light?: SceneLight;
}

export const DEFAULT_LIGHT: SceneLight = { dir: normalize([0.3, 0.4, -1]), ambient: 0.35, diffuse: 0.75 };

/** Default looks shared by the tasks: a blue grid floor and a dm_control-like gradient sky. */
export const FLOOR_TEXTURE: Texture = {
  family: 'checker',
  colorA: [0.1, 0.2, 0.3],
  colorB: [0.2, 0.3, 0.4],
  scale: 4,
  params: [],
};
export const SKY_TEXTURE: Texture = {
  family: 'gradient',
  colorA: [0.4, 0.6, 0.8],
  colorB: [0.05, 0.1, 0.2],
  scale: 1,
  params: [Math.PI / 2],
};

interface Item {
  site: boolean;
  id: number;
  type: SceneGeom['type'];
  texture: number;
}

export class SceneBuilder {
  private readonly items: Item[] = [];
  private readonly camId: number;
  private readonly fovy: number;

  constructor(
    private readonly sim: Sim,
    private readonly visuals: TaskVisuals,
  ) {
    const m = sim.model as any;
    const texOf = new Map<number, number>();
    for (const [name, t] of Object.entries(visuals.geomTextures ?? {})) texOf.set(sim.id('geom', name), t);
    const geomType: Int32Array = m.geom_type;
    const geomGroup: Int32Array = m.geom_group;
    const rgba: Float32Array = m.geom_rgba;
    for (let i = 0; i < m.ngeom; i++) {
      const type = MJ_GEOM_CODES[geomType[i]];
      if (!type || geomGroup[i] >= 3 || rgba[4 * i + 3] <= 0) continue;
      this.items.push({ site: false, id: i, type, texture: texOf.get(i) ?? -1 });
    }
    const siteType: Int32Array = m.site_type;
    for (const name of visuals.visibleSites ?? []) {
      const i = sim.id('site', name);
      const type = MJ_GEOM_CODES[siteType[i]];
      if (type) this.items.push({ site: true, id: i, type, texture: -1 });
    }
    this.camId = sim.id('camera', visuals.camera);
    this.fovy = m.cam_fovy[this.camId];
  }

  /** The current scene (the caller has run forward kinematics: after reset/step this holds). */
  build(): Scene {
    const v = this.sim.v;
    const geoms: SceneGeom[] = this.items.map((it) => {
      const xpos = it.site ? v.site_xpos : v.geom_xpos;
      const xmat = it.site ? v.site_xmat : v.geom_xmat;
      const size = it.site ? v.site_size : v.geom_size;
      const rgba = it.site ? v.site_rgba : v.geom_rgba;
      const i = it.id;
      return {
        type: it.type,
        pos: [xpos[3 * i], xpos[3 * i + 1], xpos[3 * i + 2]],
        mat: Array.from(xmat.subarray(9 * i, 9 * i + 9)),
        size: [size[3 * i], size[3 * i + 1], size[3 * i + 2]],
        rgba: [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]],
        texture: it.texture,
      };
    });
    const c = this.camId;
    const p = v.cam_xpos;
    const r = v.cam_xmat;
    const pos: Vec3 = [p[3 * c], p[3 * c + 1], p[3 * c + 2]];
    // MuJoCo cameras look along their local -z with local +y up; xmat columns are the local axes.
    const fwd: Vec3 = [-r[9 * c + 2], -r[9 * c + 5], -r[9 * c + 8]];
    const up: Vec3 = [r[9 * c + 1], r[9 * c + 4], r[9 * c + 7]];
    return {
      geoms,
      camera: { pos, target: [pos[0] + fwd[0], pos[1] + fwd[1], pos[2] + fwd[2]], up, fovy: this.fovy },
      light: cloneLight(this.visuals.light ?? DEFAULT_LIGHT),
      background: cloneTexture(this.visuals.background),
      textures: this.visuals.textures.map(cloneTexture),
    };
  }
}

function normalize(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
}

function cloneLight(l: SceneLight): SceneLight {
  return { dir: [...l.dir] as Vec3, ambient: l.ambient, diffuse: l.diffuse };
}

function cloneTexture(t: Texture): Texture {
  return { ...t, colorA: [...t.colorA] as Vec3, colorB: [...t.colorB] as Vec3, params: [...t.params] };
}
