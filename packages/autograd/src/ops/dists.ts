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

/** DreamerV2's actor head: mean = tanh(m), std = (maxStd - minStd) sigmoid(s / 2) + minStd from out = [m | s]. */
interface HeadParams extends Bounds {
  clip: number;
  minStd: number;
  maxStd: number;
}

const headSampleOp = defineOp<HeadParams>('truncNormalHeadSample', {
  forward: ([out, u], p) => ({ y: K.truncNormalHeadSample(u, out, p) }),
  backward: (dy, { inputs: [out, u], params: p, needs, acc }) => [needs[0] ? K.truncNormalHeadSampleGrad(dy, u, out, p, acc[0]) : null, null],
});

/**
 * truncNormalSample on the actor head's mean and std (see HeadParams), from the head's output out [..., 2A]
 * directly: one fused kernel forward and one backward (the gradient lands in out, added in place into its
 * gradient so far), instead of the split, tanh, scale, sigmoid and affine ops and their gradients. u [..., A].
 */
export const truncNormalHeadSample = (out: Var, u: Var, opts: { lo?: number; hi?: number; clip?: number; minStd: number; maxStd: number }) =>
  headSampleOp([out, u], { lo: opts.lo ?? -1, hi: opts.hi ?? 1, clip: opts.clip ?? 0, minStd: opts.minStd, maxStd: opts.maxStd });

const headEntropyOp = defineOp<HeadParams>('truncNormalHeadEntropy', {
  forward: ([out], p) => ({ y: K.truncNormalHeadEntropy(out, p) }),
  backward: (dy, { inputs: [out], params: p, acc }) => [K.truncNormalHeadEntropyGrad(dy, out, p, acc[0])],
});

/** truncNormalEntropy on the actor head's mean and std, from out [..., 2A] directly (fused, as truncNormalHeadSample). */
export const truncNormalHeadEntropy = (out: Var, opts: { lo?: number; hi?: number; minStd: number; maxStd: number }) =>
  headEntropyOp([out], { lo: opts.lo ?? -1, hi: opts.hi ?? 1, clip: 0, minStd: opts.minStd, maxStd: opts.maxStd });
