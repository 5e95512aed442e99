/**
 * @twist/envs/node: the parts that need Node: the PNG codec (node:zlib) and PNG files, held-out background
 * folders, and VecEnv (physics in worker_threads).
 */
export { encodePng, decodePng, readPng, writePng, writeFileAtomic, writeContactSheet, toRgb, crc32, filterRow } from './png/png.js';
export { loadBackgroundFolder } from './dr/backgrounds.js';
export { VecEnv, makeVecEnv, workerUrls, type VecEnvOptions, type BatchObs, type BatchRenderer } from './vec/vec-env.js';
