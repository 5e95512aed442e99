/**
 * The scene a task hands to the renderer: what MuJoCo reports after a step (geom type, pose, size, colour),
 * plus the camera, the light and the visual domain (textures). Physics code (tasks/) produces it, the renderer
 * (render/) draws it; domain randomisation (dr/) rewrites colours, textures, light and camera.
 *
 * Sizes follow MuJoCo's geom_size: plane [halfX, halfY (0 = infinite), gridSpacing], sphere [r], capsule
 * [r, halfLength], ellipsoid [rx, ry, rz], cylinder [r, halfLength], box [hx, hy, hz]. Capsules and cylinders
 * lie along the geom's local z axis.
 */
export type GeomType = 'plane' | 'sphere' | 'capsule' | 'ellipsoid' | 'cylinder' | 'box';

/** MuJoCo mjtGeom codes of the types above (mjGEOM_PLANE = 0, ..., mjGEOM_BOX = 6; 1 is the height field). */
export const MJ_GEOM_CODES: Readonly<Record<number, GeomType>> = {
  0: 'plane',
  2: 'sphere',
  3: 'capsule',
  4: 'ellipsoid',
  5: 'cylinder',
  6: 'box',
};

export type Vec3 = [number, number, number];

export interface SceneGeom {
  type: GeomType;
  /** World position of the geom centre (MuJoCo geom_xpos). */
  pos: Vec3;
  /** World orientation, 3x3 row-major (MuJoCo geom_xmat): columns are the geom's local axes in world frame. */
  mat: number[];
  size: Vec3;
  /** Base colour in [0, 1]. */
  rgba: [number, number, number, number];
  /** Index into Scene.textures, or -1 for a plain colour. */
  texture: number;
  /**
   * Optional, for domain randomisation (dr/): 'floor' geoms get the domain's floor texture, 'object' geoms a
   * jittered colour, 'fixed' geoms are left alone (e.g. a goal marker whose colour is part of the task).
   * Default: 'floor' for planes, 'object' otherwise. Geoms with rgba alpha 0 are not drawn.
   */
  drRole?: 'floor' | 'object' | 'fixed';
}

export interface SceneCamera {
  pos: Vec3;
  target: Vec3;
  up: Vec3;
  /** Vertical field of view in degrees. */
  fovy: number;
}

export interface SceneLight {
  /** Direction the light travels (towards the scene), world frame. */
  dir: Vec3;
  ambient: number;
  diffuse: number;
  /** Optional: hard shadows from this light (default true). */
  shadows?: boolean;
}

/**
 * A texture: a procedural family with parameters, evaluated in the shader and in the CPU reference alike, or
 * an RGB image (held-out backgrounds loaded from PNG files).
 */
export interface Texture {
  /** Procedural family name (the renderer lists the valid ones) or 'image'. */
  family: string;
  colorA: Vec3;
  colorB: Vec3;
  /** Spatial frequency / tiling scale. */
  scale: number;
  /** Family-specific parameters (angle, duty cycle, noise seed...). */
  params: number[];
  /** For family 'image': width, height and RGB bytes (row-major, 3 per pixel). */
  image?: { width: number; height: number; data: Uint8Array };
}

export interface Scene {
  geoms: SceneGeom[];
  camera: SceneCamera;
  light: SceneLight;
  /** Drawn where a camera ray hits no geom (screen-space). */
  background: Texture;
  textures: Texture[];
}
