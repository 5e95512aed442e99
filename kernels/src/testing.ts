/**
 * Test helpers shared by the tests of every package (`@twist/kernels/testing`): the two devices, and comparison with stated tolerances.
 * In CI (CI=true) a missing WebGPU adapter fails the run instead of skipping the GPU tests.
 */
import { CpuDevice, createGpuDevice, type Device, type GpuDevice, type TypedArray } from './index.js';

export const cpu: Device = new CpuDevice();

let gpuPromise: Promise<GpuDevice | null> | null = null;

/** The WebGPU device, or null where there is none (locally). In CI its absence throws. */
export async function gpuOrNull(): Promise<GpuDevice | null> {
  gpuPromise ??= createGpuDevice().then((d) => {
    if (!d && process.env.CI === 'true') {
      throw new Error('CI=true but no WebGPU adapter: the WGSL kernels would not be tested. Install mesa-vulkan-drivers (see README).');
    }
    if (!d) console.warn('no WebGPU adapter: GPU comparisons are skipped in this run');
    return d;
  });
  return gpuPromise;
}

/** The WebGPU device; throws where there is none (use inside tests guarded by hasGpu). */
export async function gpu(): Promise<GpuDevice> {
  const d = await gpuOrNull();
  if (!d) throw new Error('no WebGPU adapter');
  return d;
}

export interface Tol {
  atol: number;
  rtol: number;
}

/**
 * Asserts |a - e| <= atol + rtol * |e| elementwise; NaN must match NaN and infinities must match exactly.
 * The message names the first bad index, both values and the count of bad elements.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, what = 'values'): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} differs from expected ${expected.length}`);
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(a);
    else if (!Number.isFinite(e)) ok = a === e;
    else ok = Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    throw new Error(
      `${what}: ${bad}/${actual.length} elements differ beyond atol=${tol.atol}, rtol=${tol.rtol}; ` +
        `first at [${first}]: got ${actual[first]}, expected ${expected[first]}`,
    );
  }
}

/** Deterministic pseudo-random f32 data in [lo, hi) (mulberry32), for inputs of a given size. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

export async function read(t: { toArray(): Promise<TypedArray> }): Promise<Float32Array> {
  return (await t.toArray()) as Float32Array;
}
