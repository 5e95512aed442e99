import * as K from '@twist/kernels';
import { defineOp } from '../op.js';
import type { Var } from '../var.js';
import { reduceTo } from './elementwise.js';

interface MatmulParams {
  transA: boolean;
  transB: boolean;
}

/**
 * y = op(A) @ op(B) (+ bias), op = identity or transpose of the last two axes, batch dims broadcast.
 * Backward (dy = dL/dy), for y = A B:      dA = dy B^T,   dB = A^T dy
 *                      for y = A^T B:    dA = B dy^T,   dB = A dy
 *                      for y = A B^T:    dA = dy B,     dB = dy^T A
 *                      for y = A^T B^T:  dA = B^T dy^T, dB = dy^T A^T
 * each reduced over broadcast batch dims; dbias = sum of dy over all rows.
 */
const matmulOp = defineOp<MatmulParams>('matmul', {
  forward: ([a, b, bias], p) => ({ y: K.matmul(a, b, { transA: p.transA, transB: p.transB, bias }) }),
  backward: (dy, { inputs: [a, b, bias], params: { transA, transB }, needs }) => {
    const ga = needs[0]
      ? K.scope(() => {
          const g = !transA
            ? K.matmul(dy, b, { transB: !transB })
            : K.matmul(b, dy, { transA: transB, transB: true });
          return reduceTo(g, a.shape);
        })
      : null;
    const gb = needs[1]
      ? K.scope(() => {
          const g = !transB
            ? K.matmul(a, dy, { transA: !transA })
            : K.matmul(dy, a, { transA: true, transB: transA });
          return reduceTo(g, b.shape);
        })
      : null;
    const gbias = bias && needs[2] ? K.sumTo(dy, bias.shape) : null;
    return [ga, gb, gbias];
  },
});

export function matmul(a: Var, b: Var, opts: { transA?: boolean; transB?: boolean; bias?: Var | null } = {}): Var {
  const p = { transA: !!opts.transA, transB: !!opts.transB };
  return matmulOp(opts.bias ? [a, b, opts.bias] : [a, b], p);
}

