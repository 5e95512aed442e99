import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { scope, tensor, type Device, type Tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import type { Var } from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray } from './harness.js';

/**
 * The fused linear op (one matmul with a bias-or-addend and activation epilogue; backward: the activation's and
 * the bias's gradients in one dispatch, dx and dW added into the gradients so far in place) against the unfused
 * composition it replaces, kept as the reference: matmul (+ bias) or sliceAdd of the addend box, then the
 * activation; gradients through the plain rules with add accumulation. On awkward shapes, with the weight used
 * several times (as an RNN's weights are), on every backend. The forward, dx, dW and the addend's gradient are
 * the same f32 operations in the same order: bit for bit. The bias gradient sums the same values in another
 * order (one kernel's column sums instead of the reduce kernel's): within f32 rounding of the sum of |terms|.
 */
const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);
const bits = async (t: Tensor) => {
  const a = (await t.toArray()) as Float32Array;
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
};

type Act = 'elu' | 'silu' | 'tanh' | 'relu' | 'sigmoid' | 'none';
const dim = fc.constantFrom<number>(1, 2, 3, 7, 16, 33, 65);

describe('linear (fused) equals matmul + bias + activation (every backend)', () => {
  test.prop([dim, dim, dim, fc.constantFrom<Act>('elu', 'silu', 'tanh', 'relu', 'sigmoid', 'none'), fc.constantFrom<'bias' | 'addend' | 'none'>('bias', 'bias', 'addend', 'none'), fc.integer({ min: 1, max: 3 }), fc.integer()], {
    numRuns: 30,
  })('forward and gradients over a weight used `uses` times', async (M, K, N, act, extra, uses, seed) => {
    const T = 3;
    for (const d of await devices()) {
      const run = (fused: boolean) =>
        scope(() => {
          const xs = Array.from({ length: uses }, (_, u) => A.variable(tensor(d, randomArray(M * K, seed + u, -2, 2), [M, K])));
          const w = A.variable(tensor(d, randomArray(K * N, seed + 10, -1, 1), [K, N]));
          const b = A.variable(tensor(d, randomArray(N, seed + 11, -1, 1), [N]));
          const D = A.variable(tensor(d, randomArray(M * T * N, seed + 12, -1, 1), [M, T, N]));
          const outs = xs.map((x, u) => {
            const t = u % T;
            if (fused) return A.linear(x, w, { act, ...(extra === 'bias' ? { bias: b } : extra === 'addend' ? { addend: { x: D, begin: [0, t, 0] } } : {}) });
            let y = A.matmul(x, w, extra === 'bias' ? { bias: b } : {});
            if (extra === 'addend') y = A.sliceAdd(y, D, [0, t, 0], [M, 1, N]);
            return A.activation(y, act);
          });
          // every use feeds the next one's input too where shapes allow, so gradients meet several ways
          const r = A.constant(tensor(d, randomArray(M * N, seed + 13), [M, N]));
          const loss = A.sum(A.mul(outs.reduce((a, y) => A.add(a, y)), r));
          const params: Var[] = [...xs, w, ...(extra === 'bias' ? [b] : extra === 'addend' ? [D] : [])];
          const gs = A.grad(loss, params);
          return { y: outs.map((o) => o.value), gs };
        });
      const want = run(false);
      const got = run(true);
      const what = `${d.backend} [${M},${K}]x[${K},${N}] ${act} ${extra} x${uses}`;
      for (let u = 0; u < uses; u++) expect(await bits(got.y[u]), `y ${u}, ${what}`).toEqual(await bits(want.y[u]));
      for (let i = 0; i < got.gs.length; i++) {
        const isBias = extra === 'bias' && i === got.gs.length - 1;
        if (!isBias) expect(await bits(got.gs[i]), `grad ${i}, ${what}`).toEqual(await bits(want.gs[i]));
        else expectClose((await got.gs[i].toArray()) as Float32Array, (await want.gs[i].toArray()) as Float32Array, { atol: 1e-5 * M * uses, rtol: 1e-5 }, `bias grad, ${what}`);
      }
    }
  });

  it('costs one dispatch forward and three backward (activation + bias, dx, dW), adds included', async () => {
    for (const d of await devices()) {
      scope(() => {
        const x = A.variable(tensor(d, randomArray(8 * 5, 1), [8, 5]));
        const w1 = A.variable(tensor(d, randomArray(5 * 6, 2), [5, 6]));
        const w2 = A.variable(tensor(d, randomArray(6 * 6, 4), [6, 6]));
        const b = A.variable(tensor(d, randomArray(6, 3), [6])); // shared by both layers
        const n0 = d.stats().dispatches;
        const h = A.linear(A.linear(x, w1, { bias: b, act: 'elu' }), w2, { bias: b, act: 'elu' });
        expect(d.stats().dispatches - n0, `${d.backend} forward`).toBe(2);
        const loss = A.sum(h);
        const n1 = d.stats().dispatches;
        A.grad(loss, [x, w1, w2, b]);
        // the loss seed and sum's broadcast, then per layer: epilogue grad, dx, dW (b's second gradient in place)
        expect(d.stats().dispatches - n1, `${d.backend} backward`).toBe(2 + 3 + 3);
      });
    }
  });

  it('rejects bad shapes and options, naming the op', () => {
    const x = A.constant(tensor(cpu, new Float32Array(6), [2, 3]));
    const w = A.constant(tensor(cpu, new Float32Array(12), [3, 4]));
    expect(() => A.linear(A.reshape(x, [6]), w)).toThrow(/linear: x and w must have rank 2/);
    expect(() => A.linear(x, w, { act: 'gelu' as never })).toThrow(/linear: act must be one of none, elu, silu, relu, tanh, sigmoid, got 'gelu'/);
    const D = A.constant(tensor(cpu, new Float32Array(2 * 3 * 4), [2, 3, 4]));
    expect(() => A.linear(x, w, { addend: { x: D, begin: [0, 3, 0] } })).toThrow(/linear: the addend box of size \[2,1,4\] at \[0,3,0\] must lie inside the addend \[2,3,4\]/);
    expect(() => A.linear(x, w, { bias: A.constant(tensor(cpu, new Float32Array(4))), addend: { x: D, begin: [0, 0, 0] } })).toThrow(/linear: give a bias or an addend, not both/);
  });
});
