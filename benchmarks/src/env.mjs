// Process-wide setup shared by every suite: one Dawn GPU instance behind navigator.gpu (so ours, tfjs-webgpu
// and gpu.js all request their devices from the same adapter), and a description of the machine.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { cpuVendor, machineKey, parseCpuinfo } from './gate-logic.mjs';

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

/**
 * The adapter's info: label "description / vendor / architecture", e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) /
 * mesa / software" ('' when there is none), and its device name (part of the gate's machine key for hardware GPUs).
 * @returns {Promise<{ label: string, device: string }>}
 */
export async function adapterInfo() {
  if (!gpuInstance) return { label: '', device: '' };
  const a = await gpuInstance.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return { label: '', device: '' };
  const i = /** @type {any} */ (a).info ?? {};
  return { label: [i.description, i.vendor, i.architecture].filter(Boolean).join(' / ') || 'unknown adapter', device: i.device ?? '' };
}

/** The adapter's label (see adapterInfo), or '' when there is none. */
export async function adapterLabel() {
  return (await adapterInfo()).label;
}

/** CPU vendor and SIMD class from /proc/cpuinfo (Linux); from the model name and 'unknown' elsewhere. */
function cpuDetails(/** @type {string} */ model) {
  try {
    const c = parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
    return { vendor: c.vendor, simd: c.simd, id: c.id, mhz: c.mhz };
  } catch {
    return { vendor: cpuVendor({ model }), simd: 'unknown', id: '', mhz: 0 };
  }
}

/** True when the adapter is a software rasteriser (lavapipe/llvmpipe, SwiftShader): figures are CPU-bound. */
export const isSoftwareAdapter = (/** @type {string} */ label) => /llvmpipe|lavapipe|swiftshader/i.test(label);

/**
 * The machine a run happened on; `key` is the gate's machine key (gate-logic.mjs machineKey).
 * @param {string} adapter  adapterInfo().label
 * @param {string} [adapterDevice]  adapterInfo().device
 */
export function machineInfo(adapter, adapterDevice = '') {
  const c = cpus();
  const cpu = c[0]?.model ?? 'unknown';
  const { vendor, simd, id, mhz } = cpuDetails(cpu);
  const m = {
    key: '',
    cpu,
    /** cpuinfo's family / model / stepping and clock: not part of the key, recorded to tell apart machines of one name */
    cpuId: id,
    mhz: mhz || c[0]?.speed || 0,
    cpuVendor: vendor,
    simd,
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    adapter: adapter || 'none',
    adapterDevice,
    software: isSoftwareAdapter(adapter),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  m.key = machineKey(m);
  return m;
}
