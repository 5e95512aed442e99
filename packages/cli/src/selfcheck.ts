import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as K from '@twist/kernels';
import type { Device, Tensor } from '@twist/kernels';

/** Deterministic inputs in [lo, hi) (a 32-bit LCG), so a failure reproduces. */
function data(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32));
}

interface Check {
  name: string;
  /** Builds the same computation on a device; the returned tensors are compared. */
  run(dev: Device): Tensor[];
  tol: number;
}

const t = (dev: Device, shape: number[], seed: number, lo = -1, hi = 1) => K.tensor(dev, data(shape.reduce((a, d) => a * d, 1), seed, lo, hi), shape);

/** One check per kernel family, at awkward sizes (primes, non-multiples of tiles). */
export const CHECKS: Check[] = [
  { name: 'unary (elu, tanh, softplus)', tol: 1e-5, run: (d) => [K.elu(t(d, [37, 11], 1)), K.tanh(t(d, [37, 11], 2)), K.softplus(t(d, [37, 11], 3))] },
  { name: 'binary with broadcasting', tol: 1e-6, run: (d) => [K.mul(t(d, [3, 1, 7], 4), t(d, [5, 7], 5)), K.sub(t(d, [13], 6), t(d, [2, 13], 7))] },
  { name: 'matmul (transposes, batch)', tol: 1e-4, run: (d) => [K.matmul(t(d, [3, 67, 45], 8), t(d, [45, 29], 9)), K.matmul(t(d, [45, 17], 10), t(d, [31, 45], 11), { transA: true, transB: true })] },
  { name: 'reductions and softmax', tol: 1e-5, run: (d) => [K.sum(t(d, [7, 13, 5], 12), [0, 2]), K.softmax(t(d, [41, 32], 13, -5, 5)), K.logSoftmax(t(d, [41, 33], 14, -5, 5))] },
  { name: 'LayerNorm', tol: 1e-4, run: (d) => [K.layerNorm(t(d, [19, 37], 15), t(d, [37], 16), t(d, [37], 17), 1e-3).y] },
  {
    name: 'GRU cell (fused, DreamerV2)',
    tol: 1e-4,
    run: (d) => [K.gruCell(t(d, [13, 23], 18), t(d, [13, 31], 19), t(d, [23, 93], 20, -0.3, 0.3), t(d, [31, 93], 21, -0.3, 0.3), t(d, [93], 22), t(d, [93], 23), {}).h],
  },
  {
    name: 'categorical straight-through sample',
    tol: 0,
    run: (d) => [K.categoricalSample(t(d, [5, 32, 32], 24, -3, 3), { key: { seed: 7 }, unimix: 0.01 }).sample],
  },
  { name: 'categorical KL', tol: 1e-4, run: (d) => [K.categoricalKL(t(d, [6, 32, 32], 25, -3, 3), t(d, [6, 32, 32], 26, -3, 3))] },
  {
    name: 'conv2d / conv-transpose2d',
    tol: 1e-4,
    run: (d) => [K.conv2d(t(d, [2, 17, 17, 3], 27), t(d, [4, 4, 3, 8], 28), null, { stride: 2 }), K.convTranspose2d(t(d, [2, 5, 5, 8], 29), t(d, [5, 5, 6, 8], 30), null, { stride: 2 })],
  },
  { name: 'Philox uniforms', tol: 0, run: (d) => [K.randomUniform(d, [1001], { seed: 11 })] },
];

export interface SelfCheckResult {
  device: string;
  checks: { name: string; ok: boolean; maxAbsErr: number; tol: number }[];
  bench: { name: string; value: number; unit: string }[];
}

