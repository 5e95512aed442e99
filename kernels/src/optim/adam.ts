import { assertDType } from '../core/dtype.js';
import { fmt, sameShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import './optim-kernel.js';
import type { AdamParams } from './optim-kernel.js';

export interface AdamConfig {
  lr: number;
  /** default 0.9 */
  beta1?: number;
  /** default 0.999 */
  beta2?: number;
  /** default 1e-8 (DreamerV2's model optimiser uses 1e-5) */
  eps?: number;
  /** decoupled (AdamW) weight decay, default 0 (DreamerV2 uses 1e-6) */
  weightDecay?: number;
}

/**
 * One Adam(W) step, in place on param, m and v (one fused dispatch; they are bound only as outputs):
 *   g = grad * scale[0];  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   mhat = m / (1 - b1^step);  vhat = v / (1 - b2^step)
 *   param -= lr * (mhat / (sqrt(vhat) + eps) + weightDecay * param)
 * step counts from 1. scale is an optional [1] tensor (the clipScale factor), read on the device.
 */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: number, cfg: AdamConfig, scale: Tensor | null = null): void {
  const op = 'adamStep';
  const named: [string, Tensor][] = [['param', param], ['grad', grad], ['m', m], ['v', v]];
  if (scale) named.push(['scale', scale]);
  for (const [what, t] of named) {
    assertDType(op, what, 'f32', t.dtype);
    if (t.device !== param.device) throw new Error(`${op}: ${what} is on ${t.device.label}, expected ${param.device.label} (that of param)`);
  }
  for (const [what, t] of named.slice(1, 4)) {
    if (!sameShape(t.shape, param.shape)) throw new Error(`${op}: ${what} must have shape ${fmt(param.shape)} (that of param), got ${fmt(t.shape)}`);
  }
  if (scale && scale.size !== 1) throw new Error(`${op}: scale must have exactly 1 element, got shape ${fmt(scale.shape)}`);
  // In-place update: an output bound twice, or also as an input, would be a WebGPU usage conflict.
  const storages = named.map(([what, t]) => [what, t.storage(op)] as const);
  for (let a = 0; a < storages.length; a++) {
    for (let b = a + 1; b < storages.length; b++) {
      if (storages[a][1] === storages[b][1]) {
        throw new Error(`${op}: ${storages[a][0]} and ${storages[b][0]} must be distinct tensors (not views of one storage), got the same storage`);
      }
    }
  }
  if (!Number.isInteger(step) || step < 1) throw new Error(`${op}: step must be an integer >= 1, got ${step}`);
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = cfg ?? ({} as AdamConfig);
  const checks: [string, number, boolean, string][] = [
    ['lr', lr, Number.isFinite(lr) && lr >= 0, 'a finite number >= 0'],
    ['beta1', beta1, beta1 >= 0 && beta1 < 1, 'in [0, 1)'],
    ['beta2', beta2, beta2 >= 0 && beta2 < 1, 'in [0, 1)'],
    ['eps', eps, Number.isFinite(eps) && eps >= 0, 'a finite number >= 0'],
    ['weightDecay', weightDecay, Number.isFinite(weightDecay) && weightDecay >= 0, 'a finite number >= 0'],
  ];
  for (const [what, val, ok, want] of checks) if (!ok) throw new Error(`${op}: cfg.${what} must be ${want}, got ${val}`);
  if (param.size === 0) return;
  const p: AdamParams = {
    n: param.size,
    lr,
    b1: beta1,
    b2: beta2,
    eps,
    wd: weightDecay,
    bc1: 1 - Math.pow(beta1, step),
    bc2: 1 - Math.pow(beta2, step),
    scaled: scale !== null,
  };
  param.device.run('optim_adam', scale ? [grad, scale] : [grad], [param, m, v], p);
}
