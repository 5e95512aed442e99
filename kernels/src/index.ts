/**
 * @twist/kernels: the WebGPU tensor runtime and the hand-written WGSL kernels, each with a CPU reference.
 * This file is the package's whole public face.
 */
export type { DType, TypedArray } from './core/dtype.js';
export { bytesPerElement } from './core/dtype.js';
export type { Shape } from './core/shape.js';
export { showValue } from './core/show.js';
export { sizeOf, broadcastShapes, sameShape, stridesOf, normAxes } from './core/shape.js';
export { Tensor, tensor, empty, checkDevice, viewAt, moveToWindow, VIEW_ALIGN_BYTES } from './core/tensor.js';
export { scope, keep, OWNED_TENSORS, type OwnsTensors, type Disposable } from './core/scope.js';
export type {
  BackendName,
  Device,
  DeviceLimits,
  DeviceStats,
  CpuKernel,
  WgslKernel,
  KernelDef,
  UniformField,
} from './core/registry.js';
export { registerKernel, getKernel, listKernels } from './core/registry.js';
export { createDevice, createGpuDevice, getDevice, releaseDevice, type DeviceOptions } from './core/device.js';
export { CpuDevice } from './cpu/cpu-device.js';
export { GpuDevice, type KernelProfile } from './webgpu/gpu-device.js';
export { grid1d, ceilDiv } from './webgpu/grid.js';

export { full, zeros, ones } from './elementwise/fill.js';
export { UNARY_OPS, type UnaryOp } from './elementwise/unary-defs.js';
export * from './elementwise/unary.js';

// Kernel families: each folder's index.ts is its public face.
export * from './matmul/index.js';
export * from './binary/index.js';
export * from './reduce/index.js';
export * from './norm/index.js';
export * from './layout/index.js';
export * from './gru/index.js';
export * from './categorical/index.js';
export * from './truncnorm/index.js';
export * from './rng/index.js';
export * from './conv/index.js';
export * from './optim/index.js';
export * from './peak/index.js';
export * from './scan/index.js';
export * from './augment/index.js';
