// Public exports of the conv kernel family (re-exported by src/index.ts).
import './conv-kernels.js';

export {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  convTranspose2d,
  convTranspose2dBackwardInput,
  convTranspose2dBackwardFilter,
  biasGradNHWC,
} from './conv.js';
export { conv2dOutputShape, convTranspose2dOutputShape, type Conv2dOptions, type ConvTranspose2dOptions, type Padding } from './geometry.js';
