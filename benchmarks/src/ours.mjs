// Our side of every case: the built @twist packages on a WebGPU device from the shared navigator.gpu, and the
// Runner that records ops into the device's command encoder and waits once per sample (device.sync()).
import * as K from '@twist/kernels';

/** @typedef {import('@twist/kernels').Device} Device */

/** @returns {Promise<{ device: Device | null, reason?: string }>} */
export async function ourDevice() {
  try {
    const device = await K.createDevice({ backend: 'webgpu' });
    return { device };
  } catch (e) {
    return { device: null, reason: /** @type {Error} */ (e).message };
  }
}

/**
 * @param {Device} device
 * @param {() => unknown} op  records one op; whatever it returns (tensor, tensors, object of tensors) is disposed
 * @param {() => void} [dispose]
 * @returns {import('./measure.mjs').Runner}
 */
export function oursRunner(device, op, dispose) {
  return {
    run: () => disposeAll(K.scope(op)),
    sync: () => device.sync(),
    counters: () => {
      const s = device.stats();
      return { dispatches: s.dispatches, poolHits: s.poolHits, allocations: s.allocations, submits: s.submits };
    },
    dispose,
  };
}

/** Disposes a tensor, or every tensor found in arrays / plain objects (and objects with their own dispose). */
export function disposeAll(/** @type {unknown} */ x, depth = 0) {
  if (!x || typeof x !== 'object' || depth > 4) return;
  if (x instanceof K.Tensor) return x.dispose();
  if (!Array.isArray(x) && typeof (/** @type {any} */ (x).dispose) === 'function') return /** @type {any} */ (x).dispose();
  for (const v of Array.isArray(x) ? x : Object.values(x)) disposeAll(v, depth + 1);
}

/** Deterministic pseudo-random f32 data in [-1, 1) (a small LCG, so every peer sees the same inputs). */
export function randomData(/** @type {number} */ n, seed = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}
