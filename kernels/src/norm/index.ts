// Public exports of the norm kernel family (re-exported by src/index.ts).
export { layerNorm, layerNormBackward } from './layernorm.js';
