/**
 * Loading mujoco-js (MuJoCo 3.3.8 compiled to WebAssembly) once per thread, and `Sim`: one compiled MJCF
 * model with its data, cached typed-array views and the few MuJoCo calls the tasks need.
 *
 * mujoco-js getters such as `data.qpos` build a new Float64Array view on every access (~0.4 us each), and
 * every view detaches when the wasm memory grows (creating another model or data may grow it). `Sim` caches
 * the views and rebuilds them whenever they have been detached.
 */
import * as mujocoJs from 'mujoco-js';
import type { MainModule, MjData, MjModel } from 'mujoco-js';

export type Mujoco = MainModule;
/** mujoco-js's default export: the Emscripten factory that instantiates the wasm module. */
export type MujocoFactory = (moduleArg?: Record<string, unknown>) => Promise<Mujoco>;

/**
 * Where loadPhysics gets mujoco-js from. In Node, and in a bundle that includes mujoco-js, nothing is needed.
 * Browser bundles leave mujoco-js out (package.json's `browser` field: its Emscripten glue has an
 * `import('module')` in its Node-only branch, which esbuild cannot resolve for a browser, and it is 11 MB with
 * the wasm inlined), so a page passes either `moduleUrl`, the URL of mujoco-js's dist/mujoco_wasm.js as served
 * (an ES module the browser imports by itself; that Node branch never runs there), or `factory`, mujoco-js's
 * default export where the page's bundler handles it (Vite does).
 */
export interface PhysicsSource {
  moduleUrl?: string | URL;
  factory?: MujocoFactory;
}

let loading: Promise<Mujoco> | null = null;
let loaded: Mujoco | null = null;
/** The last lines MuJoCo printed (warnings such as "Nan, Inf or huge value in QACC"). */
const recentMessages: string[] = [];

function remember(line: string): void {
  recentMessages.push(line);
  if (recentMessages.length > 8) recentMessages.shift();
}

/** The latest message MuJoCo printed in this thread (its warnings go to stdout, which we capture). */
export function lastMujocoMessage(): string | undefined {
  return recentMessages[recentMessages.length - 1];
}

async function mujocoFactory(src: PhysicsSource): Promise<MujocoFactory> {
  if (src.factory) return src.factory;
  if (src.moduleUrl !== undefined) {
    const url = String(src.moduleUrl);
    const m = (await import(/* @vite-ignore */ /* webpackIgnore: true */ url)) as { default?: unknown };
    if (typeof m.default !== 'function') throw new Error(`loadPhysics: ${url} has no default export function (expected mujoco-js's dist/mujoco_wasm.js)`);
    return m.default as MujocoFactory;
  }
  const bundled = (mujocoJs as { default?: unknown }).default;
  if (typeof bundled === 'function') return bundled as MujocoFactory;
  throw new Error(
    'loadPhysics: mujoco-js is not in this bundle (browser builds of @twist/envs leave it out): call ' +
      "`await loadPhysics({ moduleUrl })` first with the URL of mujoco-js's dist/mujoco_wasm.js as served, or pass `{ factory }` (mujoco-js's default export)",
  );
}

/**
 * Load the MuJoCo wasm module (once per thread, ~0.2-0.6 s the first time) and mount a scratch file system.
 * MuJoCo's own printing (warnings) is captured instead of written to the console; see lastMujocoMessage().
 * `source` says where mujoco-js comes from (see PhysicsSource; needed in browsers); the first call loads, later
 * calls (makeEnv's included) return the same module.
 */
export function loadPhysics(source: PhysicsSource = {}): Promise<Mujoco> {
  if (!loading) {
    loading = mujocoFactory(source).then((loadMujoco) => loadMujoco({
      print: (s: string) => remember(String(s)),
      printErr: (s: string) => remember(String(s)),
    }).then((mj) => {
      const fs = (mj as any).FS;
      try {
        fs.mkdir('/twist');
      } catch {
        /* already there */
      }
      fs.mount((mj as any).MEMFS, { root: '.' }, '/twist');
      loaded = mj;
      return mj;
    }));
    loading.catch(() => (loading = null)); // a failed load (a wrong URL) can be retried
  }
  return loading;
}

