import { assertDType } from '../core/dtype.js';
import { fmt } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import './optim-kernel.js';
import { SUMSQ_CHUNK, type ClipScaleParams, type SumsqFinalParams, type SumsqPartialParams } from './optim-kernel.js';

/**
 * sum over all tensors of sum(x^2), as an f32 tensor of shape [1] left on the device (the squared global norm).
 * One partial-sum dispatch per non-empty tensor (each workgroup reduces 4096 elements into its slot of one
 * shared partials buffer) plus one final reduce; the order is fixed, so the result is deterministic.
 */
export function sumOfSquares(xs: readonly Tensor[]): Tensor {
  const op = 'sumOfSquares';
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`${op}: xs must be a non-empty array of tensors, got ${Array.isArray(xs) ? '[]' : String(xs)}`);
  const list: readonly Tensor[] = xs;
  const device = list[0].device;
  let total = 0;
  const groups = list.map((t, i) => {
    assertDType(op, `xs[${i}]`, 'f32', t.dtype);
    if (t.device !== device) throw new Error(`${op}: xs[${i}] is on ${t.device.label}, expected ${device.label} (that of xs[0])`);
    t.storage(op);
    const g = Math.ceil(t.size / SUMSQ_CHUNK);
    total += g;
    return g;
  });
  const partials = empty(device, [total], 'f32');
  let base = 0;
  list.forEach((t, i) => {
    if (groups[i] === 0) return;
    const p: SumsqPartialParams = { n: t.size, base, groups: groups[i] };
    device.run('optim_sumsq_partial', [t], [partials], p);
    base += groups[i];
  });
  const y = empty(device, [1], 'f32');
  const q: SumsqFinalParams = { m: total };
  device.run('optim_sumsq_final', [partials], [y], q);
  partials.dispose();
  return y;
}

/** The global-norm clipping factor min(1, maxNorm / (sqrt(sumSq) + 1e-6)) as a [1] tensor, computed on the device. */
export function clipScale(sumSq: Tensor, maxNorm: number): Tensor {
  const op = 'clipScale';
  assertDType(op, 'sumSq', 'f32', sumSq.dtype);
  if (sumSq.size !== 1) throw new Error(`${op}: sumSq must have exactly 1 element, got shape ${fmt(sumSq.shape)}`);
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) throw new Error(`${op}: maxNorm must be a finite number > 0, got ${maxNorm}`);
  const y = empty(sumSq.device, [1], 'f32');
  const p: ClipScaleParams = { maxNorm };
  sumSq.device.run('optim_clip_scale', [sumSq], [y], p);
  return y;
}
