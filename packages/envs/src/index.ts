export {};
export * from './scene.js';
export * from './render/index.js';
export { demoScene, axisAngleMat } from './render/demo.js';
export * from './dr/index.js';
export * from './png/index.js';
export * from './tasks/index.js';
export { VecEnv, makeVecEnv, workerUrls, type VecEnvOptions, type BatchObs, type BatchRenderer } from './vec/vec-env.js';
export { EnvShard, createShardApi, type ShardApi, type ShardInit, type ShardResult } from './vec/shard.js';
