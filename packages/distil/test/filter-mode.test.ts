/**
 * The posterior filter's 'mode' latent: z is the one-hot argmax of each latent's posterior logits (the same
 * logits as the sampled filter's, h unchanged), on every backend; oneHotArgmax against a hand-made one-hot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { tensor, type Device } from '@twist/kernels';
import { makeConfig, WorldModel } from '@twist/rssm';
import { oneHotArgmax, PosteriorFilter } from '../src/index.js';
import { cpu, gpuOrNull, hasGpu } from './harness.js';

const devices = async (): Promise<Device[]> => [cpu, ...(hasGpu ? [(await gpuOrNull())!] : [])];

function argmaxOneHot(l: Float32Array, C: number): number[] {
  const out = new Array(l.length).fill(0);
  for (let r = 0; r < l.length / C; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (l[r * C + c] > l[r * C + best]) best = c;
    out[r * C + best] = 1;
  }
  return out;
}

describe('oneHotArgmax', () => {
  it('is the one-hot of the argmax, on awkward sizes and close values, on every backend', async () => {
    for (const dev of await devices()) {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 2, max: 33 }), fc.integer(), async (N, V, C, seed) => {
          // distinct values a few ulps to 10 apart (ties excluded), negative and positive
          const n = N * V * C;
          const l = Float32Array.from({ length: n }, (_, i) => (((i * 7919 + seed) % 1009) - 500) * (seed % 2 ? 1e-5 : 0.02) + 1e-7 * i);
          const y = K.scope(() => K.keep(oneHotArgmax(tensor(dev, l, [N, V, C]))));
          expect(Array.from((await y.toArray()) as Float32Array)).toEqual(argmaxOneHot(l, C));
          y.dispose();
        }),
        { numRuns: 25 },
      );
    }
  });
});

describe("PosteriorFilter latent 'mode'", () => {
  it("keeps h, and z = onehot(argmax) of the posterior logits the sampled filter draws from", async () => {
    for (const dev of await devices()) {
      const S = 32;
      const wm = new WorldModel(dev, makeConfig('debug', { modality: 'image', imageSize: S, stateSize: 5, actionSize: 1, seed: 4 }));
      const { stoch: V, classes: C } = wm.rssm.cfg;
      const obs = tensor(dev, Uint8Array.from({ length: 2 * S * S * 3 }, (_, i) => (i * 31) % 256), [2, S, S, 3], 'u8');
      const sampled = new PosteriorFilter(wm);
      const moded = new PosteriorFilter(wm);
      moded.latent = 'mode';
      const a = sampled.step(obs, [1, 1]);
      const b = moded.step(obs, [1, 1]);
      expect(Array.from((await b.deter.toArray()) as Float32Array)).toEqual(Array.from((await a.deter.toArray()) as Float32Array));
      // the posterior logits of the first step (zero state and action), as obsStep computes them
      const logits = K.scope(() =>
        K.keep(
          A.noGrad(() => {
            const z = { deter: A.constant(K.zeros(dev, [2, wm.rssm.cfg.deter])), stoch: A.constant(K.zeros(dev, [2, V, C])) };
            return wm.rssm.obsStep(z, A.constant(K.zeros(dev, [2, 1])), wm.encoder.forward(wm.preprocess(obs))).post.logits.value;
          }),
        ),
      );
      const z = Array.from((await b.stoch.toArray()) as Float32Array);
      expect(z).toEqual(argmaxOneHot((await logits.toArray()) as Float32Array, C));
      // a second step conditions on the mode it kept
      moded.setAction(new Float32Array([0.5, -0.5]));
      const b2 = moded.step(obs, [0, 0]);
      const z2 = (await b2.stoch.toArray()) as Float32Array;
      for (let r = 0; r < 2 * V; r++) expect(z2.subarray(r * C, (r + 1) * C).reduce((s, x) => s + x, 0)).toBe(1);
      logits.dispose();
      obs.dispose();
      sampled.reset();
      moded.reset();
      wm.dispose();
    }
  });
});
