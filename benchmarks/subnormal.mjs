#!/usr/bin/env node
// What subnormal floats cost a matmul on this adapter (kernels README, "Denormals on lavapipe"): an 800 x 256 x 256
// product whose left operand is uniform in [-s, s] for s = 1, 1e-20, 1e-36, 1e-39 (the last two make subnormal
// products and sums), 20 dispatches each, timed to a device sync. `node benchmarks/subnormal.mjs` (built kernels).
import * as K from '@twist/kernels';

const dev = await K.createDevice({ backend: 'webgpu' });
const [R, Kk, C] = [800, 256, 256];
let seed = 1;
const rnd = (n, s) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * s;
  return a;
};
const w = K.tensor(dev, rnd(Kk * C, 1), [Kk, C]);
for (const s of [1, 1e-20, 1e-36, 1e-39]) {
  const x = K.tensor(dev, rnd(R * Kk, s), [R, Kk]);
  K.scope(() => void K.matmul(x, w));
  await dev.sync();
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) K.scope(() => void K.matmul(x, w));
  await dev.sync();
  console.log(`inputs of magnitude ${s}: ${((performance.now() - t0) / 20).toFixed(2)} ms per ${R}x${Kk}x${C} matmul`);
  x.dispose();
}
