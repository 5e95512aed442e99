// Public exports of the optim kernel family (re-exported by src/index.ts): Adam(W) and global-norm clipping.
export { adamStep, type AdamConfig } from './adam.js';
export { sumOfSquares, clipScale } from './clip.js';
