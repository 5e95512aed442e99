import { describe, expect, test } from 'vitest';
import {
  SIGMOIDS,
  tolerance,
  toleranceEach,
  type Sigmoid,
} from '../src/tasks/tolerance.js';
import { cartpoleReward } from '../src/tasks/cartpole.js';
import { ballInCupReward } from '../src/tasks/ball-in-cup.js';
import { cheetahReward } from '../src/tasks/cheetah.js';
import { walkerReward } from '../src/tasks/walker.js';
import { hopperStandReward } from '../src/tasks/hopper.js';
import { fingerTurnReward } from '../src/tasks/finger.js';
import { blockPushReward } from '../src/tasks/block-push.js';

// Hand-computed values of dm_control's rewards.tolerance at distance 0.5 margins (x = 1.5, bounds [0, 1],
// margin 1) with value_at_margin 0.1; derivations of dm_control's `_sigmoids` in closed form.
const AT_HALF_MARGIN: Record<Sigmoid, number> = {
  gaussian: 0.5623413251903491, // exp(-0.5 (0.5 sqrt(-2 ln 0.1))^2) = 0.1^(0.25)
  hyperbolic: 0.42640143271122083, // 1 / cosh(0.5 acosh(10))
  long_tail: 0.3076923076923077, // 1 / (0.25 * 9 + 1) = 1 / 3.25
  reciprocal: 0.18181818181818182, // 1 / (0.5 * 9 + 1) = 1 / 5.5
  cosine: 0.658113883008419, // (1 + cos(0.5 acos(-0.8))) / 2 = (1 + sqrt(0.1)) / 2
  linear: 0.55, // 1 - 0.5 * 0.9
  quadratic: 0.775, // 1 - 0.25 * 0.9
  tanh_squared: 0.4805061467040842, // 1 - tanh(0.5 atanh(sqrt(0.9)))^2
};

