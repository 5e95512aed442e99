// gpu.js in webgpu mode (its own GPUDevice from the same navigator.gpu adapter): the textbook matmul kernel,
// inputs kept on the device with `pipeline: true`, so a run is one dispatch and one submit.

/**
 * @param {Float32Array} a [n, n] row-major
 * @param {Float32Array} b [n, n]
 * @param {number} n
 * @returns {Promise<import('../measure.mjs').Runner>}
 */
export async function gpujsMatmul(a, b, n) {
  const mod = await import('gpu.js');
  const { GPU, WebGPUContext } = mod.default ?? mod;
  if (!(await GPU.isWebGPUAvailable())) throw new Error('gpu.js: GPU.isWebGPUAvailable() is false');
  const gpu = new GPU({ mode: 'webgpu' });
  const rows = (/** @type {Float32Array} */ x) => Array.from({ length: n }, (_, r) => x.subarray(r * n, r * n + n));
  const upload = gpu.createKernel(function (/** @type {number[][]} */ x) {
    // @ts-ignore gpu.js kernel `this`
    return x[this.thread.y][this.thread.x];
  }, { output: [n, n], pipeline: true, immutable: true });
  const A = await upload(rows(a));
  const B = await upload(rows(b));
  const mm = gpu.createKernel(function (/** @type {number[][]} */ x, /** @type {number[][]} */ y) {
    let s = 0;
    // @ts-ignore gpu.js kernel `this`
    for (let i = 0; i < this.constants.n; i++) s += x[this.thread.y][i] * y[i][this.thread.x];
    return s;
  }, { output: [n, n], pipeline: true, constants: { n } });
  const first = await mm(A, B);
  const c = await first.toArray();
  let ref = 0;
  for (let i = 0; i < n; i++) ref += a[i] * b[i * n];
  if (Math.abs(c[0][0] - ref) > 1e-3 * (1 + Math.abs(ref))) throw new Error(`gpu.js: wrong result c[0][0] = ${c[0][0]}, expected ${ref}`);
  const { device } = await WebGPUContext.acquire();
  return {
    run: () => mm(A, B),
    sync: () => device.queue.onSubmittedWorkDone(),
    dispose: () => gpu.destroy(),
  };
}
