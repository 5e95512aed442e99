import { assertDType } from '../core/dtype.js';
import { fmt } from '../core/shape.js';
import { empty, VIEW_ALIGN_BYTES, type Tensor } from '../core/tensor.js';
import { full } from '../elementwise/fill.js';
import './optim-kernel.js';
import { SUMSQ_CHUNK, type AdamGateSumParams, type SumsqTableParams } from './optim-kernel.js';
import { checkGateConfig, type AdamGateConfig } from './adam.js';

/**
 * Where tensors of these sizes go in one flat f32 buffer for a multi-tensor optimiser step: in order, each in
 * a slot that starts at a multiple of 64 elements (VIEW_ALIGN_BYTES), so every slot can be a window of the flat
 * tensor (viewAt) that kernels bind like a tensor of its own. Empty tensors get a one-element slot.
 */
export interface FlatLayout {
  sizes: number[];
  offsets: number[];
  /** elements of the flat buffer (the last slot rounded up too) */
  total: number;
}

const ALIGN = VIEW_ALIGN_BYTES / 4;

export function flatLayout(sizes: readonly number[]): FlatLayout {
  const offsets: number[] = [];
  let at = 0;
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`flatLayout: sizes must be non-negative integers, got ${n}`);
    offsets.push(at);
    at += Math.ceil(Math.max(n, 1) / ALIGN) * ALIGN;
  }
  return { sizes: [...sizes], offsets, total: at };
}

/**
 * The chunk table of sumOfSquaresChunks for a layout, as i32 [2 * groups] (start, end) pairs: exactly the
 * chunks that sumOfSquares gives each tensor on its own (SUMSQ_CHUNK elements each), at the tensor's offset.
 */
export function sumsqChunkTable(layout: FlatLayout): Int32Array {
  const out: number[] = [];
  layout.sizes.forEach((n, i) => {
    const o = layout.offsets[i];
    for (let s = 0; s < n; s += SUMSQ_CHUNK) out.push(o + s, o + Math.min(n, s + SUMSQ_CHUNK));
  });
  return Int32Array.from(out);
}

/**
 * The partial sums of squares of the tensors in `flat` (laid out by a FlatLayout) in one dispatch, one per
 * chunk of `table` (sumsqChunkTable, uploaded as i32): bit-identical to the partials of sumOfSquares over the
 * tensors themselves. Add them with adamGateSum (or sum them). Returns f32 [groups].
 */
export function sumOfSquaresChunks(flat: Tensor, table: Tensor): Tensor {
  const op = 'sumOfSquaresChunks';
  assertDType(op, 'flat', 'f32', flat.dtype);
  assertDType(op, 'table', 'i32', table.dtype);
  flat.storage(op);
  table.storage(op);
  if (table.device !== flat.device) throw new Error(`${op}: table is on ${table.device.label}, expected ${flat.device.label} (that of flat)`);
  if (table.rank !== 1 || table.size % 2 !== 0) throw new Error(`${op}: table must have shape [2 * groups] (start, end pairs), got ${fmt(table.shape)}`);
  const groups = table.size / 2;
  if (groups === 0) return full(flat.device, [1], 0); // no elements at all: one zero partial (the sum is 0)
  const partials = empty(flat.device, [groups], 'f32');
  const p: SumsqTableParams = { groups };
  flat.device.run('optim_sumsq_table', [flat, table], [partials], p);
  return partials;
}

/**
 * The squared global norm (the sum of `partials`, added as sumOfSquares adds its partials) and the gate of a
 * guarded Adam step from it (as adamGate: counters updated in place), in one dispatch. Returns the gate f32 [4]
 * for adamStepGated and the global norm sqrt(sum) f32 [1].
 */
export function adamGateSum(partials: Tensor, counters: Tensor, cfg: AdamGateConfig = {}): { gate: Tensor; norm: Tensor } {
  const op = 'adamGateSum';
  assertDType(op, 'partials', 'f32', partials.dtype);
  assertDType(op, 'counters', 'i32', counters.dtype);
  partials.storage(op);
  if (counters.size !== 3) throw new Error(`${op}: counters must have exactly 3 elements [applied, skipped, consecutive], got shape ${fmt(counters.shape)}`);
  if (counters.device !== partials.device) throw new Error(`${op}: counters is on ${counters.device.label}, expected ${partials.device.label} (that of partials)`);
  if (counters.storage(op).handle === partials.storage(op).handle) throw new Error(`${op}: partials and counters must be distinct tensors, got the same memory`);
  const c = checkGateConfig(op, cfg);
  const gate = empty(partials.device, [4], 'f32');
  const norm = empty(partials.device, [1], 'f32');
  const p: AdamGateSumParams = { m: partials.size, maxNorm: c.maxNorm, b1: c.beta1, b2: c.beta2 };
  partials.device.run('optim_adam_gate_sum', [partials], [counters, gate, norm], p);
  return { gate, norm };
}
