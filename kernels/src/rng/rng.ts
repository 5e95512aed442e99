import { showValue } from '../core/show.js';
import type { Device } from '../core/registry.js';
import { checkShape, sizeOf } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { splitU64 } from './philox.js';
import type { RngMode, RngParams } from './rng-kernel.js';
import './rng-kernel.js';

/**
 * A random stream: `seed` (any safe integer) is the 64-bit Philox key, split into two u32 words (two's
 * complement for negatives); `offset` (a non-negative safe integer, default 0) fills the upper 64 bits of the
 * 128-bit counter, so every offset is a separate stream that no other offset's elements overlap (within 2^64
 * blocks). Draw a fresh stream per step with { seed, offset: step }.
 */
export interface RngKey {
  seed: number;
  offset?: number;
}

/** The u32 words of a key: [k0, k1] (seed) and [o0, o1] (offset). Throws naming `op` on bad input. */
export function rngWords(op: string, key: RngKey): { k0: number; k1: number; o0: number; o1: number } {
  if (key === null || typeof key !== 'object') throw new Error(`${op}: key must be an object { seed, offset? }, got ${String(key)}`);
  if (!Number.isSafeInteger(key.seed)) throw new Error(`${op}: key.seed must be a safe integer, got ${showValue(key.seed)}`);
  const offset = key.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new Error(`${op}: key.offset must be a non-negative safe integer, got ${String(key.offset)}`);
  }
  const [k0, k1] = splitU64(key.seed);
  const [o0, o1] = splitU64(offset);
  return { k0, k1, o0, o1 };
}

function draw(op: string, mode: RngMode, device: Device, shape: readonly number[], key: RngKey, p0: number, p1: number): Tensor {
  checkShape(op, 'shape', shape);
  const words = rngWords(op, key);
  const y = empty(device, shape, mode === 'bits' ? 'i32' : 'f32');
  const params: RngParams = { mode, n: sizeOf(shape), ...words, p0, p1 };
  device.run('rng', [], [y], params);
  return y;
}

/**
 * Uniform f32 in [lo, hi): lo + (hi - lo) * u with u = (bits >>> 8) * 2^-24 (24 random bits, exact in f32).
 * With the defaults (0, 1) GPU and CPU agree bit for bit; for other bounds the last multiply-add may round
 * differently (a fused multiply-add on some GPUs), within 1 ulp. One dispatch.
 */
export function randomUniform(device: Device, shape: readonly number[], key: RngKey, lo = 0, hi = 1): Tensor {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo <= hi)) {
    throw new Error(`randomUniform: bounds must be finite with lo <= hi, got lo=${lo}, hi=${hi}`);
  }
  return draw('randomUniform', 'uniform', device, shape, key, lo, hi);
}

/**
 * Normal f32, mean + std * z, z by Box-Muller from the word pairs of each Philox block (see rng.wgsl). GPU and
 * CPU use the same uniforms; they differ only by the accuracy of log/sqrt/sin/cos (|dz| < 1e-6 on lavapipe).
 * One dispatch.
 */
export function randomNormal(device: Device, shape: readonly number[], key: RngKey, mean = 0, std = 1): Tensor {
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
    throw new Error(`randomNormal: mean must be finite and std finite and >= 0, got mean=${mean}, std=${std}`);
  }
  return draw('randomNormal', 'normal', device, shape, key, mean, std);
}

/** The raw Philox words as an i32 tensor (reinterpret with `>>> 0` for the u32 value). One dispatch. */
export function randomBits(device: Device, shape: readonly number[], key: RngKey): Tensor {
  return draw('randomBits', 'bits', device, shape, key, 0, 0);
}
