// Implementation factories shared by the suites: ours, the tfjs backends, onnxruntime's providers and the
// in-run reference kernels, each built from the same named input arrays so every side computes the same thing.
import * as K from '@twist/kernels';
import { oursRunner, randomData } from './ours.mjs';
import { ortRunner } from './peers/ort.mjs';
import { tfjs, tfRunner } from './peers/tfjs.mjs';

/** @typedef {Record<string, { data: Float32Array, shape: number[] }>} Inputs */
/** @typedef {import('./case.mjs').Impl} Impl */
/** @typedef {import('@twist/kernels').Device} Device */

/**
 * Named inputs of deterministic data in [lo, hi), made once and shared by every implementation of a case.
 * @param {Record<string, number[]>} shapes
 * @param {{ lo?: number, hi?: number }} [range]
 * @returns {() => Inputs}
 */
export function inputs(shapes, range = {}) {
  /** @type {Inputs | null} */
  let made = null;
  const { lo = -1, hi = 1 } = range;
  return () => {
    if (made) return made;
    made = {};
    let seed = 1;
    for (const [name, shape] of Object.entries(shapes)) {
      const data = randomData(shape.reduce((a, b) => a * b, 1), seed++);
      for (let i = 0; i < data.length; i++) data[i] = lo + ((data[i] + 1) / 2) * (hi - lo);
      made[name] = { data, shape };
    }
    return made;
  };
}

/**
 * @param {Device} device
 * @param {() => Inputs} ins
 * @param {(t: Record<string, import('@twist/kernels').Tensor>) => unknown} op
 * @returns {Impl}
 */
export function ours(device, ins, op) {
  return {
    device: 'gpu',
    setup: async () => {
      /** @type {Record<string, import('@twist/kernels').Tensor>} */
      const t = {};
      for (const [name, { data, shape }] of Object.entries(ins())) t[name] = K.tensor(device, data, shape);
      return oursRunner(device, () => op(t), () => Object.values(t).forEach((x) => x.dispose()));
    },
  };
}

/**
 * @param {'webgpu' | 'wasm'} backend
 * @param {() => Inputs} ins
 * @param {(tf: any, t: Record<string, any>) => any} fn
 * @param {string} [note]
 * @returns {Impl}
 */
export function tfImpl(backend, ins, fn, note) {
  return {
    device: backend === 'webgpu' ? 'gpu' : 'cpu',
    note,
    setup: async () => {
      const tf = await tfjs(backend);
      /** @type {Record<string, any>} */
      const t = {};
      for (const [name, { data, shape }] of Object.entries(ins())) t[name] = tf.tensor(data, shape);
      return tfRunner(tf, backend, () => fn(tf, t), () => tf.dispose(Object.values(t)));
    },
  };
}

/**
 * @param {'webgpu' | 'cpu'} ep
 * @param {() => Uint8Array} model
 * @param {() => Inputs} ins
 * @returns {Impl}
 */
export function ortImpl(ep, model, ins) {
  return {
    device: ep === 'webgpu' ? 'gpu' : 'cpu',
    note: ep === 'webgpu' ? 'includes upload + readback per op (ORT node API)' : undefined,
    setup: () => ortRunner(ep, model(), ins()),
  };
}

/**
 * The in-run compute reference: peakFma over n invocations x iters (FLOPs = n * iters * 64).
 * @param {Device} device @param {number} n @param {number} iters
 * @returns {Impl}
 */
export function peakFmaImpl(device, n, iters) {
  return {
    device: 'gpu',
    unit: 'GFLOP/s',
    work: n * iters * 64,
    reference: true,
    setup: async () => oursRunner(device, () => K.peakFma(device, n, iters)),
  };
}

/**
 * The in-run bandwidth reference: peakCopy of n floats (bytes = 2 * 4 * n).
 * @param {Device} device @param {number} n
 * @returns {Impl}
 */
export function peakCopyImpl(device, n) {
  return {
    device: 'gpu',
    unit: 'GB/s',
    work: 8 * n,
    reference: true,
    setup: async () => {
      const x = K.full(device, [n], 1);
      return oursRunner(device, () => K.peakCopy(x), () => x.dispose());
    },
  };
}
