/** The random-shift augmentation (augment/shift.ts): by hand, WGSL against the CPU reference on awkward shapes, offsets, refusals. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { shiftImages, shiftOffsets, tensor, type Device } from '../src/index.js';
import { cpu, gpu, hasGpu, randomArray } from './harness.js';

async function shifted(dev: Device, x: Float32Array, shape: number[], sh: Int32Array): Promise<number[]> {
  const y = shiftImages(tensor(dev, x, shape), tensor(dev, sh, [shape[0], 2], 'i32'));
  return Array.from(await y.toArray());
}

describe('shiftImages', () => {
  it('moves a 3 x 3 image by (dy, dx) with edge replication, one offset per sequence', async () => {
    // B 2, L 1, H 3, W 3, C 1: image 0 values 1..9 row-major, image 1 the same + 10
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const y = await shifted(cpu, x, [2, 1, 3, 3, 1], new Int32Array([1, 0, -1, 2]));
    // b 0, (dy, dx) = (1, 0): row y reads row min(y + 1, 2)
    expect(y.slice(0, 9)).toEqual([4, 5, 6, 7, 8, 9, 7, 8, 9]);
    // b 1, (-1, 2): row max(y - 1, 0), column min(x + 2, 2)
    expect(y.slice(9)).toEqual([13, 13, 13, 13, 13, 13, 16, 16, 16]);
  });

  it('is the identity at (0, 0) and keeps the channels of a pixel together', async () => {
    const x = randomArray(2 * 3 * 4 * 5 * 3, 4);
    expect(await shifted(cpu, x, [2, 3, 4, 5, 3], new Int32Array(4))).toEqual(Array.from(x));
    const y = await shifted(cpu, x, [2, 3, 4, 5, 3], new Int32Array([0, 1, 0, 1]));
    // pixel (0, 0) of sequence 0, frame 0 is pixel (0, 1): elements 3..5
    expect(y.slice(0, 3)).toEqual(Array.from(x.slice(3, 6)));
  });

  test.prop([fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 11 }), fc.constantFrom(1, 3, 4), fc.integer({ min: 0, max: 6 }), fc.nat(1000)], { numRuns: 25 })(
    'WGSL equals the CPU reference (awkward sizes, shifts up to and past the image)',
    async (B, L, H, W, C, pad, seed) => {
      if (!hasGpu) return;
      const shape = [B, L, H, W, C];
      const x = randomArray(B * L * H * W * C, seed);
      const sh = shiftOffsets(B, pad, seed, 7);
      expect(await shifted(await gpu(), x, shape, sh)).toEqual(await shifted(cpu, x, shape, sh));
    },
  );

  it('refuses bad inputs, naming them', () => {
    const x = tensor(cpu, new Float32Array(2 * 1 * 2 * 2 * 1), [2, 1, 2, 2, 1]);
    expect(() => shiftImages(x, tensor(cpu, new Int32Array(2), [1, 2], 'i32'))).toThrow(/shiftImages: shifts must have shape \[2, 2\] \(dy, dx per sequence\), got \[1,2\]/);
    expect(() => shiftImages(x, tensor(cpu, new Float32Array(4), [2, 2]))).toThrow(/shiftImages: shifts/);
    expect(() => shiftImages(tensor(cpu, new Float32Array(4), [2, 2]), tensor(cpu, new Int32Array(4), [2, 2], 'i32'))).toThrow(/images must have shape \[B, L, H, W, C\], got \[2,2\]/);
    expect(() => shiftOffsets(2, -1, 0, 0)).toThrow(/pad must be an integer >= 0, got -1/);
  });
});

describe('shiftOffsets', () => {
  it('draws integers in [-pad, pad], every value about equally often, the same ones for the same (seed, step)', () => {
    const counts = new Map<number, number>();
    for (let step = 0; step < 500; step++) for (const v of shiftOffsets(16, 4, 3, step)) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    // 16000 draws over 9 values: expected 1778 each, sd ~40; a biased hash or an off-by-one range fails this
    for (const c of counts.values()) expect(Math.abs(c - 16000 / 9)).toBeLessThan(200);
    expect(Array.from(shiftOffsets(16, 4, 3, 12))).toEqual(Array.from(shiftOffsets(16, 4, 3, 12)));
    expect(Array.from(shiftOffsets(16, 4, 3, 12))).not.toEqual(Array.from(shiftOffsets(16, 4, 3, 13)));
    expect(Array.from(shiftOffsets(16, 4, 3, 12))).not.toEqual(Array.from(shiftOffsets(16, 4, 4, 12)));
    expect(Array.from(shiftOffsets(3, 0, 3, 12))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
