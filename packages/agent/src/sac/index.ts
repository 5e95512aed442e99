// Public face of the asymmetric SAC baseline (re-exported by the package's src/index.ts; batch sampling from
// the replay by src/node.ts).
export { SAC_PRESETS, validateSacConfig, encoderOutSide, type SacConfig, type SacAgentConfig, type AdamSettings } from './config.js';
export { SquashedNormal } from './squashed-normal.js';
export { PixelEncoder, SacActor, TwinQ, Temperature } from './networks.js';
export { tdTarget, criticLoss, actorLoss, temperatureLoss } from './losses.js';
export { polyakUpdate } from './polyak.js';
export { orthogonalInit, orthogonal } from './init.js';
export { SacAgent, type SacObservation, type SacMetrics, type SacCounters } from './agent.js';
export type { SacBatch, HostTransitions } from './batch.js';
