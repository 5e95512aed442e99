import { assertDType } from '../core/dtype.js';
import { fmt } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import './many-kernel.js';
import { MANY, type ManyParams, type ManyPart } from './many-kernel.js';

/**
 * Records copies between several tensors and one in dispatches of up to MANY (7) tensors each: `into` = the
 * parts go into `big` (layout_concat_many), else they are filled from it (layout_split_many). Empty parts are
 * skipped. 32-bit dtypes only (callers check).
 */
export function copyMany(big: Tensor, parts: readonly { t: Tensor; c: number; o: number }[], row: number, into: boolean): void {
  const live = parts.filter((q) => q.t.size > 0);
  for (let i = 0; i < live.length; i += MANY) {
    const chunk = live.slice(i, i + MANY);
    const p: ManyParams = { row, parts: chunk.map((q): ManyPart => ({ n: q.t.size, c: q.c, o: q.o })) };
    const ts = chunk.map((q) => q.t);
    if (into) big.device.run('layout_concat_many', ts, [big], p);
    else big.device.run('layout_split_many', [big], ts, p);
  }
}

function checkSlots(op: string, flat: Tensor, xs: readonly Tensor[], offsets: readonly number[]): void {
  flat.storage(op);
  if (flat.dtype === 'u8') throw new Error(`${op}: flat must be f32 or i32, got u8`);
  if (!Array.isArray(xs) || xs.length !== offsets.length) {
    throw new Error(`${op}: xs and offsets must be arrays of the same length, got ${Array.isArray(xs) ? xs.length : String(xs)} and ${offsets?.length}`);
  }
  const h = flat.storage(op).handle;
  xs.forEach((x, i) => {
    assertDType(op, `xs[${i}]`, flat.dtype, x.dtype);
    if (x.device !== flat.device) throw new Error(`${op}: xs[${i}] is on ${x.device.label}, expected ${flat.device.label} (that of flat)`);
    if (x.storage(op).handle === h) throw new Error(`${op}: xs[${i}] shares its memory with flat (a window of it); pack only separate tensors`);
    const o = offsets[i];
    if (!Number.isInteger(o) || o < 0 || o + x.size > flat.size) {
      throw new Error(`${op}: xs[${i}] ${fmt(x.shape)} at offset ${o} must lie inside flat ${fmt(flat.shape)}`);
    }
  });
}

/**
 * Copies each xs[i] (flattened) into flat at element offsets[i], in place, in ceil(n / 7) dispatches; the
 * rest of flat is left as it was. The inverse of unpackFrom.
 */
export function packInto(flat: Tensor, xs: readonly Tensor[], offsets: readonly number[]): void {
  checkSlots('packInto', flat, xs, offsets);
  copyMany(flat, xs.map((t, i) => ({ t, c: Math.max(1, t.size), o: offsets[i] })), 0, true);
}

/** Fills each xs[i] (in place) from flat's elements at offsets[i], in ceil(n / 7) dispatches. */
export function unpackFrom(flat: Tensor, xs: readonly Tensor[], offsets: readonly number[]): void {
  checkSlots('unpackFrom', flat, xs, offsets);
  copyMany(flat, xs.map((t, i) => ({ t, c: Math.max(1, t.size), o: offsets[i] })), 0, false);
}
