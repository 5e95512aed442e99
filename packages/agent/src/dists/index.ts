// Public face of the action distributions (re-exported by the package's src/index.ts).
export type { ActionDist } from './action-dist.js';
export { TruncNormalDist, type ActorHead, type ActorOutputOptions } from './trunc-normal.js';
export { OneHotDist } from './one-hot.js';
