import type { Var } from '../var.js';
import { add as addVar, addScalar, mul, scale, square, sub } from './elementwise.js';
import { logSoftmax, mean, sum } from './reduce.js';

/**
 * Squared error summed over the last `eventDims` axes and averaged over the rest: with eventDims = 3 on
 * [B, T, H, W, C] images this is DreamerV2's image loss -log N(x; mu, 1) up to the constant and the 1/2.
 * eventDims = 0 is the plain mean squared error.
 */
export function mse(pred: Var, target: Var, eventDims = 0): Var {
  sameShapes('mse', pred, target);
  const se = square(sub(pred, target));
  const r = se.shape.length;
  if (eventDims < 0 || eventDims > r) throw new Error(`mse: eventDims must be in 0..${r}, got ${eventDims}`);
  const summed = eventDims > 0 ? sum(se, [...Array(eventDims).keys()].map((i) => r - 1 - i)) : se;
  return mean(summed);
}

/**
 * Losses of two operands require equal shapes: broadcasting pred [4, 1] against target [4] would make a
 * [4, 4] error matrix and a silently wrong loss.
 */
function sameShapes(op: string, a: Var, b: Var): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: pred and target must have the same shape, got pred [${a.shape.join(',')}] and target [${b.shape.join(',')}] (reshape one explicitly)`);
  }
}

/** log N(x; mu, std) elementwise for a fixed std: -(x - mu)^2 / (2 std^2) - log(std) - log(2 pi) / 2. */
export function normalLogProb(x: Var, mu: Var, std = 1): Var {
  return addScalar(scale(square(sub(x, mu)), -0.5 / (std * std)), -Math.log(std) - 0.5 * Math.log(2 * Math.PI));
}

/** Mean of -log N(x; mu, 1) summed over the last eventDims axes, without its constant log(2 pi) / 2 per element: 0.5 (x - mu)^2 (DreamerV2's reward/decoder heads). */
export function gaussianNLL(pred: Var, target: Var, eventDims = 0): Var {
  return scale(mse(pred, target, eventDims), 0.5);
}

/** Weighted sum of scalar Vars (loss = sum_i w_i L_i). */
export function weightedSum(terms: readonly [Var, number][]): Var {
  let acc: Var | null = null;
  for (const [v, w] of terms) {
    const t = w === 1 ? v : scale(v, w);
    acc = acc ? addVar(acc, t) : t;
  }
  if (!acc) throw new Error('weightedSum: needs at least one term');
  return acc;
}

/**
 * log p(onehot) of categoricals given logits over the last axis: sum(onehot * logSoftmax(logits)) over the
 * last axis (and the `eventDims` axes before it, e.g. 1 for [.., vars, classes] latents).
 */
export function categoricalLogProb(logits: Var, onehot: Var, eventDims = 0): Var {
  sameShapes('categoricalLogProb', logits, onehot);
  const r = logits.shape.length;
  if (eventDims < 0 || eventDims >= r) throw new Error(`categoricalLogProb: eventDims must be in 0..${r - 1}, got ${eventDims}`);
  const axes = [...Array(eventDims + 1).keys()].map((i) => r - 1 - i);
  return sum(mul(onehot, logSoftmax(logits)), axes);
}
