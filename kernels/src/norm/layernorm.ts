import { assertDType } from '../core/dtype.js';
import { fmt } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { rowThreads, type LayerNormBackwardParams, type LayerNormParamGradParams, type LayerNormParams } from './layernorm-kernel.js';
import './layernorm-kernel.js';

function checkTensor(op: string, what: string, t: Tensor, device: Tensor['device']): void {
  t.storage(op);
  assertDType(op, what, 'f32', t.dtype);
  if (t.device !== device) throw new Error(`${op}: ${what} must be on the same device as x (${device.label}), got ${t.device.label}`);
}

function checkVector(op: string, what: string, t: Tensor, n: number, device: Tensor['device']): void {
  checkTensor(op, what, t, device);
  if (t.rank !== 1 || t.shape[0] !== n) throw new Error(`${op}: ${what} must have shape [${n}], got ${fmt(t.shape)}`);
}

function rowsCols(op: string, x: Tensor): [number, number] {
  if (x.rank < 1) throw new Error(`${op}: x must have rank >= 1 (normalised over its last axis), got ${fmt(x.shape)}`);
  const cols = x.shape[x.rank - 1];
  if (cols < 1) throw new Error(`${op}: the last axis of x must be >= 1, got ${fmt(x.shape)}`);
  return [x.size / cols, cols];
}

/**
 * LayerNorm over the last axis: y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps) with the biased
 * variance (as Keras / PyTorch). gamma and beta are [cols] or null (then omitted). eps defaults to 1e-3, Keras'
 * LayerNormalization default that DreamerV2 uses. mean and rstd are f32 [rows] (rows = size / cols), kept for
 * the backward. One dispatch.
 */
export function layerNorm(x: Tensor, gamma: Tensor | null, beta: Tensor | null, eps = 1e-3): { y: Tensor; mean: Tensor; rstd: Tensor } {
  const op = 'layerNorm';
  checkTensor(op, 'x', x, x.device);
  const [rows, cols] = rowsCols(op, x);
  if (gamma) checkVector(op, 'gamma', gamma, cols, x.device);
  if (beta) checkVector(op, 'beta', beta, cols, x.device);
  if (!(eps >= 0 && Number.isFinite(eps))) throw new Error(`${op}: eps must be a finite number >= 0, got ${eps}`);
  const y = empty(x.device, x.shape, 'f32');
  const mean = empty(x.device, [rows], 'f32');
  const rstd = empty(x.device, [rows], 'f32');
  const params: LayerNormParams = { rows, cols, eps, hasGamma: !!gamma, hasBeta: !!beta, tpr: rowThreads(rows, cols) };
  x.device.run('layernorm', [x, gamma ?? x, beta ?? x], [y, mean, rstd], params);
  return { y, mean, rstd };
}

/**
 * Gradients of layerNorm given dy (shaped as x) and the forward's mean and rstd:
 *   dx = rstd * (dn - mean(dn) - n * mean(dn * n)),  n = (x - mean) * rstd, dn = dy * gamma
 *   dgamma = sum over rows of dy * n,  dbeta = sum over rows of dy
 * With gamma null (a non-affine LayerNorm) dgamma and dbeta are null, unless `withParams` asks for them (then
 * dgamma is the gradient a gamma of ones would get). Two dispatches with parameters, one without.
 */
export function layerNormBackward(
  dy: Tensor,
  x: Tensor,
  gamma: Tensor | null,
  mean: Tensor,
  rstd: Tensor,
  withParams: boolean = gamma !== null,
): { dx: Tensor; dgamma: Tensor | null; dbeta: Tensor | null } {
  const op = 'layerNormBackward';
  checkTensor(op, 'x', x, x.device);
  checkTensor(op, 'dy', dy, x.device);
  const [rows, cols] = rowsCols(op, x);
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`${op}: dy must have the shape of x ${fmt(x.shape)}, got ${fmt(dy.shape)}`);
  }
  if (gamma) checkVector(op, 'gamma', gamma, cols, x.device);
  checkVector(op, 'mean', mean, rows, x.device);
  checkVector(op, 'rstd', rstd, rows, x.device);
  const dx = empty(x.device, x.shape, 'f32');
  const bp: LayerNormBackwardParams = { rows, cols, hasGamma: !!gamma, tpr: rowThreads(rows, cols) };
  x.device.run('layernorm_backward', [dy, x, gamma ?? x, mean, rstd], [dx], bp);
  if (!withParams) return { dx, dgamma: null, dbeta: null };
  const dgamma = empty(x.device, [cols], 'f32');
  const dbeta = empty(x.device, [cols], 'f32');
  const pp: LayerNormParamGradParams = { rows, cols };
  x.device.run('layernorm_param_grad', [dy, x, mean, rstd], [dgamma, dbeta], pp);
  return { dx, dgamma, dbeta };
}
