/**
 * Gradient rules of DreamerV2's truncated normal (fused kernels in @twist/kernels truncnorm/; the maths, the
 * implicit-differentiation gradient of the sample and the tail numerics are documented there).
 */
import * as K from '@twist/kernels';
import { defineOp } from '../op.js';
import type { Var } from '../var.js';

interface Bounds {
  lo: number;
  hi: number;
}

/** Splits { dmean, dstd } into the rule's [mean, std] gradients, disposing the ones not needed. */
function pick(g: { dmean: K.Tensor; dstd: K.Tensor }, needs: boolean[]): [K.Tensor | null, K.Tensor | null] {
  if (!needs[0]) g.dmean.dispose();
  if (!needs[1]) g.dstd.dispose();
  return [needs[0] ? g.dmean : null, needs[1] ? g.dstd : null];
}

const sampleOp = defineOp<Bounds & { clip: number }>('truncNormalSample', {
  forward: ([mean, std, u], p) => ({ y: K.truncNormalSample(u, mean, std, p) }),
  backward: (dy, { inputs: [mean, std, u], params: p, needs }) => [...pick(K.truncNormalSampleGrad(dy, u, mean, std, p), needs), null],
});

/**
 * Reparameterised samples of TN(mean, std; lo, hi) at the uniforms u (the inverse truncated CDF), clamped to
 * [lo + clip, hi - clip] with a straight-through gradient. Gradients reach mean and std (implicit
 * differentiation); u is data (no gradient). mean, std, u: one shape.
 */
export const truncNormalSample = (mean: Var, std: Var, u: Var, lo = -1, hi = 1, clip = 0) => sampleOp([mean, std, u], { lo, hi, clip });

const logProbOp = defineOp<Bounds>('truncNormalLogProb', {
  forward: ([mean, std, x], p) => ({ y: K.truncNormalLogProb(x, mean, std, p) }),
  backward: (dy, { inputs: [mean, std, x], params: p, needs }) => [...pick(K.truncNormalLogProbGrad(dy, x, mean, std, p), needs), null],
});

/** log p(x) of TN(mean, std; lo, hi) summed over the last axis: [..., A] -> [...]. x is data (no gradient). */
export const truncNormalLogProb = (mean: Var, std: Var, x: Var, lo = -1, hi = 1) => logProbOp([mean, std, x], { lo, hi });

const entropyOp = defineOp<Bounds>('truncNormalEntropy', {
  forward: ([mean, std], p) => ({ y: K.truncNormalEntropy(mean, std, p) }),
  backward: (dy, { inputs: [mean, std], params: p, needs }) => pick(K.truncNormalEntropyGrad(dy, mean, std, p), needs),
});

/** Entropy of TN(mean, std; lo, hi) summed over the last axis: [..., A] -> [...]. */
export const truncNormalEntropy = (mean: Var, std: Var, lo = -1, hi = 1) => entropyOp([mean, std], { lo, hi });
