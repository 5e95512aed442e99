import { CpuDevice } from '../cpu/cpu-device.js';
import { GpuDevice } from '../webgpu/gpu-device.js';
import type { BackendName, Device } from './registry.js';

export interface DeviceOptions {
  /** 'auto' (default, or TWIST_BACKEND): WebGPU when an adapter exists, else CPU with a one-line notice. */
  backend?: BackendName | 'auto';
  /** Suppress the fallback notice. */
  quiet?: boolean;
}

const HOW_TO_GET_WEBGPU =
  'install a Vulkan driver (Debian/Ubuntu: `apt-get install -t bookworm-backports mesa-vulkan-drivers`, see README) or run `npm start`, which bootstraps it';

/** The WebGPU entry point: navigator.gpu in a browser, Dawn's `webgpu` package in Node. */
async function getGpu(): Promise<GPU | null> {
  const nav = (globalThis as any).navigator;
  if (nav?.gpu) return nav.gpu as GPU;
  if (typeof process === 'undefined' || !process.versions?.node) return null;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let mod: any;
  try {
    mod = await import('webgpu');
  } catch (e) {
    return null;
  }
  if (!(globalThis as any).GPUBufferUsage) Object.assign(globalThis, mod.globals);
  return mod.create([]) as GPU;
}

/** Creates a WebGPU device, or returns null when there is no adapter. */
export async function createGpuDevice(): Promise<GpuDevice | null> {
  const gpu = await getGpu();
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const l = adapter.limits;
  const requiredFeatures = (['timestamp-query', 'shader-f16', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  const info: any = (adapter as any).info ?? {};
  return new GpuDevice(gpu, device, {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  });
}

function envBackend(): BackendName | 'auto' {
  const v = typeof process !== 'undefined' ? process.env.TWIST_BACKEND : undefined;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'cpu' || v === 'webgpu') return v;
  throw new Error(`TWIST_BACKEND must be one of cpu, webgpu, auto; got '${v}'`);
}

/**
 * Acquires a device. An explicit `backend` (or TWIST_BACKEND) of 'webgpu' fails with a message saying how to
 * get WebGPU; 'auto' falls back to the CPU backend with a one-line notice on stderr.
 */
export async function createDevice(opts: DeviceOptions = {}): Promise<Device> {
  const want = opts.backend && opts.backend !== 'auto' ? opts.backend : envBackend();
  if (want === 'cpu') return new CpuDevice();
  const gpu = await createGpuDevice();
  if (gpu) return gpu;
  if (want === 'webgpu') throw new Error(`webgpu backend requested but no WebGPU adapter was found: ${HOW_TO_GET_WEBGPU}`);
  if (!opts.quiet) console.warn(`twist: no WebGPU adapter found, using the CPU backend (to get WebGPU: ${HOW_TO_GET_WEBGPU})`);
  return new CpuDevice();
}

let defaultDevice: Promise<Device> | null = null;

/** The process-wide device, created on first use with createDevice(). */
export function getDevice(opts?: DeviceOptions): Promise<Device> {
  return (defaultDevice ??= createDevice(opts));
}

/** Destroys the process-wide device (lets Node exit: a live Dawn device keeps the event loop alive). */
export async function releaseDevice(): Promise<void> {
  if (!defaultDevice) return;
  const d = await defaultDevice;
  defaultDevice = null;
  d.destroy();
}
