#!/usr/bin/env node
// Environment steps per second: one env, and VecEnv with 4 and 16 envs (worker threads and in-process).
//
//   node packages/envs/bench-steps.mjs [--task cheetah-run] [--seconds 3] [--warmup 3] [--nums 1,4,16] [--dist] [--all-tasks]
//
// From TypeScript source by default (registers tsx after loading MuJoCo); --dist uses the build (dist/).
// "env steps" are agent steps (one step() of one env = actionRepeat control steps); control steps/s and
// physics steps/s are printed too. No rendering: this measures physics + the batching machinery.
import { availableParallelism, cpus, loadavg } from 'node:os';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const task = opt('task', 'cheetah-run');
const seconds = Number(opt('seconds', '3'));
const nums = opt('nums', '1,4,16').split(',').map(Number);
const useDist = args.includes('--dist');
const allTasks = args.includes('--all-tasks');
const warmupMs = 1000 * Number(opt('warmup', '3'));

let lib;
if (useDist) {
  lib = await import(new URL('./dist/index.js', import.meta.url).href);
} else {
  await import('mujoco-js'); // before tsx: loading MuJoCo through tsx's transform is slow
  const { register } = await import('tsx/esm/api');
  register();
  const tasks = await import(new URL('./src/tasks/index.ts', import.meta.url).href);
  const vec = await import(new URL('./src/vec/vec-env.ts', import.meta.url).href);
  lib = { ...tasks, ...vec };
}
const { makeEnv, VecEnv, TASKS } = lib;

function actionsFor(n, a, t) {
  const out = new Float32Array(n * a);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin(0.1 * t + i);
  return out;
}

async function benchSingle(name) {
  const env = await makeEnv(name);
  let o = env.reset(0);
  const a = new Float32Array(env.actionSize);
  // warm-up: V8 tiers the wasm up to optimised code during the first seconds (per thread)
  const warm = performance.now();
  let t = 0;
  while (performance.now() - warm < warmupMs) {
    a.set(actionsFor(1, env.actionSize, t++));
    o = o.done ? env.reset(t) : env.step(a);
  }
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    a.set(actionsFor(1, env.actionSize, t++));
    if (o.done) o = env.reset(t);
    else {
      o = env.step(a);
      steps++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  const spec = TASKS[name];
  env.close();
  return { steps: steps / s, repeat: env.actionRepeat, spec };
}

async function benchVec(name, num, workers) {
  const t0 = performance.now();
  const vec = await VecEnv.create(name, { num, workers });
  const created = performance.now() - t0;
  await vec.reset(0);
  const A = vec.actionSize;
  let t = 0;
  let rounds = 0;
  const warm = performance.now();
  while (performance.now() - warm < warmupMs) {
    const o = await vec.step(actionsFor(num, A, t++));
    if (o.done.some((d) => d)) await vec.reset(t);
  }
  const t1 = performance.now();
  while (performance.now() - t1 < seconds * 1000) {
    const o = await vec.step(actionsFor(num, A, t++));
    rounds++;
    if (o.done.some((d) => d)) await vec.reset(t);
  }
  const s = (performance.now() - t1) / 1000;
  await vec.close();
  return { steps: (rounds * num) / s, created };
}

const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
console.log(`# env steps/s (${useDist ? 'dist' : 'source via tsx'}), ${cpus()[0]?.model ?? 'cpu'}, ${cores} cores, load avg ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`# node ${process.version}; ${seconds} s per measurement after ${warmupMs / 1000} s warm-up; no rendering`);

if (allTasks) {
  console.log('\n| task | agent steps/s (1 env) | control steps/s | physics steps/s |');
  console.log('|---|---|---|---|');
  for (const name of Object.keys(TASKS)) {
    const r = await benchSingle(name);
    const ctrl = r.steps * r.repeat;
    const xmlDt = Number(/timestep="([0-9.e-]+)"/.exec(r.spec.xml)?.[1] ?? '0.01');
    const physics = ctrl * Math.round(r.spec.controlTimestep / xmlDt);
    console.log(`| ${name} | ${r.steps.toFixed(0)} | ${ctrl.toFixed(0)} | ${physics.toFixed(0)} |`);
  }
}

console.log(`\n| ${task} | envs | workers | env steps/s | startup ms |`);
console.log('|---|---|---|---|---|');
for (const num of nums) {
  if (num === 1) {
    const r = await benchSingle(task);
    console.log(`| single env | 1 | - (main thread) | ${r.steps.toFixed(0)} | - |`);
    continue;
  }
  const w = Math.min(num, cores);
  const rw = await benchVec(task, num, w);
  console.log(`| VecEnv | ${num} | ${w} | ${rw.steps.toFixed(0)} | ${rw.created.toFixed(0)} |`);
  const r0 = await benchVec(task, num, 0);
  console.log(`| VecEnv | ${num} | 0 (in-process) | ${r0.steps.toFixed(0)} | ${r0.created.toFixed(0)} |`);
}
process.exit(0);
