/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the CPU
 * reference. philox.wgsl is the same function in WGSL; both use only 32-bit integer arithmetic (the high word of
 * the 32x32 -> 64 product is built from 16-bit halves), so a counter and key give bit-identical words on both.
 *
 * Stream layout shared by every op of the rng and categorical families: element i of a call with key
 * (seed, offset) is word i % 4 of philox4x32(counter = [i / 4 (low, high word), offset (low, high word)],
 * key = [seed low word, seed high word]). Different offsets therefore select disjoint counter ranges.
 */

export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32 (16-bit halves; every partial product is exact). */
export function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32-10 of one counter block into `out` (4 u32 words). Allocation-free for the hot loops. */
export function philoxInto(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array | number[]): void {
  for (let r = 0; r < 10; r++) {
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Philox4x32-10: four u32 words for a 128-bit counter and a 64-bit key (CPU reference). */
export function philox4x32(counter: [number, number, number, number], key: [number, number]): [number, number, number, number] {
  const out: number[] = [0, 0, 0, 0];
  philoxInto(counter[0] >>> 0, counter[1] >>> 0, counter[2] >>> 0, counter[3] >>> 0, key[0] >>> 0, key[1] >>> 0, out);
  return out as [number, number, number, number];
}

/** A safe integer as two u32 words (two's complement for negatives): [low, high]. */
export function splitU64(v: number): [number, number] {
  return [v >>> 0, Math.floor(v / 4294967296) >>> 0];
}

/** 2^-24: a uniform in [0, 1) is (word >>> 8) * 2^-24, exact in f32. */
export const TWO_M24 = 1 / 16777216;

/** Word i of the stream (see the layout above); `scratch` is 4 words reused between calls. */
export function streamWord(i: number, k0: number, k1: number, o0: number, o1: number, scratch: Uint32Array): number {
  const j = Math.floor(i / 4);
  philoxInto(j >>> 0, Math.floor(j / 4294967296) >>> 0, o0, o1, k0, k1, scratch);
  return scratch[i & 3];
}
