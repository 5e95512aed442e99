/**
 * A small synthetic scene with one geom of every type on a floor (MuJoCo frame: z up), for examples, the
 * README contact sheet and the renderer benchmark.
 */
import type { Scene, SceneGeom, Vec3 } from '../scene.js';

const I3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Row-major rotation matrix of angle (radians) about a unit axis. */
export function axisAngleMat(axis: Vec3, angle: number): number[] {
  const l = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / l);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return [t * x * x + c, t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c, t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c];
}

const geom = (type: SceneGeom['type'], pos: Vec3, size: Vec3, rgb: Vec3, mat = I3): SceneGeom => ({
  type,
  pos,
  mat: [...mat],
  size,
  rgba: [...rgb, 1],
  texture: -1,
});

/** The demo scene; `phase` (radians) turns the objects, for animations and benchmarks. */
export function demoScene(phase = 0): Scene {
  return {
    geoms: [
      { ...geom('plane', [0, 0, 0], [0, 0, 0.1], [0.8, 0.8, 0.8]), texture: 0 },
      geom('sphere', [-0.55, 0.1, 0.18], [0.18, 0, 0], [0.85, 0.2, 0.2]),
      geom('box', [0.0, 0.35, 0.15], [0.15, 0.12, 0.15], [0.2, 0.6, 0.9], axisAngleMat([0, 0, 1], 0.5 + phase)),
      geom('capsule', [0.55, 0.1, 0.12], [0.08, 0.15, 0], [0.95, 0.75, 0.2], axisAngleMat([1, 0, 0], Math.PI / 2 + phase)),
      geom('cylinder', [-0.25, -0.35, 0.1], [0.1, 0.1, 0], [0.3, 0.8, 0.35]),
      geom('ellipsoid', [0.3, -0.35, 0.12], [0.16, 0.09, 0.12], [0.7, 0.35, 0.85], axisAngleMat([0, 0, 1], -0.6 + phase)),
    ],
    camera: { pos: [0, -1.6, 1.0], target: [0, 0.05, 0.1], up: [0, 0, 1], fovy: 45 },
    light: { dir: [0.4, 0.5, -1], ambient: 0.3, diffuse: 0.7 },
    background: { family: 'gradient', colorA: [0.55, 0.7, 0.9], colorB: [0.2, 0.3, 0.5], scale: 1, params: [Math.PI / 2] },
    textures: [{ family: 'checker', colorA: [0.85, 0.85, 0.85], colorB: [0.55, 0.55, 0.6], scale: 4, params: [] }],
  };
}