/** The loaded module, or a clear error if `await loadPhysics()` has not completed. */
export function physicsModule(): Mujoco {
  if (!loaded) {
    throw new Error('MuJoCo is not loaded yet: `await loadPhysics()` first (or create envs with the async makeEnv)');
  }
  return loaded;
}

let fileCounter = 0;

/** MuJoCo object types used by name lookups. */
export type ObjType = 'body' | 'joint' | 'geom' | 'site' | 'camera' | 'sensor' | 'actuator';

interface Views {
  qpos: Float64Array;
  qvel: Float64Array;
  qacc: Float64Array;
  ctrl: Float64Array;
  xpos: Float64Array;
  xipos: Float64Array;
  xmat: Float64Array;
  geom_xpos: Float64Array;
  geom_xmat: Float64Array;
  site_xpos: Float64Array;
  site_xmat: Float64Array;
  cam_xpos: Float64Array;
  cam_xmat: Float64Array;
  sensordata: Float64Array;
  mocap_pos: Float64Array;
  mocap_quat: Float64Array;
  subtree_com: Float64Array;
  // model
  geom_friction: Float64Array;
  geom_pos: Float64Array;
  geom_size: Float64Array;
  geom_rgba: Float32Array;
  site_pos: Float64Array;
  site_size: Float64Array;
  site_rgba: Float32Array;
}

const VIEW_NAMES_DATA = [
  'qpos',
  'qvel',
  'qacc',
  'ctrl',
  'xpos',
  'xipos',
  'xmat',
  'geom_xpos',
  'geom_xmat',
  'site_xpos',
  'site_xmat',
  'cam_xpos',
  'cam_xmat',
  'sensordata',
  'mocap_pos',
  'mocap_quat',
  'subtree_com',
] as const;
const VIEW_NAMES_MODEL = ['geom_friction', 'geom_pos', 'geom_size', 'geom_rgba', 'site_pos', 'site_size', 'site_rgba'] as const;

/** mjMAXVAL: MuJoCo calls a state value "huge" (and the simulation unstable) above this. */
export const MJ_MAXVAL = 1e10;

export class Sim {
  readonly mj: Mujoco;
  readonly model: MjModel;
  readonly data: MjData;
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** Physics timestep (s). */
  readonly timestep: number;
  private views: Views | null = null;
  private deleted = false;

  constructor(mj: Mujoco, xml: string, label = 'model') {
    this.mj = mj;
    const path = `/twist/${label}-${fileCounter++}.xml`;
    const fs = (mj as any).FS;
    fs.writeFile(path, xml);
    try {
      this.model = mj.MjModel.loadFromXML(path);
    } catch (e) {
      throw new Error(`MuJoCo could not compile the ${label} model: ${errorText(mj, e)}`);
    } finally {
      fs.unlink(path);
    }
    if (!this.model) throw new Error(`MuJoCo could not compile the ${label} model`);
    this.data = new mj.MjData(this.model);
    this.nq = this.model.nq;
    this.nv = this.model.nv;
    this.nu = this.model.nu;
    this.timestep = this.model.opt.timestep;
  }

  /** Cached live views of data and model arrays (rebuilt when the wasm memory has grown). */
  get v(): Views {
    const v = this.views;
    if (v && v.qpos.buffer.byteLength !== 0) return v;
    if (this.deleted) throw new Error('Sim: used after close()');
    const out: Record<string, unknown> = {};
    for (const k of VIEW_NAMES_DATA) out[k] = (this.data as any)[k];
    for (const k of VIEW_NAMES_MODEL) out[k] = (this.model as any)[k];
    this.views = out as unknown as Views;
    return this.views;
  }

  /** Model id of a named object; throws (naming the model's objects) if absent. */
  id(type: ObjType, name: string): number {
    const code = objCode(this.mj, type);
    const i = this.mj.mj_name2id(this.model, code as any, name);
    if (i < 0) throw new Error(`Sim: no ${type} named '${name}' in the model`);
    return i;
  }

