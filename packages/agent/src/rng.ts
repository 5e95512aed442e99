/**
 * A small seeded host RNG (SplitMix32: Steele, Lea and Flood's splitmix constants on 32-bit words) for the
 * host-side choices of a run - random prefill actions, imagination-start subsets, episode seeds - with a
 * state that saves to a string, so a resumed run draws exactly what the uninterrupted run would have.
 */
export class SplitMix {
  #s: number;
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`SplitMix: seed must be a safe integer, got ${seed}`);
    this.#s = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
  }
  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    this.#s = (this.#s + 0x9e3779b9) >>> 0;
    let z = this.#s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  save(): string {
    return this.#s.toString(16);
  }
  restore(state: string): void {
    const s = Number.parseInt(state, 16);
    if (!/^[0-9a-f]{1,8}$/.test(state) || !Number.isFinite(s)) throw new Error(`SplitMix.restore: state must be 1-8 hex digits, got '${state}'`);
    this.#s = s >>> 0;
  }
}
