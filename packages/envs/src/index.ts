/**
 * @twist/envs: MuJoCo tasks with privileged state, the batched WGSL renderer and domain randomisation. Nothing
 * here imports a Node module; PNG files, background folders and the worker-thread VecEnv are in src/node.ts
 * (@twist/envs/node).
 */
export {};
export * from './scene.js';
export * from './render/index.js';
export { demoScene, axisAngleMat } from './render/demo.js';
export * from './dr/index.js';
export * from './png/index.js';
export * from './tasks/index.js';
export { EnvShard, createShardApi, type ShardApi, type ShardInit, type ShardResult } from './vec/shard.js';
