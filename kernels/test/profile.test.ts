import { describe, expect, it } from 'vitest';
import { conv2d, exp, GpuDevice, matmul, scope, tensor } from '../src/index.js';
import type { MatmulInternalOptions } from '../src/matmul/matmul.js';
import { gpu, hasGpu, read } from './harness.js';

describe.runIf(hasGpu)('WebGPU profile (startProfile / stopProfile: GPU timestamps per dispatch)', () => {
  it('times every dispatch by kernel, across automatic submits, without changing any result', async () => {
    const g = (await gpu()) as GpuDevice;
    await g.sync();
    const big = tensor(g, Float32Array.from({ length: 1 << 20 }, (_, i) => (i % 7) / 7));
    const a = tensor(g, Float32Array.from({ length: 256 * 256 }, (_, i) => ((i * 13) % 17) / 17 - 0.5), [256, 256]);
    const expected = await read(exp(big));
    const d0 = g.stats().dispatches;
    g.startProfile();
    const one = tensor(g, new Float32Array([0.5]));
    scope(() => {
      // more dispatches than one batch holds (1024), so the timestamps of several submits are read
      for (let i = 0; i < 1100; i++) exp(one);
      // one dispatch each (Y in a storage buffer; on llvmpipe it would be bound as 4 uniform windows)
      for (let i = 0; i < 3; i++) matmul(a, a, { uniformY: false } as MatmulInternalOptions);
    });
    const e = exp(big);
    const out = await read(e);
    e.dispose();
    const rows = await g.stopProfile();
    expect(out).toEqual(expected); // the same kernels ran, in their own passes
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['matmul', 'unary']);
    expect(byName.unary.dispatches).toBe(1101);
    expect(byName.matmul.dispatches).toBe(3);
    expect(rows.reduce((s, r) => s + r.dispatches, 0)).toBe(g.stats().dispatches - d0);
    expect(rows.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 9);
    for (const r of rows) expect(r.ms).toBeGreaterThan(0);
    // most GPU time first
    expect(rows[0].ms).toBeGreaterThanOrEqual(rows[1].ms);
    big.dispose();
    a.dispose();
    one.dispose();
  });

  it('byGrid keeps shapes of one kernel apart: an exp of 4M elements takes longer than one of 4', async () => {
    const g = (await gpu()) as GpuDevice;
    const big = tensor(g, new Float32Array(1 << 22).fill(0.25));
    const small = tensor(g, new Float32Array(4).fill(0.25));
    g.startProfile({ byGrid: true });
    scope(() => {
      for (let i = 0; i < 5; i++) (exp(big), exp(small));
    });
    const rows = await g.stopProfile();
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.name).toMatch(/^unary \[\d+,\d+,\d+\]$/);
    expect(rows.map((r) => r.dispatches)).toEqual([5, 5]);
    // sorted: the big one first, by a wide margin (1M times the work)
    expect(rows[0].ms).toBeGreaterThan(5 * rows[1].ms);
    expect(rows[0].name).not.toBe(rows[1].name);
    // a kernel with a describe() names the shape too: a matmul its rows x K x columns and plan
    const a = tensor(g, new Float32Array(48 * 40).fill(0.5), [48, 40]);
    const b = tensor(g, new Float32Array(40 * 64).fill(0.5), [40, 64]);
    g.startProfile({ byGrid: true });
    scope(() => void matmul(a, b));
    const mm = await g.stopProfile();
    expect(mm).toHaveLength(1);
    expect(mm[0].name).toMatch(/^matmul \[\d+,\d+,\d+\] 48x40x64 (blocked|naive)/);
    // a convolution its geometry: N, the big and the small image, the filter and the stride
    const x = tensor(g, new Float32Array(2 * 9 * 9 * 3).fill(0.5), [2, 9, 9, 3]);
    const w = tensor(g, new Float32Array(4 * 4 * 3 * 5).fill(0.1), [4, 4, 3, 5]);
    g.startProfile({ byGrid: true });
    scope(() => void conv2d(x, w, null, { stride: 2 }));
    const cv = await g.stopProfile();
    expect(cv.map((r) => r.name.replace(/ \[\d+,\d+,\d+\]/, ''))).toEqual(['conv_down N2 9x9x3 <-> 3x3x5 k4x4 s2']);
    for (const t of [big, small, a, b, x, w]) t.dispose();
  });

  it('refuses a second start and a stop without a start, saying so', async () => {
    const g = (await gpu()) as GpuDevice;
    await expect(g.stopProfile()).rejects.toThrow(/stopProfile: no profile is running \(startProfile first\)/);
    g.startProfile();
    expect(() => g.startProfile()).toThrow(/startProfile: a profile is already running/);
    expect(await g.stopProfile()).toEqual([]);
  });
});
