// Public exports of the layout kernel family (re-exported by src/index.ts): data movement and dtype casts.
export { permute, transpose, slice, sliceAdd, sliceBackward, broadcastTo, concat, copy, copyInto } from './movement.js';
export { packInto, unpackFrom } from './many.js';
export { gather, gatherBackward, oneHot } from './gather.js';
export { cast } from './cast.js';
