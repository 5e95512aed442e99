import * as K from '@twist/kernels';
import type { Conv2dOptions, GruSaved, RngKey, Tensor } from '@twist/kernels';
import { defineMultiOp, defineOp } from '../op.js';
import { stopGradient, type Var } from '../var.js';

// LayerNorm over the last axis: y = (x - mean) * rstd * gamma + beta. The forward keeps mean and rstd.
const layerNormOp = defineOp<{ eps: number; affine: boolean }, { mean: Tensor; rstd: Tensor }>('layerNorm', {
  forward: ([x, gamma, beta], p) => {
    const { y, mean, rstd } = K.layerNorm(x, p.affine ? gamma : null, p.affine ? beta : null, p.eps);
    return { y, saved: { mean, rstd } };
  },
  backward: (dy, { inputs: [x, gamma], saved, params: p, needs }) => {
    const { dx, dgamma, dbeta } = K.layerNormBackward(dy, x, p.affine ? gamma : null, saved.mean, saved.rstd);
    if (!needs[1]) dgamma?.dispose();
    if (!needs[2]) dbeta?.dispose();
    return [dx, needs[1] ? dgamma : null, needs[2] ? dbeta : null];
  },
});
export function layerNorm(x: Var, gamma: Var | null, beta: Var | null, eps = 1e-3): Var {
  if ((gamma === null) !== (beta === null)) throw new Error('layerNorm: gamma and beta must both be given or both be null');
  return gamma && beta ? layerNormOp([x, gamma, beta], { eps, affine: true }) : layerNormOp([x], { eps, affine: false });
}

// DreamerV2's LayerNorm GRU cell, fused (see @twist/kernels gru/): one forward and one backward op.
const gruOp = defineOp<K.GruParams, GruSaved>('gruCell', {
  forward: ([x, h, wx, wh, gamma, beta], p) => {
    const r = K.gruCell(x, h, wx, wh, gamma, beta, p);
    return { y: r.h, saved: r.saved };
  },
  backward: (dy, { inputs: [x, h, wx, wh, gamma], saved, needs, acc, accBox, defer }) => {
    const into = (i: number) => (needs[i] ? acc[i] : null);
    // h's gradient so far as a box (the stacked states' gradient): added to dh by the kernel
    const box = needs[1] && !acc[1] ? accBox[1] : null;
    if (box) box.used = true;
    const dhAddend = box && { x: box.x, offset: box.offset, rowStride: box.rowStride };
    const rest = { dx: into(0), dh: into(1), dgamma: into(4), dbeta: into(5), dhAddend };
    // both weights' terms x^T dpre, h^T dpre held back to be summed over all steps (Deferral)
    if (needs[2] && needs[3] && defer.deferrable([2, 3], x.shape[0])) {
      const g = K.gruCellBackwardNoWeights(dy, saved, x, h, wx, wh, gamma, rest);
      defer.defer(g.dpre, [
        { input: 2, x },
        { input: 3, x: h },
      ]);
      g.dpre.dispose();
      return [g.dx, g.dh, null, null, g.dgamma, g.dbeta].map((t, i) => {
        if (!t || needs[i]) return t;
        t.dispose();
        return null;
      });
    }
    const g = K.gruCellBackward(dy, saved, x, h, wx, wh, gamma, { ...rest, dWx: into(2), dWh: into(3) });
    const all = [g.dx, g.dh, g.dWx, g.dWh, g.dgamma, g.dbeta];
    return all.map((t, i) => {
      if (needs[i]) return t;
      t.dispose();
      return null;
    });
  },
});
export function gruCell(x: Var, h: Var, wx: Var, wh: Var, gamma: Var, beta: Var, opts: K.GruParams = {}): Var {
  return gruOp([x, h, wx, wh, gamma, beta], opts);
}

// Straight-through categorical sample: forward a one-hot sample, backward the gradient of the probabilities.
const stOp = defineOp<{ unimix: number; key: RngKey }, Tensor>('categoricalSample', {
  forward: ([logits], p) => {
    const { sample, probs } = K.categoricalSample(logits, { unimix: p.unimix, key: p.key });
    return { y: sample, saved: probs };
  },
  backward: (dy, { saved: probs, params: p }) => [K.categoricalSampleGrad(dy, probs, p.unimix)],
});
export const categoricalSample = (logits: Var, key: RngKey, unimix = 0) => stOp([logits], { unimix, key });

// KL(p || q) summed over the last two axes (variables x classes).
const klOp = defineOp<{ unimix: number }>('categoricalKL', {
  forward: ([p, q], { unimix }) => ({ y: K.categoricalKL(p, q, unimix) }),
  backward: (dy, { inputs: [p, q], params: { unimix }, needs }) => {
    const { dp, dq } = K.categoricalKLGrad(dy, p, q, needs[0] ? 1 : 0, needs[1] ? 1 : 0, unimix);
    return [dp, dq];
  },
});
/** KL(p || q) between categoricals given logits [..., vars, classes]; result [...]. */
export const categoricalKL = (pLogits: Var, qLogits: Var, unimix = 0) => klOp([pLogits, qLogits], { unimix });

