import { describe, expect, it } from 'vitest';
import { tensor, type Device, type Tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import type { Var } from '../src/index.js';
import { cpu, gpu, hasGpu, randomArray } from './harness.js';

/**
 * grad() lets a rule add its contribution into an input's gradient so far: in place when that gradient is grad()'s
 * alone (matmul, GRU, bias), or, when it is still a box of a concat's (stack's) gradient, as the addend of the
 * rule's matmul or of the GRU's last kernel, also through reshapes that are the box's only way on. With two
 * contributions per Var the sum is one f32 addition whichever way it is made, so the gradients are bit-identical
 * to the reference graph, where an exact identity op (x * 1) keeps every contribution a separate tensor added by
 * add / sliceAdd; the fused path records no add and no sliceAdd.
 */
const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);
const bits = async (t: Tensor) => {
  const a = (await t.toArray()) as Float32Array;
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
};

/** Runs f, counting the dispatches of the named kernels. */
function counting<T>(d: Device, names: string[], f: () => T): { r: T; n: number } {
  const run = d.run.bind(d);
  let n = 0;
  d.run = (name, ...rest) => {
    if (names.includes(name)) n++;
    return run(name, ...rest);
  };
  try {
    return { r: f(), n };
  } finally {
    d.run = run;
  }
}

describe('gradients added by the rules themselves', () => {
  it('a recurrence whose states are stacked and feed a matmul and the next GRU step: bit-identical, no add', async () => {
    const [B, I, H, T] = [3, 5, 7, 4];
    for (const d of await devices()) {
      const build = (identity: boolean) => {
        const ctx = { device: d, seed: 3 };
        const gru = new A.GRUCell(ctx, I, H);
        const w = A.variable(tensor(d, randomArray(H * 8, 1), [H, 8]));
        const x = A.constant(tensor(d, randomArray(B * I, 2), [B, I]));
        const id = (v: Var) => (identity ? A.mul(v, A.constant(tensor(d, [1], [1]))) : v);
        let h: Var = A.constant(tensor(d, new Float32Array(B * H), [B, H]));
        const hs: Var[] = [];
        const ys: Var[] = [];
        for (let t = 0; t < T; t++) {
          h = gru.forward(x, t === 0 ? h : id(h));
          hs.push(h);
          // a reshape on the way, as an RSSM flattens its stochastic state
          ys.push(A.matmul(A.reshape(id(h), [B, H]), w));
        }
        const r1 = A.constant(tensor(d, randomArray(B * T * H, 4), [B, T, H]));
        const r2 = A.constant(tensor(d, randomArray(B * 8, 5), [B, 8]));
        const loss = A.add(A.sum(A.mul(A.stack(hs, 1), r1)), A.sum(A.mul(A.weightedSum(ys.map((y) => [y, 1] as [Var, number])), r2)));
        const params = [...gru.parameters(), w];
        const { r: gs, n } = counting(d, ['binary', 'layout_slice_add'], () => A.grad(loss, params));
        return { gs, n };
      };
      const ref = build(true);
      const got = build(false);
      for (let i = 0; i < ref.gs.length; i++) expect(await bits(got.gs[i]), `${d.backend} gradient ${i}`).toEqual(await bits(ref.gs[i]));
      // the reference's x * 1 cost their own mul gradients, and their boxes a sliceAdd each
      expect(ref.n, d.backend).toBeGreaterThan(2 * T);
      // only weightedSum's scaled adds of the loss remain (binary ops of the loss itself), no accumulation
      expect(got.n, d.backend).toBeLessThanOrEqual(T + 2);
    }
  });
});

describe('weight gradients held back and summed over all uses in one matmul', () => {
  it('a weight and bias used at T steps of a few rows: one concat of the inputs and of the gradients, one matmul, one sum', async () => {
    const [T, M, Kd, N] = [9, 5, 7, 6];
    for (const d of await devices()) {
      const xs = Array.from({ length: T }, (_, t) => randomArray(M * Kd, 10 + t));
      const rs = Array.from({ length: T }, (_, t) => randomArray(M * N, 50 + t));
      const w = A.variable(tensor(d, randomArray(Kd * N, 1), [Kd, N]));
      const b = A.variable(tensor(d, randomArray(N, 2), [N]));
      const terms = xs.map((x, t): [Var, number] => [A.sum(A.mul(A.linear(A.constant(tensor(d, x, [M, Kd])), w, { bias: b }), A.constant(tensor(d, rs[t], [M, N])))), 1]);
      const loss = A.weightedSum(terms);
      const { r: gs, n } = counting(d, ['matmul'], () => A.grad(loss, [w, b]));
      expect(n, `${d.backend}: one matmul for dW (the inputs need no gradient)`).toBe(1);
      // f64 oracle: dW = sum_t x_t^T r_t, db = sum_t sum_rows r_t
      const dW = new Float64Array(Kd * N);
      const db = new Float64Array(N);
      for (let t = 0; t < T; t++)
        for (let m = 0; m < M; m++)
          for (let n2 = 0; n2 < N; n2++) {
            db[n2] += rs[t][m * N + n2];
            for (let k = 0; k < Kd; k++) dW[k * N + n2] += xs[t][m * Kd + k] * rs[t][m * N + n2];
          }
      const close = (got: Float32Array, want: Float64Array, what: string) => {
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${d.backend} ${what}[${i}]`).toBeLessThan(1e-5 * (1 + Math.abs(want[i])));
      };
      close((await gs[0].toArray()) as Float32Array, dW, 'dW');
      close((await gs[1].toArray()) as Float32Array, db, 'db');
    }
  });
});
