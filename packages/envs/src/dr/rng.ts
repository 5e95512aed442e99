/**
 * A small seeded RNG for domain randomisation (mulberry32 over a splitmix-hashed seed): the same seed gives
 * the same sequence on every platform. Not for cryptography.
 */
export class Rng {
  #s: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    // fold the seed (any finite number) into 32 bits, then scramble it so nearby seeds give unrelated streams
    let s = (Math.floor(seed) % 4294967296 + 4294967296) % 4294967296;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    this.#s = (s ^ (s >>> 16)) >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    if (!items.length) throw new Error('Rng.pick: items must be non-empty');
    return items[this.int(items.length)];
  }

  /** An independent generator seeded from this one (for sub-streams). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

/** A seeded RNG. */
export const createRng = (seed: number) => new Rng(seed);
