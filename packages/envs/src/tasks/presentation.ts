/**
 * Scene presentation a task asks for beyond what MuJoCo reports (TaskSpec.cameraTrackBody, TaskSpec.drRoles):
 * applied to the Scene after SceneBuilder (physics/scene-builder.ts) has built it. Touches nothing the
 * physics reads.
 */
import type { Scene, SceneGeom } from '../scene.js';
import { MJ_GEOM_CODES } from '../scene.js';
import type { Sim } from '../physics/mujoco.js';
import type { TaskSpec } from './task.js';

/**
 * Index of geom `id` in SceneBuilder's geom list, or -1 if it is not drawn. SceneBuilder lists the model's
 * geoms in id order, keeping those of a drawable type with group < 3 and alpha > 0 (then the visible sites,
 * then the task's extras); this mirrors that filter.
 */
export function sceneGeomIndex(sim: Sim, id: number): number {
  const m = sim.model as any;
  const type: Int32Array = m.geom_type;
  const group: Int32Array = m.geom_group;
  const rgba: Float32Array = m.geom_rgba;
  const drawn = (i: number) => MJ_GEOM_CODES[type[i]] !== undefined && group[i] < 3 && rgba[4 * i + 3] > 0;
  if (!drawn(id)) return -1;
  let k = 0;
  for (let i = 0; i < id; i++) if (drawn(i)) k++;
  return k;
}

export class ScenePresenter {
  private readonly trackBody: number;
  private readonly roles: Array<[number, NonNullable<SceneGeom['drRole']>]> = [];

  constructor(
    private readonly sim: Sim,
    spec: TaskSpec,
  ) {
    this.trackBody = spec.cameraTrackBody ? sim.id('body', spec.cameraTrackBody) : -1;
    for (const [name, role] of Object.entries(spec.drRoles ?? {})) {
      const k = sceneGeomIndex(sim, sim.id('geom', name));
      if (k < 0) throw new Error(`${spec.name}: drRoles names geom '${name}', which is not drawn`);
      this.roles.push([k, role]);
    }
  }

  /** Applies the camera tracking and the DR roles to a freshly built scene (in place) and returns it. */
  apply(scene: Scene): Scene {
    if (this.trackBody >= 0) {
      const dx = this.sim.v.xpos[3 * this.trackBody];
      scene.camera.pos[0] += dx;
      scene.camera.target[0] += dx;
    }
    for (const [k, role] of this.roles) scene.geoms[k].drRole = role;
    return scene;
  }
}
