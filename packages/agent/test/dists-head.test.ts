import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { tensor, type Device } from '@twist/kernels';
import { TruncNormalDist } from '../src/dists/index.js';
import { cpu, expectClose, gpuOrNull, hasGpu, randomArray } from './harness.js';

/**
 * TruncNormalDist made from the actor head samples and takes its entropy with the head-fused kernels (the head's
 * mean and std never formed); the reference is the same distribution from mean and std formed by the unfused ops
 * (split, tanh, scale, sigmoid, affine), as before. Sample and entropy: bit for bit on the CPU (the same f32
 * steps), within 1e-5 on the GPU (an fma contraction may differ between shaders). Gradients w.r.t. the head's
 * output: the fused kernels chain sample's and entropy's gradients through the head each and add them (into one
 * buffer, in place), the unfused rules add them first and chain once: the same sum by distributivity, rounded
 * differently (a few ulp: 1e-6 relative plus 1e-7 absolute for the terms that nearly cancel).
 */
const devices = async (): Promise<Device[]> => {
  const g = hasGpu ? await gpuOrNull() : null;
  return g ? [cpu, g] : [cpu];
};

describe('TruncNormalDist from the actor head: fused sample and entropy equal the unfused head', () => {
  it('values and gradients w.r.t. the head output, and fewer dispatches', async () => {
    for (const d of await devices()) {
      const [N, Aa] = [37, 3];
      const outData = randomArray(N * 2 * Aa, 5, -3, 3);
      const key = { seed: 9, offset: 40 };
      const run = (fused: boolean) => {
        const out = A.variable(tensor(d, outData, [N, 2 * Aa]));
        const n0 = d.stats().dispatches;
        const head = TruncNormalDist.fromActorOutput(out, { minStd: 0.1 });
        const dist = fused ? head : new TruncNormalDist(head.mean, head.std);
        const x = dist.sample(key);
        const h = dist.entropy();
        const loss = A.add(A.sum(A.mul(x, A.constant(tensor(d, randomArray(N * Aa, 6), [N, Aa])))), A.sum(h));
        const forward = d.stats().dispatches - n0;
        const n1 = d.stats().dispatches;
        const [g] = A.grad(loss, [out]);
        return { x, h, g, forward, backward: d.stats().dispatches - n1 };
      };
      const want = run(false);
      const got = run(true);
      const tol = d === cpu ? { atol: 0, rtol: 0 } : { atol: 1e-5, rtol: 1e-5 };
      for (const k of ['x', 'h'] as const) expectClose((await got[k].value.toArray()) as Float32Array, (await want[k].value.toArray()) as Float32Array, tol, `${d.backend} ${k}`);
      const gtol = d === cpu ? { atol: 1e-7, rtol: 1e-6 } : { atol: 1e-5, rtol: 1e-5 };
      expectClose((await got.g.toArray()) as Float32Array, (await want.g.toArray()) as Float32Array, gtol, `${d.backend} gradient`);
      // the head's split, tanh, scale, sigmoid and affine (6 dispatches) are gone forward; backward their 4
      // gradients, the add of sample's and entropy's gradients and the halves' concat
      expect(want.forward - got.forward, d.backend).toBe(6);
      expect(got.backward, d.backend).toBeLessThan(want.backward - 4);
    }
  });

  it('gradcheck: the fused entropy w.r.t. the head output', async () => {
    await A.gradcheck((out) => TruncNormalDist.fromActorOutput(out).entropy(), [{ data: randomArray(24, 4, -1.5, 1.5), shape: [3, 8] }], { device: cpu });
  });

  it('mean and std are formed on demand, and the head is refused with a std', () => {
    const out = A.constant(tensor(cpu, randomArray(8, 1), [2, 4]));
    const d = TruncNormalDist.fromActorOutput(out);
    expect(d.shape).toEqual([2, 2]);
    expect(d.mean.shape).toEqual([2, 2]);
    expect(d.mean).toBe(d.mean);
    expect(() => new TruncNormalDist({ out, minStd: 0.1, maxStd: 2.1 }, d.std)).toThrow(/TruncNormalDist: give mean and std, or an actor head alone, not both/);
    expect(() => new TruncNormalDist({ out: A.reshape(out, [8]), minStd: 0.1, maxStd: 0.1 })).toThrow(/TruncNormalDist: stds must be finite with 0 < minStd < maxStd/);
  });
});