  name(type: ObjType, id: number): string {
    return this.mj.mj_id2name(this.model, objCode(this.mj, type) as any, id) ?? '';
  }

  /** Address of a named sensor's first value in sensordata. */
  sensorAdr(name: string): number {
    return (this.model as any).sensor_adr[this.id('sensor', name)];
  }

  /** qpos address of a named joint. */
  qposAdr(joint: string): number {
    return (this.model as any).jnt_qposadr[this.id('joint', joint)];
  }

  /** qvel (dof) address of a named joint. */
  dofAdr(joint: string): number {
    return (this.model as any).jnt_dofadr[this.id('joint', joint)];
  }

  reset(): void {
    this.mj.mj_resetData(this.model, this.data);
  }

  step(n = 1): void {
    for (let i = 0; i < n; i++) this.mj.mj_step(this.model, this.data);
  }

  /**
   * One physics step as dm_control's legacy step does it: mj_step2 (actuation, acceleration, constraint
   * forces, integration, from the stages computed last time) then mj_step1 (position and velocity stages,
   * their sensors, cameras) for the new state. Costs one forward pass like mj_step, but leaves positions,
   * velocities and pos/vel sensors up to date without a separate mj_forward; acceleration-stage values
   * (contacts forces, touch sensors, qacc) are those of the step just integrated. Not for RK4 (mj_step2
   * integrates with Euler); requires the position/velocity stages to be current (mj_forward after reset).
   */
  stepSplit(): void {
    this.mj.mj_step2(this.model, this.data);
    this.mj.mj_step1(this.model, this.data);
  }

  /** Whether the model integrates with RK4 (then stepSplit is not equivalent; use step + forward). */
  get rk4(): boolean {
    return this.model.opt.integrator === (this.mj as any).mjtIntegrator.mjINT_RK4.value;
  }

  forward(): void {
    this.mj.mj_forward(this.model, this.data);
  }

  get time(): number {
    return this.data.time;
  }

  set time(t: number) {
    this.data.time = t;
  }

  get ncon(): number {
    return this.data.ncon;
  }

  /**
   * True when qpos, qvel or qacc holds a NaN, an infinity or a value above mjMAXVAL: what MuJoCo's own
   * checks (mj_checkPos/Vel/Acc, which raise the BADQPOS/BADQVEL/BADQACC warnings) look for. The models
   * disable MuJoCo's auto-reset so that a blow-up stays visible here instead of silently restarting.
   */
  unstable(): boolean {
    const v = this.v;
    return !allSane(v.qpos) || !allSane(v.qvel) || !allSane(v.qacc);
  }

  close(): void {
    if (this.deleted) return;
    this.deleted = true;
    this.views = null;
    this.data.delete();
    this.model.delete();
  }
}

function allSane(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (!(x > -MJ_MAXVAL && x < MJ_MAXVAL)) return false;
  }
  return true;
}

function objCode(mj: Mujoco, type: ObjType): number {
  return objEnum(mj, type).value as number;
}

function objEnum(mj: Mujoco, type: ObjType): any {
  const t = (mj as any).mjtObj;
  switch (type) {
    case 'body':
      return t.mjOBJ_BODY;
    case 'joint':
      return t.mjOBJ_JOINT;
    case 'geom':
      return t.mjOBJ_GEOM;
    case 'site':
      return t.mjOBJ_SITE;
    case 'camera':
      return t.mjOBJ_CAMERA;
    case 'sensor':
      return t.mjOBJ_SENSOR;
    case 'actuator':
      return t.mjOBJ_ACTUATOR;
  }
}

function errorText(mj: Mujoco, e: unknown): string {
  if (typeof e === 'number') {
    const get = (mj as any).getExceptionMessage;
    if (typeof get === 'function') {
      try {
        return String(get(e));
      } catch {
        /* fall through */
      }
    }
  }
  const last = lastMujocoMessage();
  return `${e instanceof Error ? e.message : String(e)}${last ? ` (${last})` : ''}`;
}
