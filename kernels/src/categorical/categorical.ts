import { assertDType } from '../core/dtype.js';
import { fmt, sameShape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { rngWords, type RngKey } from '../rng/rng.js';
import type { GroupParams, KLGradParams, SampleGradParams, SampleParams } from './categorical-kernel.js';
import './categorical-kernel.js';
import { unimixFixed, weightBits } from './sampler.js';

export interface CategoricalOptions {
  /** Mix with the uniform distribution: probs = (1 - unimix) softmax(logits) + unimix / C (0 <= unimix < 1; default 0). */
  unimix?: number;
  /** The stream of the row uniforms: row r uses element r of randomUniform(device, [rows], key). */
  key: RngKey;
}

function checkUnimix(op: string, unimix: number): void {
  if (typeof unimix !== 'number' || !(unimix >= 0 && unimix < 1)) {
    throw new Error(`${op}: unimix must be a number in [0, 1), got ${String(unimix)}`);
  }
}

/** Validates f32 logits of rank >= minRank with a last axis >= 1; returns C and the row count. */
function rowsOf(op: string, what: string, t: Tensor, minRank: number): { C: number; rows: number } {
  assertDType(op, what, 'f32', t.dtype);
  if (t.rank < minRank) {
    throw new Error(`${op}: ${what} must have rank >= ${minRank} ([...${minRank > 1 ? ', V' : ''}, C]), got shape ${fmt(t.shape)}`);
  }
  const C = t.shape[t.rank - 1];
  if (C < 1) throw new Error(`${op}: ${what} must have a last axis (classes) >= 1, got shape ${fmt(t.shape)}`);
  return { C, rows: t.size / C };
}

function checkSame(op: string, what: string, a: Tensor, b: Tensor, bName: string): void {
  if (a.device !== b.device) throw new Error(`${op}: ${what} and ${bName} must be on the same device, got ${a.device.label} and ${b.device.label}`);
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: ${bName} must have the shape of ${what} ${fmt(a.shape)}, got ${fmt(b.shape)}`);
}

/**
 * Straight-through categorical sampling, forward (one dispatch, one thread per row of the last axis).
 * probs = (1 - unimix) softmax(logits) + unimix / C over the last axis; sample is one-hot (f32, same shape),
 * the inverse CDF at the row's uniform u_r = element r of randomUniform(device, [rows], key). The decision is
 * computed in integers (sampler.ts) and is bit-identical on every backend; its weights match the f32 probs to
 * about 1e-5 relative (unimix quantised to 2^-24).
 */
export function categoricalSample(logits: Tensor, opts: CategoricalOptions): { sample: Tensor; probs: Tensor } {
  const op = 'categoricalSample';
  if (opts === null || typeof opts !== 'object') throw new Error(`${op}: opts must be { key, unimix? }, got ${String(opts)}`);
  const unimix = opts.unimix ?? 0;
  checkUnimix(op, unimix);
  const { C, rows } = rowsOf(op, 'logits', logits, 1);
  const words = rngWords(op, opts.key);
  const sample = empty(logits.device, logits.shape, 'f32');
  const probs = empty(logits.device, logits.shape, 'f32');
  const params: SampleParams = { rows, C, q: weightBits(C), M: unimixFixed(unimix), unimix, ...words };
  logits.device.run('categorical_sample', [logits], [sample, probs], params);
  return { sample, probs };
}

/**
 * Backward of sample + probs - stopgrad(probs): dlogits = (dprobs/dlogits)^T dSample
 * = (1 - unimix) s * (dSample - <s, dSample>) with s = softmax(logits) = (probs - unimix/C) / (1 - unimix).
 * One dispatch, one thread per row.
 */
export function categoricalSampleGrad(dSample: Tensor, probs: Tensor, unimix = 0): Tensor {
  const op = 'categoricalSampleGrad';
  checkUnimix(op, unimix);
  const { C, rows } = rowsOf(op, 'probs', probs, 1);
  assertDType(op, 'dSample', 'f32', dSample.dtype);
  checkSame(op, 'probs', probs, dSample, 'dSample');
  const dx = empty(probs.device, probs.shape, 'f32');
  const params: SampleGradParams = { rows, C, unimix };
  probs.device.run('categorical_sample_grad', [dSample, probs], [dx], params);
  return dx;
}

function groupsOf(op: string, what: string, t: Tensor): { V: number; C: number; groups: number; outShape: number[] } {
  const { C } = rowsOf(op, what, t, 2);
  const V = t.shape[t.rank - 2];
  const outShape = t.shape.slice(0, -2);
  return { V, C, groups: outShape.reduce((a, d) => a * d, 1), outShape };
}

/**
 * KL(p || q) between categoricals given logits over the last axis (unimix, when given, mixed into both),
 * summed over the last two axes: [..., V, C] -> [...]. One dispatch, one workgroup per output.
 */
export function categoricalKL(pLogits: Tensor, qLogits: Tensor, unimix = 0): Tensor {
  const op = 'categoricalKL';
  checkUnimix(op, unimix);
  const { V, C, groups, outShape } = groupsOf(op, 'pLogits', pLogits);
  assertDType(op, 'qLogits', 'f32', qLogits.dtype);
  checkSame(op, 'pLogits', pLogits, qLogits, 'qLogits');
  const kl = empty(pLogits.device, outShape, 'f32');
  const params: GroupParams = { groups, V, C, unimix };
  pLogits.device.run('categorical_kl', [pLogits, qLogits], [kl], params);
  return kl;
}

/**
 * Gradients of sum(dkl * KL(p || q)) w.r.t. pLogits (scaled by wP) and qLogits (scaled by wQ); a weight of 0
 * skips that output (null). DreamerV2 KL balancing: wP = 1 - alpha (posterior), wQ = alpha (prior).
 * One dispatch (none when both weights are 0), one thread per row.
 */
export function categoricalKLGrad(
  dkl: Tensor,
  pLogits: Tensor,
  qLogits: Tensor,
  wP: number,
  wQ: number,
  unimix = 0,
): { dp: Tensor | null; dq: Tensor | null } {
  const op = 'categoricalKLGrad';
  checkUnimix(op, unimix);
  if (!Number.isFinite(wP) || !Number.isFinite(wQ)) throw new Error(`${op}: weights must be finite numbers, got wP=${wP}, wQ=${wQ}`);
  const { V, C, outShape } = groupsOf(op, 'pLogits', pLogits);
  assertDType(op, 'qLogits', 'f32', qLogits.dtype);
  checkSame(op, 'pLogits', pLogits, qLogits, 'qLogits');
  assertDType(op, 'dkl', 'f32', dkl.dtype);
  if (dkl.device !== pLogits.device) throw new Error(`${op}: dkl and pLogits must be on the same device`);
  if (!sameShape(dkl.shape, outShape)) throw new Error(`${op}: dkl must have shape ${fmt(outShape)} (the logits' shape without the last two axes), got ${fmt(dkl.shape)}`);
  const hasP = wP !== 0;
  const hasQ = wQ !== 0;
  const dp = hasP ? empty(pLogits.device, pLogits.shape, 'f32') : null;
  const dq = hasQ ? empty(pLogits.device, pLogits.shape, 'f32') : null;
  if (!hasP && !hasQ) return { dp, dq };
  const params: KLGradParams = { rows: pLogits.size / C, V, C, unimix, wP, wQ, hasP, hasQ };
  const outs = [dp, dq].filter((t): t is Tensor => t !== null);
  pLogits.device.run('categorical_kl_grad', [dkl, pLogits, qLogits], outs, params);
  return { dp, dq };
}

/** Entropy of categoricals given logits over the last axis (with unimix), summed over the last two axes. One dispatch. */
export function categoricalEntropy(logits: Tensor, unimix = 0): Tensor {
  const op = 'categoricalEntropy';
  checkUnimix(op, unimix);
  const { V, C, groups, outShape } = groupsOf(op, 'logits', logits);
  const h = empty(logits.device, outShape, 'f32');
  const params: GroupParams = { groups, V, C, unimix };
  logits.device.run('categorical_entropy', [logits], [h], params);
  return h;
}
