export {};
export * from './tasks/index.js';
export { VecEnv, makeVecEnv, workerUrls, type VecEnvOptions, type BatchObs } from './vec/vec-env.js';
export { EnvShard, createShardApi, type ShardApi, type ShardInit, type ShardResult } from './vec/shard.js';
