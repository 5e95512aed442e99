import { assertDType } from '../core/dtype.js';
import { fmt, sameShape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import './head-kernel.js';
import type { HeadParams } from './head-kernel.js';
import type { TruncNormalSampleOptions } from './truncnorm.js';
import { truncNormalBounds } from './truncnorm.js';

/**
 * The truncated normal straight from DreamerV2's actor head (kernels that fuse it in, truncnorm-head.wgsl):
 * out [..., 2A] = [m | s] stands for mean = tanh(m), std = (maxStd - minStd) sigmoid(s / 2) + minStd, with the
 * unary kernels' expressions, so these equal truncNormalSample/-Entropy (and their gradients chained through
 * tanh, scale, sigmoid and affine) on those tensors, without forming them: one dispatch each, and the
 * gradients land in out's two halves.
 */
export interface TruncNormalHeadOptions extends TruncNormalSampleOptions {
  minStd: number;
  maxStd: number;
}

function headParams(op: string, out: Tensor, opts: TruncNormalHeadOptions, withClip: boolean): HeadParams & { lead: number[] } {
  const { lo, hi, clip } = truncNormalBounds(op, opts, withClip);
  assertDType(op, 'out', 'f32', out.dtype);
  out.storage(op);
  const two = out.rank >= 1 ? out.shape[out.rank - 1] : 0;
  if (out.rank < 1 || two < 2 || two % 2 !== 0) throw new Error(`${op}: out must have shape [..., 2A] with A >= 1 (mean and std pre-activations), got ${fmt(out.shape)}`);
  const { minStd, maxStd } = opts;
  if (!(Number.isFinite(minStd) && minStd > 0 && Number.isFinite(maxStd) && maxStd > minStd)) {
    throw new Error(`${op}: stds must be finite with 0 < minStd < maxStd, got minStd=${minStd}, maxStd=${maxStd}`);
  }
  const A = two / 2;
  const lead = out.shape.slice(0, -1);
  return { n: 0, A, lo, hi, clip, minStd, span: maxStd - minStd, acc: false, lead };
}

function like(op: string, what: string, t: Tensor, shape: readonly number[], ref: Tensor): void {
  assertDType(op, what, 'f32', t.dtype);
  t.storage(op);
  if (t.device !== ref.device) throw new Error(`${op}: ${what} must be on the device of out (${ref.device.label}), got ${t.device.label}`);
  if (!sameShape(t.shape, shape)) throw new Error(`${op}: ${what} must have shape ${fmt(shape)}, got ${fmt(t.shape)}`);
}

/** The gradient target: a new [..., 2A] tensor, or `into` (out's gradient so far), added into in place. */
function target(op: string, out: Tensor, into: Tensor | null, inputs: Tensor[]): Tensor {
  if (!into) return empty(out.device, out.shape, 'f32');
  like(op, 'into', into, out.shape, out);
  for (const t of inputs) if (t.storage(op).handle === into.storage(op).handle) throw new Error(`${op}: into must not share memory with an input`);
  return into;
}

/** Samples [..., A] at the uniforms u [..., A] (truncNormalSample on the head's mean and std). One dispatch. */
export function truncNormalHeadSample(u: Tensor, out: Tensor, opts: TruncNormalHeadOptions): Tensor {
  const op = 'truncNormalHeadSample';
  const { lead, ...p } = headParams(op, out, opts, true);
  const shape = [...lead, p.A];
  like(op, 'u', u, shape, out);
  const x = empty(out.device, shape, 'f32');
  if (x.size === 0) return x;
  out.device.run('truncnorm_head_sample', [u, out], [x], { ...p, n: x.size });
  return x;
}

/**
 * The gradient w.r.t. out [..., 2A] of sum(dx * truncNormalHeadSample(u, out)), straight through the clamp; added
 * into `into` in place when given (then returned). One dispatch.
 */
export function truncNormalHeadSampleGrad(dx: Tensor, u: Tensor, out: Tensor, opts: TruncNormalHeadOptions, into: Tensor | null = null): Tensor {
  const op = 'truncNormalHeadSampleGrad';
  const { lead, ...p } = headParams(op, out, opts, false);
  const shape = [...lead, p.A];
  like(op, 'u', u, shape, out);
  like(op, 'dx', dx, shape, out);
  const d = target(op, out, into, [dx, u, out]);
  if (u.size === 0) return d;
  out.device.run('truncnorm_head_sample_grad', [dx, u, out], [d], { ...p, n: u.size, acc: !!into });
  return d;
}

/** Entropy summed over the last axis, [...] (truncNormalEntropy on the head's mean and std). One dispatch. */
export function truncNormalHeadEntropy(out: Tensor, opts: TruncNormalHeadOptions): Tensor {
  const op = 'truncNormalHeadEntropy';
  const { lead, ...p } = headParams(op, out, opts, false);
  const h = empty(out.device, lead, 'f32');
  if (h.size === 0) return h;
  out.device.run('truncnorm_head_entropy', [out], [h], { ...p, n: h.size });
  return h;
}

/** The gradient w.r.t. out of sum(dh * truncNormalHeadEntropy(out)); added into `into` when given. One dispatch. */
export function truncNormalHeadEntropyGrad(dh: Tensor, out: Tensor, opts: TruncNormalHeadOptions, into: Tensor | null = null): Tensor {
  const op = 'truncNormalHeadEntropyGrad';
  const { lead, ...p } = headParams(op, out, opts, false);
  like(op, 'dh', dh, lead, out);
  const d = target(op, out, into, [dh, out]);
  const n = dh.size * p.A;
  if (n === 0) return d;
  out.device.run('truncnorm_head_entropy_grad', [dh, out], [d], { ...p, n, acc: !!into });
  return d;
}
