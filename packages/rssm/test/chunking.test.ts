import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { CpuDevice, tensor, type DeviceLimits } from '@twist/kernels';
import { ImageDecoder, ImageEncoder, makeConfig } from '../src/index.js';
import { randomArray } from './harness.js';

/** A CPU device that reports a small storage-buffer limit, as software Vulkan does for big batches. */
class SmallBuffers extends CpuDevice {
  constructor(private readonly max: number) {
    super();
  }
  override limits(): DeviceLimits {
    return { ...super.limits(), maxBufferBytes: this.max };
  }
}

describe('image encoder and decoder split batches that exceed the buffer limit', () => {
  it('gives the same embeddings, images and gradients as one big batch', async () => {
    const cfg = makeConfig('debug', { modality: 'image', imageSize: 32, actionSize: 1, cnnDepth: 4 });
    const run = async (dev: CpuDevice) => {
      const ctx = { device: dev, seed: 3 };
      const enc = new ImageEncoder(ctx, cfg);
      const dec = new ImageDecoder(ctx, cfg, 20);
      const x = A.variable(tensor(dev, randomArray(7 * 32 * 32 * 3, 1, -0.5, 0.5), [7, 32, 32, 3]));
      const f = A.variable(tensor(dev, randomArray(7 * 20, 2), [7, 20]));
      const e = enc.forward(x);
      const img = dec.forward(f);
      const loss = A.add(A.mean(A.square(e)), A.mean(A.square(img)));
      const [gx, gf] = A.grad(loss, [x, f]);
      return Promise.all([e.value, img.value, gx, gf].map((t) => t.toArray()));
    };
    const big = new CpuDevice();
    const whole = await run(big);
    // 15x15x4 floats = 3600 bytes per image is the encoder's largest activation: 8000 bytes forces chunks of 2.
    const dev = new SmallBuffers(8000);
    const chunked = await run(dev);
    // The chunked run splits, runs the convs per chunk and concatenates: more kernel calls for the same maths.
    expect(dev.stats().dispatches).toBeGreaterThan(big.stats().dispatches);
    chunked.forEach((c, i) => {
      expect(c.length).toBe(whole[i].length);
      for (let k = 0; k < c.length; k++) expect(c[k]).toBeCloseTo(whole[i][k], 5);
    });
  });
});
