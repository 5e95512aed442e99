// Public exports of the matmul kernel family (re-exported by src/index.ts).
export { matmul, matmulAct, type MatmulOptions, type MatmulActOptions, type MatmulAddend } from './matmul.js';
export { MATMUL_ACTS, type MatmulAct } from './matmul-kernel.js';
export { matmulActGrad } from './epilogue.js';
