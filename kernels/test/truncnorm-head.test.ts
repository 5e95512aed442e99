import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  add,
  affine,
  concat,
  randomUniform,
  scope,
  sigmoid,
  slice,
  tanh,
  tensor,
  truncNormalEntropy,
  truncNormalEntropyGrad,
  truncNormalHeadEntropy,
  truncNormalHeadEntropyGrad,
  truncNormalHeadSample,
  truncNormalHeadSampleGrad,
  truncNormalSample,
  truncNormalSampleGrad,
  unaryGrad,
  type Device,
  type Tensor,
} from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray } from './harness.js';

/**
 * The truncnorm kernels with DreamerV2's actor head fused in, against the unfused composition they replace (kept
 * as the reference): mean = tanh(m), std = span sigmoid(0.5 s) + minStd by the unary kernels from the two halves
 * of out, then truncNormalSample / -Entropy; gradients by truncNormal*Grad chained through unaryGrad, the halves
 * concatenated. The CPU references take the same f32 steps: bit for bit. On the GPU the fused shader may
 * contract a multiply-add into an fma where the unary kernel does not (and vice versa), a rounding of the
 * std (~1 ulp) that the sample and entropy pass on amplified by at most their condition number: 1e-5 relative.
 */
const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);
const bits = async (t: Tensor) => {
  const a = (await t.toArray()) as Float32Array;
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
};

function unfused(out: Tensor, minStd: number, maxStd: number) {
  const [rows, two] = out.shape;
  const A = two / 2;
  const m = slice(out, [0, 0], [rows, A]);
  const s = slice(out, [0, A], [rows, A]);
  const half = affine(s, 0.5, 0);
  const sg = sigmoid(half);
  return { m, s, half, sg, mean: tanh(m), std: affine(sg, maxStd - minStd, minStd) };
}

/** d/d out of a loss with gradients dmean, dstd w.r.t. the head's mean and std, by the unfused rules. */
function unfusedGrad(h: ReturnType<typeof unfused>, dmean: Tensor, dstd: Tensor, span: number): Tensor {
  const dm = unaryGrad(h.m, dmean, 'tanh');
  const dsg = unaryGrad(h.sg, dstd, 'affine', span); // affine's gradient: dy * p0
  const dhalf = unaryGrad(h.half, dsg, 'sigmoid');
  return concat([dm, unaryGrad(h.s, dhalf, 'affine', 0.5)], 1);
}

const opts = fc.record({ minStd: fc.constantFrom(0.1, 0.2), spanExtra: fc.constantFrom(2, 0.8), clip: fc.constantFrom(0, 1e-6) });

describe('truncnorm with the actor head fused equals the unfused head then truncnorm (every backend)', () => {
  test.prop([fc.constantFrom<number>(1, 2, 3, 7, 64, 257), fc.constantFrom<number>(1, 2, 3, 6), opts, fc.constantFrom(2, 8, 30), fc.integer()], { numRuns: 30 })(
    'sample, entropy and their gradients',
    async (rows, A, o, amp, seed) => {
      const minStd = o.minStd;
      const maxStd = minStd + o.spanExtra;
      const hopts = { minStd, maxStd, clip: o.clip };
      const outData = randomArray(rows * 2 * A, seed, -amp, amp); // amp 30: saturated tanh and sigmoid too
      for (const d of await devices()) {
        const what = `${d.backend} [${rows},${2 * A}] amp ${amp} ${JSON.stringify(o)}`;
        const exact = d === cpu;
        const cmp = async (got: Tensor, want: Tensor, w: string) => {
          if (exact) expect(await bits(got), `${w}, ${what}`).toEqual(await bits(want));
          else expectClose((await got.toArray()) as Float32Array, (await want.toArray()) as Float32Array, { atol: 1e-5, rtol: 1e-5 }, `${w}, ${what}`);
        };
        // Everything recorded first (synchronously, in a scope), compared after.
        const r = scope(() => {
          const out = tensor(d, outData, [rows, 2 * A]);
          const u = randomUniform(d, [rows, A], { seed: seed & 0xffff, offset: 3 });
          const h = unfused(out, minStd, maxStd);
          const n0 = d.stats().dispatches;
          const x = truncNormalHeadSample(u, out, hopts);
          const ent = truncNormalHeadEntropy(out, hopts);
          const count = d.stats().dispatches - n0;
          const dx = tensor(d, randomArray(rows * A, seed + 1, -2, 2), [rows, A]);
          const dh = tensor(d, randomArray(rows, seed + 2, -2, 2), [rows]);
          const gs = truncNormalSampleGrad(dx, u, h.mean, h.std);
          const ge = truncNormalEntropyGrad(dh, h.mean, h.std);
          const dOut = truncNormalHeadSampleGrad(dx, u, out, hopts);
          const pairs: [string, Tensor, Tensor][] = [
            ['sample', x, truncNormalSample(u, h.mean, h.std, { clip: o.clip })],
            ['entropy', ent, truncNormalEntropy(h.mean, h.std)],
            ['sample grad', dOut, unfusedGrad(h, gs.dmean, gs.dstd, maxStd - minStd)],
            ['entropy grad', truncNormalHeadEntropyGrad(dh, out, hopts), unfusedGrad(h, ge.dmean, ge.dstd, maxStd - minStd)],
          ];
          // accumulated in place: the entropy's gradient added into (a copy of) the sample's, as add would
          const acc = truncNormalHeadSampleGrad(dx, u, out, hopts);
          const sum = add(acc, truncNormalHeadEntropyGrad(dh, out, hopts));
          const same = truncNormalHeadEntropyGrad(dh, out, hopts, acc) === acc;
          return { pairs, count, acc, sum, same };
        });
        expect(r.count).toBe(2);
        expect(r.same).toBe(true);
        for (const [w, got, want] of r.pairs) await cmp(got, want, w);
        expect(await bits(r.acc), `in place, ${what}`).toEqual(await bits(r.sum));
        for (const t of [...r.pairs.flatMap((q) => [q[1], q[2]]), r.acc, r.sum]) t.dispose();
      }
    },
  );

  it('rejects an odd head, bad stds and mismatched shapes, naming the op', () => {
    const out = tensor(cpu, new Float32Array(6), [2, 3]);
    expect(() => truncNormalHeadEntropy(out, { minStd: 0.1, maxStd: 2.1 })).toThrow(/truncNormalHeadEntropy: out must have shape \[\.\.\., 2A\] with A >= 1/);
    const ok = tensor(cpu, new Float32Array(8), [2, 4]);
    expect(() => truncNormalHeadEntropy(ok, { minStd: 0.5, maxStd: 0.1 })).toThrow(/truncNormalHeadEntropy: stds must be finite with 0 < minStd < maxStd, got minStd=0.5, maxStd=0.1/);
    expect(() => truncNormalHeadSample(tensor(cpu, new Float32Array(3), [3]), ok, { minStd: 0.1, maxStd: 2.1 })).toThrow(/truncNormalHeadSample: u must have shape \[2,2\], got \[3\]/);
    expect(() => truncNormalHeadSample(tensor(cpu, new Float32Array(4), [2, 2]), ok, { minStd: 0.1, maxStd: 2.1, clip: 2 })).toThrow(/truncNormalHeadSample: clip must be a number in \[0, \(hi - lo\) \/ 2\)/);
  });
});
