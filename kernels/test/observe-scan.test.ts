import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CpuDevice, observeScan, observeScanBackward, observeScanSupported, tensor, type Device, type ObserveScanGrads, type ObserveScanInputs, type ScanAct } from '../src/index.js';
import { deviceSubgroups8 } from '../src/conv/conv-kernels.js';
import { cpu, expectClose, gpu, gpuOrNull, hasGpu, randomArray, read } from './harness.js';

/** The GPU runs subgroups of >= 8 lanes: the scan's vec4 form then shares its vector loads (matvec.ts). */
const sg8 = hasGpu && deviceSubgroups8((await gpuOrNull())!);

/**
 * The fused RSSM posterior scan: the WGSL kernels against their CPU references (forward values, samples, and
 * every gradient of the backward) on awkward sizes. The scan against the unfused composition of autograd ops is
 * tested in packages/autograd (observe-scan.test.ts).
 */
interface Sizes {
  B: number;
  T: number;
  D: number;
  H: number;
  S: number;
  C: number;
}

function inputs(dev: Device, z: Sizes, seed: number, start: boolean, firsts: number[]): ObserveScanInputs {
  const { B, T, D, H, S, C } = z;
  const Z = S * C;
  const r = (n: number, k: number, s = 1) => randomArray(n, seed + k, -s, s);
  const isFirst = new Float32Array(B * T);
  for (const i of firsts) isFirst[i % (B * T)] = 1;
  return {
    actIn: tensor(dev, r(B * T * H, 1), [B, T, H]),
    embIn: tensor(dev, r(B * T * H, 2), [B, T, H]),
    isFirst: tensor(dev, isFirst, [B, T]),
    wz: tensor(dev, r(Z * H, 3, 1 / Math.sqrt(S)), [Z, H]),
    wx: tensor(dev, r(H * 3 * D, 4, 1 / Math.sqrt(H)), [H, 3 * D]),
    wh: tensor(dev, r(D * 3 * D, 5, 1 / Math.sqrt(D)), [D, 3 * D]),
    gamma: tensor(dev, randomArray(3 * D, seed + 6, 0.5, 1.5), [3 * D]),
    beta: tensor(dev, r(3 * D, 7, 0.3), [3 * D]),
    wo: tensor(dev, r(D * H, 8, 1 / Math.sqrt(D)), [D, H]),
    wp: tensor(dev, r(H * Z, 9, 2 / Math.sqrt(H)), [H, Z]),
    bp: tensor(dev, r(Z, 10, 0.5), [Z]),
    h0: start ? tensor(dev, r(B * D, 11), [B, D]) : null,
    z0: start ? tensor(dev, r(B * Z, 12), [B, S, C]) : null,
  };
}

const ALL: (keyof ObserveScanGrads)[] = ['actIn', 'embIn', 'wz', 'wx', 'wh', 'gamma', 'beta', 'wo', 'wp', 'bp', 'h0', 'z0'];

async function run(dev: Device, z: Sizes, seed: number, act: ScanAct, unimix: number, start: boolean, firsts: number[], subgroups?: boolean) {
  const x = inputs(dev, z, seed, start, firsts);
  const f = observeScan(x, { stoch: z.S, classes: z.C, act, unimix, key: { seed: 7, offset: 3 + z.B * z.S }, offsetStep: 2 * z.B * z.S, subgroups });
  const dD = tensor(dev, randomArray(z.B * z.T * z.D, seed + 20), [z.B, z.T, z.D]);
  const dZ = tensor(dev, randomArray(z.B * z.T * z.S * z.C, seed + 21), [z.B, z.T, z.S, z.C]);
  const g = observeScanBackward(dD, dZ, f.saved, x, f.deter, new Set(ALL));
  const out: Record<string, Float32Array> = { deter: await read(f.deter), stoch: await read(f.stoch) };
  for (const k of ALL) if (g[k]) out[k] = await read(g[k]!);
  return out;
}

