/** Replay: episode storage, uniform sequence sampling, chunked persistence and exact resume (issue 9). */
export {
  Replay,
  type StepRecord,
  type ReplayOptions,
  type ReplayBatch,
  type HostBatch,
  type ReplayStats,
  type ReplayState,
  type SamplingScheme,
} from './replay.js';
export { Xoshiro128, type RngState } from './rng.js';
export { episodeFileName, pendingFileName, type Episode } from './format.js';
