/**
 * @twist/autograd: reverse-mode autograd over @twist/kernels, nn modules, Adam, gradient checks and
 * the safetensors byte codec. Everything runs unchanged on the webgpu and cpu backends, in Node and in browsers
 * (nothing here imports a Node module); checkpoint files are in @twist/autograd/node (src/node.ts).
 */
export { Var, variable, constant, stopGradient, noGrad, isGradEnabled, type GradNode } from './var.js';
export { RULES, defineOp, defineMultiOp, type Rule, type MultiRule } from './op.js';
export { grad } from './grad.js';
export * from './ops/elementwise.js';
export * from './ops/linalg.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/fused.js';
export * from './ops/scan.js';
export * from './ops/dists.js';
export * from './ops/losses.js';
export { Module } from './nn/module.js';
export { Linear, LayerNorm, MLP, Conv2d, ConvTranspose2d, GRUCell, type MLPOptions } from './nn/layers.js';
export { glorotUniform, hashName, type InitContext } from './nn/init.js';
export { Adam, checkAdamOptions, type AdamOptions } from './optim/adam.js';
export { SkipWatch, NonFiniteStepsError } from './optim/skip-watch.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  crc32,
  type LoadedTensor,
  type SafetensorsLoadOptions,
  type SafetensorsSaveOptions,
} from './checkpoint/safetensors-codec.js';
export type { CheckpointParts } from './checkpoint/checkpoint.js';
export { gradcheck, type GradcheckInput, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
