import { CpuDevice } from '../cpu/cpu-device.js';
import { GpuDevice } from '../webgpu/gpu-device.js';
import type { BackendName, Device } from './registry.js';

export interface DeviceOptions {
  /** 'auto' (default, or TWIST_BACKEND): WebGPU when an adapter exists, else CPU with a one-line notice. */
  backend?: BackendName | 'auto';
  /** Suppress the fallback notice. */
  quiet?: boolean;
}

/** Why the last WebGPU lookup found no adapter, and what a user of the library can do about it. */
let noAdapterReason = '';

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

/** What to do without an adapter, for whoever called createDevice: a Node program or a web page. */
function howToGetWebGpu(): string {
  return isNode()
    ? 'install a Vulkan driver (on a machine without a GPU, Mesa\'s software driver lavapipe: `apt-get install mesa-vulkan-drivers`; ' +
        'Debian 12 needs it from bookworm-backports, as Dawn rejects Mesa 22), or set TWIST_BACKEND=cpu to choose the CPU backend'
    : "use a browser with WebGPU enabled, or pass { backend: 'cpu' } to choose the CPU backend";
}

/**
 * The WebGPU entry point: navigator.gpu in a browser, Dawn's `webgpu` package in Node. (Browser bundles never
 * include `webgpu`: the package's `browser` field maps it to nothing, and this import is reached only in Node.)
 *
 * Dawn prints two lines to stderr when it opens a Vulkan adapter that reports more dynamic buffers than it
 * supports (lavapipe reports 1000000): "maxDynamicUniformBuffersPerPipelineLayout artificially reduced from
 * 1000000 to 16 to fit dynamic offset allocation limit." and the same for storage buffers. They come from Dawn's
 * native code (Limits.cpp, dawn::WarningLog) straight to stderr, with no toggle or flag to turn them off; they
 * are harmless here: a kernel binds at most one dynamic-offset buffer (its uniforms), far below 16.
 */
async function getGpu(): Promise<GPU | null> {
  const nav = (globalThis as any).navigator;
  if (nav?.gpu) return nav.gpu as GPU;
  if (!isNode()) {
    noAdapterReason = 'this browser has no navigator.gpu';
    return null;
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let mod: any;
  try {
    mod = await import('webgpu');
  } catch (e) {
    // Not fatal (the CPU backend works), but the cause must be visible: a missing or unloadable dawn.node
    // (e.g. `GLIBCXX_... not found`) is not the same as a machine without a Vulkan driver.
    noAdapterReason = `Dawn's \`webgpu\` package could not be loaded (${(e as Error).message.split('\n')[0]})`;
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
  if (!adapter) {
    noAdapterReason = isNode() ? 'Dawn found no Vulkan (or other) GPU adapter' : "this browser's navigator.gpu offered no adapter";
    return null;
  }
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
  const v = isNode() ? process.env.TWIST_BACKEND : undefined;
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
  if (want === 'webgpu') throw new Error(`webgpu backend requested but there is no WebGPU adapter (${noAdapterReason}): ${howToGetWebGpu()}`);
  if (!opts.quiet) console.warn(`twist: no WebGPU adapter (${noAdapterReason}), using the CPU backend; to get WebGPU: ${howToGetWebGpu()}`);
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
