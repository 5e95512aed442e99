import * as K from '@twist/kernels';
import type { ObserveScanGrads, ObserveScanSaved, RngKey, ScanAct } from '@twist/kernels';
import { defineMultiOp } from '../op.js';
import type { Var } from '../var.js';

/** The inputs of observeScan, in the rule's input order (isFirst gets no gradient; h0, z0 last and optional). */
const NAMES = ['actIn', 'embIn', 'isFirst', 'wz', 'wx', 'wh', 'gamma', 'beta', 'wo', 'wp', 'bp', 'h0', 'z0'] as const;

export interface ObserveScanOptions {
  stoch: number;
  classes: number;
  act: ScanAct;
  unimix?: number;
  /** The RNG stream of step 0's samples; step t draws from offset key.offset + t * offsetStep. */
  key: RngKey;
  offsetStep: number;
  updateBias?: number;
  eps?: number;
}

type Tensors = { [k in (typeof NAMES)[number]]?: K.Tensor };
const named = (xs: K.Tensor[]): Tensors => Object.fromEntries(xs.map((x, i) => [NAMES[i], x]));
const kernelInputs = (t: Tensors): K.ObserveScanInputs => ({
  actIn: t.actIn!,
  embIn: t.embIn!,
  isFirst: t.isFirst!,
  wz: t.wz!,
  wx: t.wx!,
  wh: t.wh!,
  gamma: t.gamma!,
  beta: t.beta!,
  wo: t.wo!,
  wp: t.wp!,
  bp: t.bp!,
  h0: t.h0 ?? null,
  z0: t.z0 ?? null,
});

// The RSSM posterior scan as one rule with two outputs, deter and stoch (see @twist/kernels scan/).
const scanOp = defineMultiOp<ObserveScanOptions, ObserveScanSaved>('observeScan', {
  forward: (xs, p) => {
    const r = K.observeScan(kernelInputs(named(xs)), p);
    return { ys: [r.deter, r.stoch], saved: r.saved };
  },
  backward: ([dDeter, dStoch], { inputs, ys, saved, needs }) => {
    const want = new Set<keyof ObserveScanGrads>();
    inputs.forEach((_, i) => {
      const n = NAMES[i];
      if (needs[i] && n !== 'isFirst') want.add(n);
    });
    const g = K.observeScanBackward(dDeter, dStoch, saved, kernelInputs(named(inputs)), ys[0], want);
    return inputs.map((_, i) => (NAMES[i] === 'isFirst' ? null : (g[NAMES[i] as keyof ObserveScanGrads] ?? null)));
  },
});

export interface ObserveScanVars {
  actIn: Var;
  embIn: Var;
  isFirst: Var;
  wz: Var;
  wx: Var;
  wh: Var;
  gamma: Var;
  beta: Var;
  wo: Var;
  wp: Var;
  bp: Var;
  /** The start state (both or neither; default zeros). */
  h0?: Var | null;
  z0?: Var | null;
}

/**
 * RSSM.observe's posterior recurrence as one fused op (K.observeScan: one dispatch forward, one plus the
 * weight-gradient matmuls backward): per step the masked previous state, act(z W_z + actIn_t), the LayerNorm
 * GRU, act(h W_o + embIn_t), the posterior logits and their straight-through sample. Returns deter [B, T, D]
 * and stoch [B, T, S, C]; the same values as the per-step ops (linear with addend, gruCell, linear,
 * categoricalSample) up to f32 summation order, with the same samples.
 */
export function observeScan(x: ObserveScanVars, opts: ObserveScanOptions): { deter: Var; stoch: Var } {
  if (!x.h0 !== !x.z0) throw new Error('observeScan: h0 and z0 must both be given or both be omitted');
  const vs = [x.actIn, x.embIn, x.isFirst, x.wz, x.wx, x.wh, x.gamma, x.beta, x.wo, x.wp, x.bp, ...(x.h0 && x.z0 ? [x.h0, x.z0] : [])];
  const [deter, stoch] = scanOp(vs, opts);
  return { deter, stoch };
}
