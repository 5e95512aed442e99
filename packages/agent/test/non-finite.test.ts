import { describe, expect, it } from 'vitest';
import { LossWatch } from '../src/node.js';

describe('LossWatch', () => {
  it('returns the non-finite losses of a row, ignores gradient norms, and throws only at the limit in a row', () => {
    const w = new LossWatch(3);
    expect(w.observe({ loss: 1, gradNorm: Infinity }, 'update 1', '/ck')).toEqual([]);
    expect(w.observe({ loss: NaN, rewardLoss: 0.5 }, 'update 2', '/ck')).toEqual(['loss = NaN']);
    expect(w.observe({ loss: Infinity }, 'update 3', '/ck')).toEqual(['loss = Infinity']);
    expect(w.observe({ loss: 2 }, 'update 4', '/ck')).toEqual([]); // a finite row resets the streak
    w.observe({ loss: NaN }, 'update 5', '/ck');
    w.observe({ klLoss: -Infinity }, 'update 6', '/ck');
    expect(() => w.observe({ loss: NaN, klLoss: 1 }, 'update 7, env step 70', '/run/ckpt')).toThrow(
      /^non-finite loss = NaN at update 7, env step 70 \(3 logged updates in a row\); the last good checkpoint is in \/run\/ckpt$/,
    );
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new LossWatch(0)).toThrow(/limit must be an integer >= 1, got 0/);
  });
});
