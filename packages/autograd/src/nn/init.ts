import { randomUniform, zeros, ones, type Device, type Tensor } from '@twist/kernels';

/** A stable 31-bit hash of a string (FNV-1a), to derive one RNG stream per parameter name from a seed. */
export function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) & 0x7fffffff;
}

export interface InitContext {
  device: Device;
  seed: number;
}

/**
 * Glorot/Xavier uniform (Keras' default, which Dreamer's reference uses): U(-l, l), l = sqrt(6 / (fanIn + fanOut)).
 * The stream is Philox keyed by hash(seed, name), so the same seed and name give the same weights on every backend.
 */
export function glorotUniform(ctx: InitContext, name: string, shape: readonly number[], fanIn: number, fanOut: number): Tensor {
  const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
  return randomUniform(ctx.device, shape, { seed: hashName(`${ctx.seed}:${name}`) }, -limit, limit);
}

export const zerosInit = (ctx: InitContext, shape: readonly number[]) => zeros(ctx.device, shape);
export const onesInit = (ctx: InitContext, shape: readonly number[]) => ones(ctx.device, shape);
