// Public exports of the rng kernel family (re-exported by src/index.ts).
export { randomUniform, randomNormal, randomBits, type RngKey } from './rng.js';
export { philox4x32 } from './philox.js';
