import { Var } from '@twist/autograd';

export const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/** Throws unless v is an f32 Var of rank >= 1 with a last axis >= 1. */
export function checkEvent(op: string, what: string, v: unknown): asserts v is Var {
  if (!(v instanceof Var)) throw new Error(`${op}: ${what} must be a Var, got ${String(v)}`);
  if (v.dtype !== 'f32') throw new Error(`${op}: ${what} must have dtype f32, got ${v.dtype}`);
  if (v.shape.length < 1 || v.shape[v.shape.length - 1] < 1) {
    throw new Error(`${op}: ${what} must have shape [..., A] with A >= 1, got ${fmt(v.shape)}`);
  }
}

/** Throws unless x is an f32 Var of exactly `shape` on `ref`'s device. */
export function checkLike(op: string, what: string, x: unknown, shape: readonly number[], ref: Var, refName: string): asserts x is Var {
  if (!(x instanceof Var)) throw new Error(`${op}: ${what} must be a Var, got ${String(x)}`);
  if (x.dtype !== 'f32') throw new Error(`${op}: ${what} must have dtype f32, got ${x.dtype}`);
  if (x.shape.length !== shape.length || x.shape.some((d, k) => d !== shape[k])) {
    throw new Error(`${op}: ${what} must have shape ${fmt(shape)} (that of ${refName}), got ${fmt(x.shape)}`);
  }
  if (x.device !== ref.device) throw new Error(`${op}: ${what} must be on the device of ${refName} (${ref.device.label}), got ${x.device.label}`);
}

export const sizeOfShape = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
