// TensorFlow.js peers: tfjs-core on tfjs-backend-webgpu (same Dawn adapter as ours, through navigator.gpu) and on
// tfjs-backend-wasm (CPU, SIMD). One tfjs engine holds both backends; each runner re-selects its backend before
// a sample, and a case's tensors are only ever used on the backend they were made on.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { registerTfjsGradients } from './tfjs-gradients.mjs';

const require = createRequire(import.meta.url);

/** @type {Promise<any> | null} */
let tfPromise = null;
/** @type {Map<string, Promise<any>>} */
const ready = new Map();
let dispatchCount = 0;

/** tfjs-core with the webgpu and wasm backends registered. navigator.gpu must be installed first (env.mjs). */
async function loadTf() {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Node needs the absolute folder of the .wasm files (with the trailing slash).
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    await registerTfjsGradients(); // for tf.variableGrads in the training-step cases
    return tf.default ?? tf;
  })();
  return tfPromise;
}

/**
 * tfjs with `backend` initialised and selected (make the case's tensors right after), or a rejection saying
 * why it is unavailable.
 * @param {'webgpu' | 'wasm'} backend
 */
export async function tfjs(backend) {
  const tf = await init(backend);
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  return tf;
}

/** @param {'webgpu' | 'wasm'} backend */
function init(backend) {
  if (!ready.has(backend)) {
    ready.set(
      backend,
      (async () => {
        const tf = await loadTf();
        if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
        await tf.ready();
        if (backend === 'webgpu') {
          // Count dispatches: every WebGPU program goes through recordAndSubmit (CPU-forwarded ops do not).
          const b = tf.backend();
          const orig = b.recordAndSubmit.bind(b);
          b.recordAndSubmit = (/** @type {any[]} */ ...args) => {
            dispatchCount++;
            return orig(...args);
          };
        }
        return tf;
      })(),
    );
  }
  return /** @type {Promise<any>} */ (ready.get(backend));
}

/** Waits for tfjs-webgpu's recorded work: submit the open encoder, then onSubmittedWorkDone (no readback). */
async function syncWebgpu(/** @type {any} */ tf) {
  const b = tf.findBackend('webgpu');
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}

/**
 * A Runner over a tfjs function: each run is one tf.tidy(fn) whose outputs are disposed at once (tfjs keeps
 * their buffers until its queued work is submitted).
 * @param {any} tf
 * @param {'webgpu' | 'wasm'} backend
 * @param {() => any} fn
 * @param {() => void} [dispose] frees the case's inputs
 * @returns {import('../measure.mjs').Runner}
 */
export function tfRunner(tf, backend, fn, dispose) {
  return {
    activate: async () => {
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
    },
    run: () => tf.dispose(tf.tidy(fn)),
    sync: backend === 'webgpu' ? () => syncWebgpu(tf) : async () => {},
    counters: backend === 'webgpu' ? () => ({ dispatches: dispatchCount }) : undefined,
    dispose,
  };
}
