// Public exports of the binary kernel family (re-exported by src/index.ts).
export { BINARY_OPS, UNARY_GRAD_OPS, type BinaryOp } from './binary-defs.js';
export { binary, add, sub, mul, div, maximum, minimum, where, unaryGrad } from './binary.js';
