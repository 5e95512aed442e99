import { assertDType } from '../core/dtype.js';
import { fmt, sameShape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import './optim-kernel.js';
import type { AdamGateParams, AdamParams } from './optim-kernel.js';

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
  const c = checkStep(op, param, grad, m, v, cfg, scale, 'scale');
  if (scale && scale.size !== 1) throw new Error(`${op}: scale must have exactly 1 element, got shape ${fmt(scale.shape)}`);
  if (!Number.isInteger(step) || step < 1) throw new Error(`${op}: step must be an integer >= 1, got ${step}`);
  if (param.size === 0) return;
  const p: AdamParams = {
    n: param.size,
    lr: c.lr,
    b1: c.beta1,
    b2: c.beta2,
    eps: c.eps,
    wd: c.weightDecay,
    bc1: 1 - Math.pow(c.beta1, step),
    bc2: 1 - Math.pow(c.beta2, step),
    mode: scale ? 'scaled' : 'plain',
  };
  param.device.run('optim_adam', scale ? [grad, scale] : [grad], [param, m, v], p);
}

/** Options of adamGate; beta1 and beta2 must be those the step's adamStepGated calls use. */
export interface AdamGateConfig {
  /** global-norm clipping threshold; 0, null or undefined = no clipping */
  maxNorm?: number | null;
  /** default 0.9 */
  beta1?: number;
  /** default 0.999 */
  beta2?: number;
}

/**
 * The gate of one guarded Adam step, computed on the device from the squared global gradient norm (one
 * single-invocation dispatch, no readback). counters is the optimiser's i32 [3] tensor [applied, skipped,
 * consecutive skipped], updated in place:
 *   sumSq finite:  applied += 1 (= t), consecutive = 0; gate = [min(1, maxNorm / (sqrt(sumSq) + 1e-6)) or 1, 1,
 *                  1 - beta1^t, 1 - beta2^t]
 *   NaN or +-Inf:  skipped += 1, consecutive += 1; gate = [0, 0, 1, 1], and every adamStepGated reading this gate
 *                  leaves its param, m and v bit-identical.
 * So a skipped step advances neither the moments nor the bias-correction step. A global norm above ~1.8e19
 * overflows the f32 sum of squares and counts as non-finite too. Returns the gate, f32 [4].
 */
export function adamGate(sumSq: Tensor, counters: Tensor, cfg: AdamGateConfig = {}): Tensor {
  const op = 'adamGate';
  assertDType(op, 'sumSq', 'f32', sumSq.dtype);
  assertDType(op, 'counters', 'i32', counters.dtype);
  if (sumSq.size !== 1) throw new Error(`${op}: sumSq must have exactly 1 element, got shape ${fmt(sumSq.shape)}`);
  if (counters.size !== 3) throw new Error(`${op}: counters must have exactly 3 elements [applied, skipped, consecutive], got shape ${fmt(counters.shape)}`);
  if (counters.device !== sumSq.device) throw new Error(`${op}: counters is on ${counters.device.label}, expected ${sumSq.device.label} (that of sumSq)`);
  if (counters.storage(op) === sumSq.storage(op)) throw new Error(`${op}: sumSq and counters must be distinct tensors, got the same storage`);
  const c = checkGateConfig(op, cfg);
  const gate = empty(sumSq.device, [4], 'f32');
  const p: AdamGateParams = { maxNorm: c.maxNorm, b1: c.beta1, b2: c.beta2 };
  sumSq.device.run('optim_adam_gate', [sumSq], [counters, gate], p);
  return gate;
}

/** Validates a gate config; returns it with defaults (maxNorm 0 = no clipping). */
export function checkGateConfig(op: string, cfg: AdamGateConfig): { maxNorm: number; beta1: number; beta2: number } {
  const { maxNorm, beta1 = 0.9, beta2 = 0.999 } = cfg ?? {};
  if (maxNorm !== null && maxNorm !== undefined && maxNorm !== 0 && !(Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new Error(`${op}: cfg.maxNorm must be a finite number > 0 (or 0/null for no clipping), got ${maxNorm}`);
  }
  if (!(beta1 >= 0 && beta1 < 1)) throw new Error(`${op}: cfg.beta1 must be in [0, 1), got ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new Error(`${op}: cfg.beta2 must be in [0, 1), got ${beta2}`);
  return { maxNorm: maxNorm ?? 0, beta1, beta2 };
}

/**
 * adamStep driven by a gate from adamGate instead of a host step count: the clipping factor and the bias
 * corrections come from the gate, and when the gate says the step is skipped the dispatch writes nothing.
 * One fused dispatch, in place on param, m and v; cfg's betas must be those given to adamGate.
 */
export function adamStepGated(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, gate: Tensor, cfg: AdamConfig): void {
  const op = 'adamStepGated';
  const c = checkStep(op, param, grad, m, v, cfg, gate, 'gate');
  if (gate.size !== 4) throw new Error(`${op}: gate must have exactly 4 elements (from adamGate), got shape ${fmt(gate.shape)}`);
  if (param.size === 0) return;
  const p: AdamParams = { n: param.size, lr: c.lr, b1: c.beta1, b2: c.beta2, eps: c.eps, wd: c.weightDecay, bc1: 1, bc2: 1, mode: 'gated' };
  param.device.run('optim_adam', [grad, gate], [param, m, v], p);
}

/** The checks shared by adamStep and adamStepGated; returns cfg with defaults. */
function checkStep(op: string, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, cfg: AdamConfig, extra: Tensor | null, extraName: string): Required<AdamConfig> {
  const named: [string, Tensor][] = [['param', param], ['grad', grad], ['m', m], ['v', v]];
  if (extra) named.push([extraName, extra]);
  for (const [what, t] of named) {
    assertDType(op, what, 'f32', t.dtype);
    if (t.device !== param.device) throw new Error(`${op}: ${what} is on ${t.device.label}, expected ${param.device.label} (that of param)`);
  }
  for (const [what, t] of named.slice(1, 4)) {
    if (!sameShape(t.shape, param.shape)) throw new Error(`${op}: ${what} must have shape ${fmt(param.shape)} (that of param), got ${fmt(t.shape)}`);
  }
  // In-place update: an output bound twice, or also as an input, would be a WebGPU usage conflict.
  const storages = named.map(([what, t]) => [what, t.storage(op)] as const);
  for (let a = 0; a < storages.length; a++) {
    for (let b = a + 1; b < storages.length; b++) {
      if (storages[a][1] === storages[b][1]) {
        throw new Error(`${op}: ${storages[a][0]} and ${storages[b][0]} must be distinct tensors (not views of one storage), got the same storage`);
      }
    }
  }
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = cfg ?? ({} as AdamConfig);
  const checks: [string, number, boolean, string][] = [
    ['lr', lr, Number.isFinite(lr) && lr >= 0, 'a finite number >= 0'],
    ['beta1', beta1, beta1 >= 0 && beta1 < 1, 'in [0, 1)'],
    ['beta2', beta2, beta2 >= 0 && beta2 < 1, 'in [0, 1)'],
    ['eps', eps, Number.isFinite(eps) && eps >= 0, 'a finite number >= 0'],
    ['weightDecay', weightDecay, Number.isFinite(weightDecay) && weightDecay >= 0, 'a finite number >= 0'],
  ];
  for (const [what, val, ok, want] of checks) if (!ok) throw new Error(`${op}: cfg.${what} must be ${want}, got ${val}`);
  return { lr, beta1, beta2, eps, weightDecay };
}
