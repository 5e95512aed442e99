#!/usr/bin/env node
// The observe scan's two WGSL forms side by side (kernels/src/scan/matvec.ts): the vec4 products with the vector's
// loads shared across subgroups (the default where the adapter has subgroups of >= 8 lanes) and per lane
// (observeScan({ subgroups: false })), at the quick preset's sizes (B16 T50, deter 128, hidden 128, 16 x 16 stochastic),
// forward and backward (with its whole-sequence weight-gradient matmuls) timed to a device sync, alternating forms.
// A diagnostic, not a gated benchmark: `node benchmarks/scan-forms.mjs [reps]` (needs the built kernels package).
import * as K from '@twist/kernels';

const reps = Number(process.argv[2] ?? 6);
const dev = await K.createDevice({ backend: 'webgpu' });
const [B, T, D, H, S, C] = [16, 50, 128, 128, 16, 16];
const Z = S * C;
let seed = 1;
const rnd = (n, s = 1) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * s;
  return a;
};
const t = (shape, s = 1) => K.tensor(dev, rnd(shape.reduce((a, b) => a * b, 1), s), shape);
const x = {
  actIn: t([B, T, H]), embIn: t([B, T, H]), isFirst: K.tensor(dev, new Float32Array(B * T), [B, T]),
  wz: t([Z, H], 0.25), wx: t([H, 3 * D], 1 / Math.sqrt(H)), wh: t([D, 3 * D], 1 / Math.sqrt(D)),
  gamma: K.tensor(dev, new Float32Array(3 * D).fill(1), [3 * D]), beta: t([3 * D], 0.1),
  wo: t([D, H], 1 / Math.sqrt(D)), wp: t([H, Z], 2 / Math.sqrt(H)), bp: t([Z], 0.5), h0: null, z0: null,
};
const dD = t([B, T, D]);
const dZ = t([B, T, S, C]);
const want = new Set(['actIn', 'embIn', 'wz', 'wx', 'wh', 'gamma', 'beta', 'wo', 'wp', 'bp']);
const time = { shared: { f: [], b: [] }, 'per lane': { f: [], b: [] } };
for (let r = 0; r <= reps; r++) {
  for (const [name, subgroups] of [['shared', true], ['per lane', false]]) {
    let t0 = performance.now();
    const f = K.observeScan(x, { stoch: S, classes: C, act: 'elu', unimix: 0.01, key: { seed: 7 }, offsetStep: B * S, subgroups });
    await dev.sync();
    const tf = performance.now() - t0;
    t0 = performance.now();
    const g = K.observeScanBackward(dD, dZ, f.saved, x, f.deter, want);
    await dev.sync();
    const tb = performance.now() - t0;
    for (const v of Object.values(g)) v?.dispose();
    f.saved.dispose();
    if (r > 0) (time[name].f.push(tf), time[name].b.push(tb)); // rep 0 compiles
  }
}
const med = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
for (const [name, v] of Object.entries(time)) console.log(`${name.padEnd(9)} forward ${med(v.f).toFixed(1)} ms  backward ${med(v.b).toFixed(1)} ms (medians of ${reps})`);
