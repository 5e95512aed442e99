import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import * as K from '@twist/kernels';
import type { RngKey } from '@twist/kernels';
import type { ActionDist } from './action-dist.js';
import { checkEvent, checkLike, sizeOfShape } from './util.js';

/**
 * DreamerV2's discrete action distribution (`common/dists.py OneHotDist`): a categorical over the last axis of
 * `logits` [..., A] with one-hot samples.
 *
 * - sample(key): one-hot, straight-through gradient (sample + probs - sg(probs)); row r uses element r of
 *   randomUniform(device, [rows], key) (autograd's categoricalSample).
 * - mode(): the one-hot of the first arg max (no gradient, as V2's mode).
 * - logProb(onehot) = sum(onehot * logSoftmax(logits)), entropy(): over the last axis, with gradients to the logits.
 */
export class OneHotDist implements ActionDist {
  readonly shape: readonly number[];

  constructor(readonly logits: Var) {
    checkEvent('OneHotDist', 'logits', logits);
    this.shape = logits.shape;
  }

  /** Philox stream elements one sample of this shape draws (one uniform per row of the last axis). */
  static rowsUsed(shape: readonly number[]): number {
    return sizeOfShape(shape.slice(0, -1));
  }

  get rowsUsed(): number {
    return OneHotDist.rowsUsed(this.shape);
  }

  sample(key: RngKey): Var {
    return A.categoricalSample(this.logits, key);
  }

  mode(): Var {
    const l = this.logits.value;
    const C = this.shape[this.shape.length - 1];
    const y = K.scope(() => {
      const top = K.binary(l, K.max(l, -1, true), 'equal'); // 1 at every maximum of a row
      const rank = K.tensor(l.device, Float32Array.from({ length: C }, (_, c) => C - c), [C]); // earlier class, higher rank
      const score = K.mul(top, rank);
      return K.binary(score, K.max(score, -1, true), 'equal'); // the first maximum only
    });
    return A.constant(y);
  }

  logProb(x: Var): Var {
    checkLike('OneHotDist.logProb', 'x', x, this.shape, this.logits, 'logits');
    return A.categoricalLogProb(this.logits, x, 0);
  }

  entropy(): Var {
    const lead = this.shape.slice(0, -1);
    const C = this.shape[this.shape.length - 1];
    return A.categoricalEntropy(A.reshape(this.logits, [...lead, 1, C]));
  }
}
