// onnxruntime-node peers: the CPU execution provider and the webgpu one (ORT's own Dawn, on the same Vulkan
// adapter), each running a single-op model built in memory (onnx-model.mjs). ORT's node API returns outputs on
// the CPU, so every webgpu run includes the upload of its inputs and the readback of its output.

/** @type {Promise<any> | null} */
let ortPromise = null;
const loadOrt = () => (ortPromise ??= import('onnxruntime-node').then((m) => m.default ?? m));

/**
 * @param {'cpu' | 'webgpu'} ep
 * @param {Uint8Array} model
 * @param {Record<string, { data: Float32Array, shape: number[] }>} inputs
 * @returns {Promise<import('../measure.mjs').Runner>}
 */
export async function ortRunner(ep, model, inputs) {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  /** @type {Record<string, any>} */
  const feeds = {};
  for (const [name, { data, shape }] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', data, shape);
  // A node whose op the EP lacks silently falls back to the CPU EP; check the first run's output is finite.
  const first = await session.run(feeds);
  const y = /** @type {any} */ (Object.values(first)[0]).data;
  if (!Number.isFinite(y[0])) throw new Error(`ort ${ep}: output is not finite`);
  return {
    run: () => session.run(feeds),
    sync: async () => {},
    dispose: () => session.release(),
  };
}