describe('tolerance (dm_control rewards.tolerance)', () => {
  test('1 inside the bounds, for every sigmoid', () => {
    for (const sigmoid of SIGMOIDS) {
      expect(tolerance(0.3, { bounds: [0, 1], margin: 1, sigmoid })).toBe(1);
      expect(tolerance(0, { bounds: [0, 1], margin: 1, sigmoid })).toBe(1);
      expect(tolerance(1, { bounds: [0, 1], margin: 1, sigmoid })).toBe(1);
    }
  });

  test('hand-computed values half a margin outside, both sides', () => {
    for (const sigmoid of SIGMOIDS) {
      const want = AT_HALF_MARGIN[sigmoid];
      expect(tolerance(1.5, { bounds: [0, 1], margin: 1, sigmoid, valueAtMargin: 0.1 })).toBeCloseTo(want, 12);
      // below the lower bound, margin 2: distance 1 / 2 = 0.5 margins
      expect(tolerance(-1, { bounds: [0, 1], margin: 2, sigmoid, valueAtMargin: 0.1 })).toBeCloseTo(want, 12);
    }
  });

  test('equals valueAtMargin at one margin (dm_control rewards_test property)', () => {
    for (const sigmoid of SIGMOIDS) {
      for (const v of [0.1, 0.5, 0.9]) {
        expect(tolerance(3, { bounds: [-1, 1], margin: 2, sigmoid, valueAtMargin: v })).toBeCloseTo(v, 12);
      }
    }
  });

  test('finite-support sigmoids reach 0 beyond their support; the others stay positive', () => {
    expect(tolerance(3, { bounds: [0, 0], margin: 1, sigmoid: 'linear', valueAtMargin: 0 })).toBe(0);
    expect(tolerance(3, { bounds: [0, 0], margin: 1, sigmoid: 'quadratic', valueAtMargin: 0 })).toBe(0);
    expect(tolerance(2, { bounds: [0, 0], margin: 1, sigmoid: 'cosine', valueAtMargin: 0.1 })).toBe(0);
    expect(tolerance(2, { bounds: [0, 0], margin: 1, sigmoid: 'linear', valueAtMargin: 0.1 })).toBe(0); // 1 - 2 * 0.9 < 0 -> 0
    expect(tolerance(2, { margin: 1 })).toBeCloseTo(1e-4, 15); // gaussian: 0.1^(2^2)
  });

  test('defaults: bounds [0, 0], margin 0 (indicator), gaussian, valueAtMargin 0.1', () => {
    expect(tolerance(0)).toBe(1);
    expect(tolerance(1e-9)).toBe(0);
    expect(tolerance(0.5, { margin: 1 })).toBeCloseTo(0.5623413251903491, 12);
    expect(tolerance(5, { bounds: [1, Infinity] })).toBe(1);
    expect(tolerance(0.99, { bounds: [1, Infinity] })).toBe(0);
  });

  test('cheetah-style linear with valueAtMargin 0 is speed / 10', () => {
    const o = { bounds: [10, Infinity] as const, margin: 10, valueAtMargin: 0, sigmoid: 'linear' as const };
    expect(tolerance(5, o)).toBeCloseTo(0.5, 14);
    expect(tolerance(2.5, o)).toBeCloseTo(0.25, 14);
    expect(tolerance(0, o)).toBe(0);
    expect(tolerance(-3, o)).toBe(0);
    expect(tolerance(11, o)).toBe(1);
  });

  test('toleranceEach maps over a vector', () => {
    expect(toleranceEach([0, 0.5, 1], { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' })).toEqual([1, 0.75, 0]);
  });

  test('invalid arguments throw like dm_control, naming the valid choices', () => {
    expect(() => tolerance(0, { bounds: [1, 0] })).toThrow(/lower bound must be <= upper bound/);
    expect(() => tolerance(0, { margin: -1 })).toThrow(/margin must be non-negative/);
    expect(() => tolerance(2, { margin: 1, valueAtMargin: 0 })).toThrow(/valueAtMargin must be in \(0, 1\) for sigmoid 'gaussian'/);
    expect(() => tolerance(2, { margin: 1, valueAtMargin: 1, sigmoid: 'linear' })).toThrow(/\[0, 1\)/);
    expect(() => tolerance(2, { margin: 1, sigmoid: 'sigmoidal' as Sigmoid })).toThrow(
      /unknown sigmoid 'sigmoidal'; valid sigmoids: gaussian, hyperbolic, long_tail, reciprocal, cosine, linear, quadratic, tanh_squared/,
    );
  });
});

describe('task rewards against hand-computed values', () => {
  const g = 0.5623413251903491; // gaussian tolerance half a margin out (0.1^0.25)

  test('cartpole (smooth)', () => {
    expect(cartpoleReward(0, 1, 0, 0)).toBe(1);
    // upright 0.5; centered (1 + g) / 2; small_control (4 + 0.75) / 5 = 0.95; small_velocity (1 + g) / 2
    expect(cartpoleReward(1, 0, 2.5, 0.5)).toBeCloseTo(0.5 * 0.95 * ((1 + g) / 2) ** 2, 12);
    expect(cartpoleReward(1, 0, 2.5, 0.5)).toBeCloseTo(0.2898581119472074, 12);
    // hanging down: upright 0
    expect(cartpoleReward(0, -1, 0, 0)).toBe(0);
    // full control: small_control = 4/5
    expect(cartpoleReward(0, 1, 0, 1)).toBeCloseTo(0.8, 14);
  });

  test('ball in cup (sparse in-target)', () => {
    expect(ballInCupReward(0, 0)).toBe(1);
    expect(ballInCupReward(0.02, -0.02)).toBe(1); // |d| < 0.05 - 0.025
    expect(ballInCupReward(0.026, 0)).toBe(0);
    expect(ballInCupReward(0, 0.03)).toBe(0);
  });

  test('cheetah run', () => {
    expect(cheetahReward(5)).toBeCloseTo(0.5, 14);
    expect(cheetahReward(10)).toBe(1);
    expect(cheetahReward(15)).toBe(1);
    expect(cheetahReward(-1)).toBe(0);
  });

  test('walker walk', () => {
    expect(walkerReward(1.3, 1, 1.5)).toBe(1);
    // standing = g (0.3 below 1.2 with margin 0.6), upright 0.5, move = 1 - 0.5 * 0.5 = 0.75 (linear, 0.5 at margin)
    expect(walkerReward(0.9, 0, 0.75)).toBeCloseTo((((3 * g + 0.5) / 4) * (5 * 0.75 + 1)) / 6, 12);
    expect(walkerReward(0.9, 0, 0.75)).toBeCloseTo(0.43284849516510304, 12);
    // no speed: move = 0 (linear: 1 - 2 * 0.5 = 0), reward = stand / 6
    expect(walkerReward(1.3, 1, 0)).toBeCloseTo(1 / 6, 14);
  });

  test('hopper stand', () => {
    expect(hopperStandReward(0.7, [0, 0, 0, 0])).toBe(1);
    // tolerances 0, 0.75, 1, 1 -> mean 0.6875 -> (0.6875 + 4) / 5
    expect(hopperStandReward(0.7, [1, 0.5, 0, 0])).toBeCloseTo(0.9375, 14);
    expect(hopperStandReward(0.5, [0, 0, 0, 0])).toBe(0);
    expect(hopperStandReward(2.5, [0, 0, 0, 0])).toBe(0);
  });

  test('finger turn', () => {
    expect(fingerTurnReward(-0.01)).toBe(1);
    expect(fingerTurnReward(0)).toBe(1);
    expect(fingerTurnReward(0.001)).toBe(0);
  });

  test('block push (dense, shaped)', () => {
    expect(blockPushReward(0.02, 0.01)).toEqual({ reach: 1, push: 1, reward: 1 });
    // reach: 0.1 past 0.035 with margin 0.25 -> 0.4 margins, gaussian 0.1^0.16; push: 0.15 past 0.02 with margin
    // 0.3 -> 0.5 margins, long_tail 1 / 3.25
    const p = blockPushReward(0.135, 0.17);
    expect(p.reach).toBeCloseTo(0.1 ** 0.16, 12);
    expect(p.push).toBeCloseTo(1 / 3.25, 12);
    expect(p.reward).toBeCloseTo(0.3845200403376335, 12);
  });
});
