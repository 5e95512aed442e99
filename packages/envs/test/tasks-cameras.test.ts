/**
 * Task framing for 64x64 observations: what must stay in frame does (over the task's range of motion), the
 * tracking cameras follow the torso along x only, and block push's table and goal have their DR roles.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { Scene, Vec3 } from '../src/scene.js';
import { applyVisualDomain, sampleVisualDomain } from '../src/dr/domain.js';
import { createRng } from '../src/dr/rng.js';
import { makeEnvSync, type Env } from '../src/tasks/env.js';
import { loadPhysics } from '../src/physics/mujoco.js';
import { TASK_NAMES } from '../src/tasks/registry.js';
import { lookAtCamera, orbitCamera } from '../src/tasks/task.js';

/** Normalised image coordinates of a world point: (0, 0) the centre, +-1 the image edges (x right, y up). */
function project(scene: Scene, p: Vec3): [number, number] {
  const c = scene.camera;
  const f = norm(sub(c.target, c.pos));
  const r = norm(cross(f, c.up));
  const u = cross(r, f);
  const d = sub(p, c.pos);
  const t = Math.tan((c.fovy * Math.PI) / 360);
  const z = dot(d, f);
  expect(z).toBeGreaterThan(0);
  return [dot(d, r) / z / t, dot(d, u) / z / t];
}

const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: readonly number[], b: readonly number[]): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: readonly number[]): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** Sets named joints (qpos entries by index) and returns the scene. */
function sceneWith(env: Env, set: Record<number, number>): Scene {
  const { qpos } = env.physicsState();
  for (const [i, v] of Object.entries(set)) qpos[Number(i)] = v;
  env.setPhysicsState({ qpos });
  return env.scene();
}

/** Inside the image with `margin` (in normalised units) to spare for the DR camera jitter. */
function expectInFrame(scene: Scene, p: Vec3, margin: number, what: string): void {
  const [x, y] = project(scene, p);
  expect(Math.abs(x), `${what}: x ${x.toFixed(3)}`).toBeLessThan(1 - margin);
  expect(Math.abs(y), `${what}: y ${y.toFixed(3)}`).toBeLessThan(1 - margin);
}

