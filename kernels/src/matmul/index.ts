// Public exports of the matmul kernel family (re-exported by src/index.ts).
export { matmul, type MatmulOptions } from './matmul.js';