async function compare(gpu: Device, cpu: Device, c: Check): Promise<{ ok: boolean; maxAbsErr: number }> {
  const [a, b] = [K.scope(() => c.run(gpu)), K.scope(() => c.run(cpu))];
  let maxAbsErr = 0;
  let ok = true;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = await Promise.all([a[i].toArray(), b[i].toArray()]);
    for (let j = 0; j < x.length; j++) {
      const e = Math.abs(x[j] - y[j]);
      if (!(e <= c.tol * (1 + Math.abs(y[j])))) ok = false;
      maxAbsErr = Math.max(maxAbsErr, e);
    }
  }
  for (const x of [...a, ...b]) x.dispose();
  return { ok, maxAbsErr };
}

/** Times fn (which records work) over reps after warm-up; returns ms per call including the device's work. */
async function time(dev: Device, fn: () => void, reps: number): Promise<number> {
  K.scope(fn);
  await dev.sync();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) K.scope(fn);
  await dev.sync();
  return (performance.now() - t0) / reps;
}

/** The main job until training exists: report, check every kernel family, benchmark. Returns an exit code. */
export async function selfCheck(opts: { out: string; log?: (s: string) => void }): Promise<number> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const dev = await K.createDevice();
  const cpu = new K.CpuDevice();
  const result: SelfCheckResult = { device: dev.label, checks: [], bench: [] };
  log(`device: ${dev.label}`);
  const lim = dev.limits();
  log(`limits: max buffer ${(lim.maxBufferBytes / 2 ** 20).toFixed(0)} MiB, workgroup storage ${lim.maxWorkgroupStorageBytes} B, ${lim.maxInvocationsPerWorkgroup} invocations/workgroup`);
  if (dev.backend === 'webgpu') {
    log(`\nself-check: each WGSL kernel family against its CPU reference`);
    for (const c of CHECKS) {
      const r = await compare(dev, cpu, c);
      result.checks.push({ name: c.name, tol: c.tol, ...r });
      log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(38)} max |gpu - cpu| = ${r.maxAbsErr.toExponential(2)} (tol ${c.tol})`);
    }
  } else log('\nself-check skipped: the CPU backend is the reference itself');

  log(`\nbenchmark (${dev.backend})`);
  for (const n of [256, 512]) {
    const a = t(dev, [n, n], 1);
    const b = t(dev, [n, n], 2);
    const ms = await time(dev, () => K.matmul(a, b), dev.backend === 'webgpu' ? 10 : 2);
    const gflops = (2 * n ** 3) / (ms * 1e6);
    result.bench.push({ name: `matmul ${n}^3`, value: gflops, unit: 'GFLOP/s' });
    log(`  matmul ${n}^3: ${ms.toFixed(2)} ms, ${gflops.toFixed(2)} GFLOP/s`);
    a.dispose();
    b.dispose();
  }
  {
    const [B, H] = [800, 200];
    const x = t(dev, [B, H], 3);
    const h = t(dev, [B, H], 4);
    const wx = t(dev, [H, 3 * H], 5, -0.1, 0.1);
    const wh = t(dev, [H, 3 * H], 6, -0.1, 0.1);
    const g = K.ones(dev, [3 * H]);
    const be = K.zeros(dev, [3 * H]);
    const d0 = dev.stats().dispatches;
    K.scope(() => K.gruCell(x, h, wx, wh, g, be, {}).h);
    const dispatches = dev.stats().dispatches - d0;
    const ms = await time(dev, () => K.gruCell(x, h, wx, wh, g, be, {}).h, dev.backend === 'webgpu' ? 10 : 2);
    result.bench.push({ name: 'GRU step 800x200', value: ms, unit: 'ms' }, { name: 'GRU step dispatches', value: dispatches, unit: 'dispatches' });
    log(`  GRU cell step, batch ${B}, hidden ${H}: ${ms.toFixed(2)} ms, ${dispatches} dispatches`);
  }
  mkdirSync(opts.out, { recursive: true });
  const path = join(opts.out, 'selfcheck.json');
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  log(`\nwrote ${path}`);
  dev.destroy();
  return result.checks.every((c) => c.ok) ? 0 : 1;
}
