// Device peaks, measured first in every run: every GPU figure is also shown as a fraction of these.
// peakFma: n invocations x iters rounds of 8 independent vec4 FMA chains (FLOPs = n * iters * 64);
// peakCopy: vec4 copy of n floats (bytes = 2 * 4 * n).
import * as K from '@twist/kernels';
import { ours } from '../impls.mjs';

/** @typedef {import('../case.mjs').Case} Case */

/** @param {{ device: import('@twist/kernels').Device }} ctx @param {{ fmaIters?: number, copyN?: number }} [size] */
export function peakCases(ctx, size = {}) {
  const n = 1 << 16;
  const iters = size.fmaIters ?? 512;
  const copyN = size.copyN ?? 1 << 22;
  /** @type {Case[]} */
  const cases = [
    {
      name: `peak fma (${n} x ${iters} x 64 FLOP)`,
      suite: 'peaks',
      unit: 'GFLOP/s',
      work: n * iters * 64,
      impls: { ours: ours(ctx.device, () => ({}), () => K.peakFma(ctx.device, n, iters)) },
    },
    {
      name: `peak copy (${copyN / (1 << 20)}M floats)`,
      suite: 'peaks',
      unit: 'GB/s',
      work: 8 * copyN,
      impls: { ours: ours(ctx.device, () => ({ x: { data: new Float32Array(copyN).fill(1), shape: [copyN] } }), (t) => K.peakCopy(t.x)) },
    },
  ];
  return cases;
}
