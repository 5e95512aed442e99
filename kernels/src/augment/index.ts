// Public exports of the augmentation kernels (re-exported by src/index.ts).
export { shiftImages, shiftOffsets } from './shift.js';