const entOp = defineOp<{ unimix: number }>('categoricalEntropy', {
  forward: ([l], { unimix }) => ({ y: K.categoricalEntropy(l, unimix) }),
  // H = -sum_c p_c log p_c with p = (1 - u) softmax(l) + u / C. dH/dp_c = -(log p_c + 1); the +1 vanishes in
  // the softmax Jacobian (it sums to zero along a row), so dH/dl = (1 - u) * s * (g - sum(g * s)), g = -log p.
  backward: (dy, { inputs: [l], params: { unimix } }) => [
    K.scope(() => {
      const s = K.softmax(l);
      const p = unimix > 0 ? K.affine(s, 1 - unimix, unimix / l.shape[l.shape.length - 1]) : s;
      const g = K.mul(K.neg(K.log(p)), dy.reshape([...dy.shape, 1, 1]));
      const dl = K.softmaxGrad(s, g);
      return unimix > 0 ? K.affine(dl, 1 - unimix) : dl;
    }),
  ],
});
/** Entropy of categoricals given logits [..., vars, classes], summed over variables; result [...]. */
export const categoricalEntropy = (logits: Var, unimix = 0) => entOp([logits], { unimix });

export interface KLBalanceOptions {
  /** Weight of the prior-side gradient (DreamerV2: 0.8); the posterior side gets 1 - balance. */
  balance?: number;
  /** Free nats: the loss is max(mean KL, free), so no gradient while the mean KL is below it (DreamerV2: 1.0). */
  free?: number;
  unimix?: number;
}

/**
 * DreamerV2's balanced KL loss with free nats averaged over the batch:
 *   loss = (1 - a) * max(mean KL(post || sg(prior)), free) + a * max(mean KL(sg(post) || prior), free)
 * Both terms have the same value, so the forward is max(mean KL, free); the backward sends a share a of the
 * gradient to the prior logits and 1 - a to the posterior logits, and nothing when the mean KL is below free.
 * Returns the loss (scalar) and the mean KL (for logging, no gradient): the rule's two outputs.
 */
const klBalancedOp = defineMultiOp<Required<KLBalanceOptions>, { kl: Tensor; meanKL: Tensor }>('klBalanced', {
  forward: ([post, prior], p) => {
    const kl = K.categoricalKL(post, prior, p.unimix);
    const meanKL = K.mean(kl);
    const y = K.scope(() => K.maximum(meanKL, K.full(meanKL.device, [], p.free)));
    return { ys: [y, meanKL.reshape([])], saved: { kl, meanKL } };
  },
  // the mean KL output is for logging: a gradient reaching it (dys[1]) is not passed on
  backward: ([dy], { inputs: [post, prior], saved: { kl, meanKL }, params: p, needs }) => {
    if (!dy) return [null, null];
    const dkl = K.scope(() => {
      const gate = K.binary(meanKL, K.full(meanKL.device, [], p.free), 'greater');
      const g = K.affine(K.mul(gate, dy.reshape([])), 1 / Math.max(1, kl.size));
      return K.broadcastTo(g, kl.shape);
    });
    const { dp, dq } = K.categoricalKLGrad(dkl, post, prior, needs[0] ? 1 - p.balance : 0, needs[1] ? p.balance : 0, p.unimix);
    dkl.dispose();
    return [dp, dq];
  },
});

export function klBalanced(post: Var, prior: Var, opts: KLBalanceOptions = {}): { loss: Var; meanKL: Var } {
  const p = { balance: opts.balance ?? 0.8, free: opts.free ?? 1.0, unimix: opts.unimix ?? 0 };
  if (!(p.balance >= 0 && p.balance <= 1)) throw new Error(`klBalanced: balance must be in [0, 1], got ${p.balance}`);
  if (!(p.free >= 0)) throw new Error(`klBalanced: free nats must be >= 0, got ${p.free}`);
  const [loss, meanKL] = klBalancedOp([post, prior], p);
  return { loss, meanKL: stopGradient(meanKL) };
}

// Convolutions, NHWC.
const conv2dOp = defineOp<Conv2dOptions>('conv2d', {
  forward: ([x, w, b], p) => ({ y: K.conv2d(x, w, b ?? null, p) }),
  backward: (dy, { inputs: [x, w, b], params: p, needs }) => [
    needs[0] ? K.conv2dBackwardInput(dy, w, x.shape, p) : null,
    needs[1] ? K.conv2dBackwardFilter(x, dy, w.shape, p) : null,
    b && needs[2] ? K.biasGradNHWC(dy) : null,
  ],
});
export const conv2d = (x: Var, w: Var, bias: Var | null, opts: Conv2dOptions = {}) => conv2dOp(bias ? [x, w, bias] : [x, w], opts);

type ConvTOptions = Conv2dOptions & { outputPadding?: number };
const convT2dOp = defineOp<ConvTOptions>('convTranspose2d', {
  forward: ([x, w, b], p) => ({ y: K.convTranspose2d(x, w, b ?? null, p) }),
  backward: (dy, { inputs: [x, w, b], params: p, needs }) => [
    needs[0] ? K.convTranspose2dBackwardInput(dy, w, x.shape, p) : null,
    needs[1] ? K.convTranspose2dBackwardFilter(x, dy, w.shape, p) : null,
    b && needs[2] ? K.biasGradNHWC(dy) : null,
  ],
});
export const convTranspose2d = (x: Var, w: Var, bias: Var | null, opts: ConvTOptions = {}) =>
  convT2dOp(bias ? [x, w, bias] : [x, w], opts);
