import type { TypedArray } from './dtype.js';
import type { Tensor } from './tensor.js';

export type BackendName = 'cpu' | 'webgpu';

/**
 * A CPU kernel: the reference semantics of the kernel of the same name. It reads `inputs` and writes every
 * element of `outputs` (flat row-major typed arrays); `params` carries all sizes it needs.
 */
export interface CpuKernel<P = any> {
  name: string;
  backend: 'cpu';
  run(inputs: TypedArray[], outputs: TypedArray[], params: P): void;
}

/** A scalar in a kernel's uniform block. Fields are 4 bytes each and packed in order (std140-safe for scalars). */
export type UniformField = readonly ['u32' | 'i32' | 'f32', number];

/**
 * A WGSL kernel: one hand-written shader plus what the runtime needs to dispatch it.
 * Bindings in group 0: inputs in order (read-only storage), then outputs (read_write storage), then one
 * uniform buffer if `uniforms` is given. u8 tensors are bound as array<u32> (4 bytes per word, little endian).
 */
export interface WgslKernel<P = any> {
  name: string;
  backend: 'webgpu';
  /** The shader source; a function when the source is a small template over params. */
  source: string | ((params: P) => string);
  entryPoint?: string;
  /** Pipeline-overridable constants (WGSL `override`). Part of the pipeline cache key. */
  constants?: (params: P) => Record<string, number>;
  /** Extra cache-key text when `source` is a template (what changes the generated shader). */
  variant?: (params: P) => string;
  uniforms?: (params: P) => readonly UniformField[];
  /**
   * Inputs bound as uniform buffers instead of read-only storage, a bit per input index (bit i: input i). Such an
   * input must be a window (viewAt) of at most the adapter's maxUniformBufferBindingSize at an offset aligned to
   * its minUniformBufferOffsetAlignment, and the shader declares it `var<uniform>` with a fixed-size array. On
   * llvmpipe a lane-varying load from a uniform buffer is a branchless gather where a storage load branches per
   * lane (kernels README, What llvmpipe makes of a load).
   */
  uniformInputs?: (params: P) => number;
  /** A short description of a dispatch's shape for profiles (GpuDevice.startProfile({ byGrid })), e.g. `800x600x200`. */
  describe?: (params: P) => string;
  /** Workgroups to dispatch in x, y, z. */
  dispatch: (params: P) => readonly [number, number, number] | readonly [number, number] | readonly [number];
}

export type KernelDef<P = any> = CpuKernel<P> | WgslKernel<P>;

const kernels = new Map<string, KernelDef>();

/** Registers a kernel implementation for one backend; a second registration for the same pair replaces it. */
export function registerKernel(def: KernelDef): void {
  kernels.set(`${def.name}@${def.backend}`, def);
}

export function getKernel<B extends BackendName>(name: string, backend: B): B extends 'cpu' ? CpuKernel : WgslKernel {
  const k = kernels.get(`${name}@${backend}`);
  if (!k) {
    const have = [...kernels.values()].filter((d) => d.name === name).map((d) => d.backend);
    throw new Error(
      `kernel '${name}' has no ${backend} implementation` + (have.length ? ` (registered for: ${have.join(', ')})` : ' (unknown kernel)'),
    );
  }
  return k as any;
}

export function listKernels(): { name: string; backends: BackendName[] }[] {
  const by = new Map<string, BackendName[]>();
  for (const k of kernels.values()) by.set(k.name, [...(by.get(k.name) ?? []), k.backend]);
  return [...by].map(([name, backends]) => ({ name, backends })).sort((a, b) => a.name.localeCompare(b.name));
}

/** What a device does for the tensor layer. Implemented by CpuDevice and GpuDevice. */
export interface Device {
  readonly backend: BackendName;
  /** Human-readable, e.g. "webgpu: llvmpipe (Mesa 25.0.7)". */
  readonly label: string;
  /** Allocates storage for a new tensor (contents undefined unless `init` is given). */
  allocate(bytes: number, init?: TypedArray): unknown;
  /** Returns storage to the device (pool). Called once the last tensor viewing it is disposed. */
  release(storage: unknown, bytes: number): void;
  /** Enqueues a kernel. Never waits. */
  run(name: string, inputs: Tensor[], outputs: Tensor[], params: unknown): void;
  /**
   * Overwrites a tensor's contents in place (loading checkpoints). Ordered after all work recorded so far:
   * the WebGPU backend flushes first, because queue writes run before not-yet-submitted commands.
   */
  write(t: Tensor, data: TypedArray): void;
  /** Copies a tensor's data back. The only place (with sync) that waits for the device. */
  read(t: Tensor): Promise<TypedArray>;
  /** Submits recorded work without waiting. */
  flush(): void;
  /**
   * Backpressure for loops that never read back: flushes, then waits until at most `maxPending` submitted
   * batches are unfinished. Recording is much faster than software execution; without this a training loop
   * piles up submitted work without bound. Training steps call it once per step.
   */
  throttle(maxPending?: number): Promise<void>;
  /** Waits until all submitted work has finished; rejects with any device error since the last sync. */
  sync(): Promise<void>;
  stats(): DeviceStats;
  limits(): DeviceLimits;
  destroy(): void;
}

export interface DeviceStats {
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
  /** Allocations served from the pool / all allocations. */
  poolHits: number;
  allocations: number;
  dispatches: number;
  submits: number;
  readbacks: number;
  pipelines: number;
}

export interface DeviceLimits {
  maxBufferBytes: number;
  maxWorkgroupsPerDimension: number;
  maxWorkgroupStorageBytes: number;
  maxInvocationsPerWorkgroup: number;
  /** Storage buffers one kernel may bind (WebGPU's maxStorageBuffersPerShaderStage; 8 unless the adapter offers more). */
  maxStorageBuffersPerKernel: number;
}
