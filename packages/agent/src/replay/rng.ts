/**
 * The replay sampler's own PRNG: xoshiro128** (Blackman & Vigna) on 32-bit words, seeded through splitmix32.
 * Its whole state is four u32 words, so it round-trips through JSON exactly (checkpointState) and a resumed
 * run draws the same numbers an uninterrupted one would. Not Math.random: that cannot be seeded or saved.
 */
export type RngState = [number, number, number, number];

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** splitmix32 step: returns [next state, output]. */
function splitmix32(a: number): [number, number] {
  a = (a + 0x9e3779b9) | 0;
  let z = a;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [a, z >>> 0];
}

export class Xoshiro128 {
  readonly #s = new Uint32Array(4);

  /** Seeds from any safe integer (both 32-bit halves are mixed in). */
  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed)) throw new Error(`Xoshiro128: seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    let a = lo ^ Math.imul(hi, 0x27d4eb2d);
    for (let i = 0; i < 4; i++) {
      let out: number;
      [a, out] = splitmix32(a);
      this.#s[i] = out;
    }
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1; // all-zero is a fixed point
  }

  static fromState(state: readonly number[]): Xoshiro128 {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
      throw new Error(`Xoshiro128.fromState: expected 4 u32 words, got ${JSON.stringify(state)}`);
    }
    if (state.every((w) => w === 0)) throw new Error('Xoshiro128.fromState: the all-zero state is invalid');
    const r = new Xoshiro128(0);
    r.#s.set(state);
    return r;
  }

  /** The state as four u32 words (JSON-able). */
  state(): RngState {
    return [this.#s[0], this.#s[1], this.#s[2], this.#s[3]];
  }

  /** The next u32. */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** An unbiased integer in [0, n) for 1 <= n <= 2^32 (rejection sampling, no modulo bias). */
  uniformInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new Error(`Xoshiro128.uniformInt: n must be an integer in [1, 2^32], got ${n}`);
    if (n === 2 ** 32) return this.nextU32();
    const limit = 2 ** 32 - (2 ** 32 % n); // largest multiple of n that fits: accept x < limit
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }
}
