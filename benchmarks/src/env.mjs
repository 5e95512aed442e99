// Process-wide setup shared by every suite: one Dawn GPU instance behind navigator.gpu (so ours, tfjs-webgpu
// and gpu.js all request their devices from the same adapter), and a description of the machine.
import { cpus, loadavg, totalmem } from 'node:os';

/** @type {GPU | null} Held for the whole process: Dawn aborts if this instance is garbage collected. */
let gpuInstance = null;

/**
 * Installs navigator.gpu from Dawn's `webgpu` package before any peer is imported (tfjs-backend-webgpu reads it
 * at import). Returns the GPU instance, or null with the reason when there is none.
 * @returns {Promise<{ gpu: GPU | null, reason?: string }>}
 */
export async function installWebGPU() {
  if (gpuInstance) return { gpu: gpuInstance };
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    gpuInstance = create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: gpuInstance }, configurable: true, writable: true });
    return { gpu: gpuInstance };
  } catch (e) {
    return { gpu: null, reason: `webgpu package failed to load: ${/** @type {Error} */ (e).message}` };
  }
}

/** The adapter's description, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)", or '' when there is none. */
export async function adapterLabel() {
  if (!gpuInstance) return '';
  const a = await gpuInstance.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return '';
  const i = /** @type {any} */ (a).info ?? {};
  return [i.description, i.vendor, i.architecture].filter(Boolean).join(' / ') || 'unknown adapter';
}

/** True when the adapter is a software rasteriser (lavapipe/llvmpipe, SwiftShader): figures are CPU-bound. */
export const isSoftwareAdapter = (/** @type {string} */ label) => /llvmpipe|lavapipe|swiftshader/i.test(label);

/** @param {string} adapter */
export function machineInfo(adapter) {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    adapter: adapter || 'none',
    software: isSoftwareAdapter(adapter),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