describe('task cameras', () => {
  beforeAll(async () => {
    await loadPhysics();
  });

  test('lookAtCamera / orbitCamera: a right-handed frame looking at the target from the stated angles', () => {
    const xml = lookAtCamera('c', [1, -2, 3], [1, 0, 1], 40);
    const m = /pos="([^"]+)" xyaxes="([^"]+)" fovy="40"/.exec(xml)!;
    const ax = m[2].split(' ').map(Number);
    const x = ax.slice(0, 3);
    const y = ax.slice(3);
    const back = cross(x, y); // the camera looks along -z
    const want = norm([0, 2, -2]);
    back.forEach((v, i) => expect(-v).toBeCloseTo(want[i], 5));
    expect(x[2]).toBeCloseTo(0, 9); // no roll: the image's horizontal stays level
    const o = /pos="([^"]+)"/.exec(orbitCamera('o', { target: [0, 0, 1], span: 2, elevation: 30, azimuth: 90, fovy: 90 }))!;
    // distance = span / (2 tan 45deg) = 1, from +x (azimuth 90), 30 degrees up
    o[1].split(' ').map(Number).forEach((v, i) => expect(v).toBeCloseTo([Math.cos(Math.PI / 6), 0, 1.5][i], 5));
    expect(() => lookAtCamera('v', [0, 0, 2], [0, 0, 0], 45)).toThrow(/vertical/);
  });

  test('cartpole: fixed camera; the cart stays in frame over the whole rail, the pole tip over the middle', () => {
    for (const task of ['cartpole-balance', 'cartpole-swingup']) {
      const env = makeEnvSync(task);
      env.reset(0);
      const cam0 = env.scene().camera;
      for (const x of [-1.8, 0, 1.8]) {
        const s = sceneWith(env, { 0: x, 1: 0 });
        expect(s.camera).toEqual(cam0);
        expectInFrame(s, [x + 0.2 * Math.sign(x), 0, 1], 0, `cart at ${x} (its outer side)`);
        if (Math.abs(x) < 1) {
          expectInFrame(s, [x, 0, 2.05], 0.05, `pole up at ${x}`);
          expectInFrame(s, [x, 0, -0.05], 0.05, `pole down at ${x}`);
        }
      }
      env.close();
    }
  });

  test('ball in cup: the cup stays in frame over its whole range (slide limits +-0.3 m)', () => {
    const env = makeEnvSync('ball-in-cup-catch');
    env.reset(0);
    for (const cx of [-0.3, 0, 0.3]) {
      for (const cz of [-0.3, 0, 0.3]) {
        const s = sceneWith(env, { 0: cx, 1: cz });
        expectInFrame(s, [cx, 0, 0.6 + cz + 0.05], 0.05, `cup at ${cx}, ${cz}`);
      }
    }
    env.close();
  });

  test('finger: hub, spinner and the reach of the fingertip are in frame', () => {
    const env = makeEnvSync('finger-turn-easy');
    env.reset(0);
    const s = env.scene();
    expectInFrame(s, [-0.2, 0, 0.4], 0.2, 'finger hub');
    expectInFrame(s, [0.2, 0, 0.4], 0.2, 'spinner');
    for (const a of [0, Math.PI / 2, Math.PI, (3 * Math.PI) / 2]) {
      expectInFrame(s, [0.2 + 0.15 * Math.sin(a), 0, 0.4 + 0.15 * Math.cos(a)], 0.02, `spinner tip at ${a}`);
    }
    for (const [x, z] of [[-0.54, 0.4], [-0.2, 0.06], [-0.2, 0.74], [0.14, 0.4]] as const) {
      expectInFrame(s, [x, 0, z], 0, `fingertip reach ${x}, ${z}`);
    }
    env.close();
  });

  test('block push: the spawn square, the peg start and the middle of the workspace are in frame; table floor, goal fixed', () => {
    const env = makeEnvSync('block-push');
    env.reset(0);
    const s = env.scene();
    for (const x of [-0.15, 0.15]) for (const y of [-0.15, 0.15]) expectInFrame(s, [x, y, 0.02], 0.25, `spawn corner ${x}, ${y}`);
    expectInFrame(s, [0, -0.22, 0.09], 0.2, 'peg start (top)');
    for (const x of [-0.25, 0.25]) for (const y of [-0.25, 0.25]) expectInFrame(s, [x, y, 0], 0, `table corner ${x}, ${y}`);
    const table = s.geoms.filter((g) => g.type === 'box' && Math.abs(g.size[0] - 0.4) < 1e-9);
    expect(table).toHaveLength(1);
    expect(table[0].drRole).toBe('floor');
    const goal = s.geoms.filter((g) => g.type === 'cylinder' && Math.abs(g.size[0] - 0.03) < 1e-9);
    expect(goal).toHaveLength(1);
    expect(goal[0].drRole).toBe('fixed');
    expect(s.geoms.filter((g) => g.drRole !== undefined)).toHaveLength(2);
    const d = applyVisualDomain(s, sampleVisualDomain(createRng(3), 'heldout'));
    const k = s.geoms.indexOf(table[0]);
    expect(d.geoms[k].texture).toBe(s.textures.length); // the domain's floor texture
    expect(d.geoms[s.geoms.indexOf(goal[0])].rgba).toEqual(goal[0].rgba);
    env.close();
  });

  test.each([
    ['cheetah-run', 0],
    ['walker-walk', 1],
    ['hopper-stand', 0],
  ] as const)('%s: the camera follows the torso along x only (qpos[%i] = rootx)', (task, rootx) => {
    const env = makeEnvSync(task);
    env.reset(0);
    const a = sceneWith(env, { [rootx]: 0 });
    const b = sceneWith(env, { [rootx]: 7.5 });
    expect(b.camera.pos[0] - a.camera.pos[0]).toBeCloseTo(7.5, 9);
    expect(b.camera.target[0] - a.camera.target[0]).toBeCloseTo(7.5, 9);
    for (const i of [1, 2]) {
      expect(b.camera.pos[i]).toBeCloseTo(a.camera.pos[i], 12);
      expect(b.camera.target[i]).toBeCloseTo(a.camera.target[i], 12);
    }
    // ground under the torso and the standing height (walker 1.65 m, hopper 1.25 m, cheetah 1 m) in frame
    const top = { 'cheetah-run': 1, 'walker-walk': 1.65, 'hopper-stand': 1.25 }[task];
    expectInFrame(b, [7.5, 0, 0], 0.05, 'ground below the torso');
    expectInFrame(b, [7.5, 0, top], 0.05, 'standing height');
    env.close();
  });

  test('every task: the camera is where a random-action episode happens (torso / objects in frame)', () => {
    for (const task of TASK_NAMES) {
      const env = makeEnvSync(task);
      env.reset(1);
      let inside = 0;
      let total = 0;
      for (let t = 0; t < 100; t++) {
        const a = new Float32Array(env.actionSize).map((_, i) => Math.sin(0.7 * t + 2.1 * i));
        if (env.step(a).done) break;
        const s = env.scene();
        for (const g of s.geoms) {
          if (g.type === 'plane' || g.drRole) continue; // floor, table, goal
          if (task === 'block-push' && g.type === 'capsule') continue; // the arm above the peg leaves the frame
          const [x, y] = project(s, g.pos);
          total++;
          if (Math.abs(x) < 1 && Math.abs(y) < 1) inside++;
        }
      }
      expect(inside / total, task).toBeGreaterThan(0.9);
      env.close();
    }
  });
});