// awkward sizes (the kernels' scalar form), and sizes that are all multiples of 4 (their vec4 form)
const sizes = fc.oneof(
  fc.record({
    B: fc.constantFrom(1, 3, 16),
    T: fc.constantFrom(1, 2, 7),
    D: fc.constantFrom(1, 5, 13),
    H: fc.constantFrom(1, 6, 19),
    S: fc.constantFrom(1, 3, 5),
    C: fc.constantFrom(1, 2, 7),
  }),
  fc.record({
    B: fc.constantFrom(1, 3, 16),
    T: fc.constantFrom(1, 2, 7),
    D: fc.constantFrom(4, 8, 12),
    H: fc.constantFrom(4, 8, 20),
    S: fc.constantFrom(1, 2, 3),
    C: fc.constantFrom(4, 8),
  }),
);

describe('observeScan: WGSL against the CPU reference', () => {
  it.skipIf(!hasGpu)('runs one dispatch forward', async () => {
    const d = await gpu();
    const z = { B: 3, T: 4, D: 5, H: 6, S: 2, C: 3 };
    const x = inputs(d, z, 1, false, [2]);
    const before = d.stats().dispatches;
    const f = observeScan(x, { stoch: 2, classes: 3, act: 'elu', key: { seed: 1 }, offsetStep: 12 });
    expect(d.stats().dispatches - before).toBe(1);
    f.saved.dispose();
  });

  // The vec4 form shares the vector loads across subgroups where the device has them (matvec.ts matvecShared):
  // the same sums in the same order, so the same bits as the per-lane form. Sizes with outputs past one sweep of
  // the workgroup (3D / 4 = 36 > 32 lanes) and several chunks of 8 k4 (H / 4 = 10, 3D / 4 = 36), partial ones too.
  it.skipIf(!sg8)('the subgroup-shared loads give the per-lane form\'s bits', async () => {
    const d = await gpu();
    const z = { B: 6, T: 3, D: 48, H: 40, S: 4, C: 12 };
    const shared = await run(d, z, 5, 'elu', 0.01, true, [7]);
    const plain = await run(d, z, 5, 'elu', 0.01, true, [7], false);
    for (const k of Object.keys(plain)) expect(Array.from(shared[k]), k).toEqual(Array.from(plain[k]));
  }, 600_000);

  it('refuses a subgroups option that is not a boolean', () => {
    const x = inputs(cpu, { B: 1, T: 1, D: 1, H: 1, S: 1, C: 1 }, 1, false, []);
    expect(() => observeScan(x, { stoch: 1, classes: 1, act: 'elu', key: { seed: 1 }, offsetStep: 2, subgroups: 1 as unknown as boolean })).toThrow(/observeScan: subgroups must be a boolean, got 1/);
  });

  it('names the storage-buffer limit it needs on a device that allows fewer', () => {
    class Narrow extends CpuDevice {
      override limits() {
        return { ...super.limits(), maxStorageBuffersPerKernel: 8 };
      }
    }
    const d = new Narrow();
    expect(observeScanSupported(d)).toBe(false);
    expect(observeScanSupported(cpu)).toBe(true);
    const x = inputs(d, { B: 1, T: 1, D: 1, H: 1, S: 1, C: 1 }, 1, false, []);
    expect(() => observeScan(x, { stoch: 1, classes: 1, act: 'elu', key: { seed: 1 }, offsetStep: 2 })).toThrow(/needs 14 storage buffers per kernel, .* allows 8/);
  });

  test.prop([sizes, fc.constantFrom<ScanAct>('elu', 'silu'), fc.constantFrom(0, 0.01), fc.boolean(), fc.array(fc.nat(200), { maxLength: 4 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 20 })(
    'forward values, samples and all gradients',
    async (z, act, unimix, start, firsts, seed) => {
      if (!hasGpu) return;
      const want = await run(cpu, z, seed, act, unimix, start, firsts);
      const got = await run(await gpu(), z, seed, act, unimix, start, firsts);
      expect(Array.from(got.stoch)).toEqual(Array.from(want.stoch));
      for (const k of Object.keys(want)) expectClose(got[k], want[k], { atol: 2e-4, rtol: 2e-3 }, k);
    },
    // the first use of each of the kernels' forms compiles them: llvmpipe takes seconds to tens of seconds each
    600_000,
  );
});
