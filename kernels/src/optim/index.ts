// Public exports of the optim kernel family (re-exported by src/index.ts): Adam(W) and global-norm clipping.
export { adamStep, adamGate, adamStepGated, type AdamConfig, type AdamGateConfig } from './adam.js';
export { sumOfSquares, clipScale } from './clip.js';
export { flatLayout, sumsqChunkTable, sumOfSquaresChunks, adamGateSum, type FlatLayout } from './multi.js';
