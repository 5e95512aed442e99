/**
 * The integer inverse-CDF sampler shared (line for line) by the CPU reference and categorical-sample.wgsl.
 *
 * Why integers: GPU exp/log differ from Math.exp in the last ulps, so an f32 CDF would put a row's uniform on
 * different sides of a class boundary on the two backends now and then. The sampler therefore decides with
 * quantities that every backend computes exactly:
 *
 * 1. m = max_c x_c; z_c = f32(f32(x_c - m) * f32(log2 e)), clamped to >= -32 (f32 sub and mul are correctly
 *    rounded everywhere, and there is no add for a fused multiply-add to change), Z_c = trunc(z_c * 2^16).
 * 2. w_c = floor(2^(q + Z_c / 2^16)), an integer weight with the max class at 2^q (0 below 2^-q of the max),
 *    from two 256-entry tables of 2^(k/256) and 2^(k/65536) in Q31 and one 32x32 -> 64 multiply (mulhi32).
 *    Relative error of w vs. exp(x - m): about 1e-5 (the 2^-16 step of Z), far below sampling noise.
 * 3. S = sum w_c (64 bits). With unimix u quantised to M = round(u * 2^24), Cf = (M > 0 ? C : 1), the mixed
 *    weights are v_c = (2^24 - M) Cf w_c + M S (sum: 2^24 Cf S), and the row's class is the smallest c with
 *        U * Cf * S < sum_{j <= c} v_j,
 *    U = (Philox word >>> 8) the row's 24-bit uniform: exactly the inverse CDF at u = U * 2^-24 of
 *    p_c = (1 - M/2^24) w_c / S + (M/2^24) / C. All of it in 96-bit integers (three u32 limbs).
 * q = min(24, 63 - 2 ceil(log2 C)) keeps every product below 2^96 (q = 24 up to C = 2^19).
 */
import { mulhi32 } from '../rng/philox.js';

export const EXP2_HI = new Uint32Array(256);
export const EXP2_LO = new Uint32Array(256);
for (let k = 0; k < 256; k++) {
  EXP2_HI[k] = Math.round(2 ** 31 * 2 ** (k / 256));
  EXP2_LO[k] = Math.round(2 ** 31 * 2 ** (k / 65536));
}

/** The tables as WGSL module constants, spliced in at {{EXP2_TABLES}}. */
export const EXP2_TABLES_WGSL =
  `const EXP2_HI = array<u32, 256>(${[...EXP2_HI].map((v) => `${v}u`).join(', ')});\n` +
  `const EXP2_LO = array<u32, 256>(${[...EXP2_LO].map((v) => `${v}u`).join(', ')});\n`;

/** f32(log2 e) = 0x3fb8aa3b; the WGSL literal 1.4426950216293335 parses to the same f32. */
export const LOG2E_F32 = Math.fround(Math.LOG2E);
const TWO32 = 4294967296;

/** ceil(log2 C) for C >= 1. */
export function ceilLog2(c: number): number {
  let k = 0;
  while (2 ** k < c) k++;
  return k;
}

/** Weight precision q for C classes (see the file comment). */
export function weightBits(c: number): number {
  return Math.max(1, Math.min(24, 63 - 2 * ceilLog2(c)));
}

/** unimix quantised to 24 bits for the sampler. */
export function unimixFixed(unimix: number): number {
  return Math.round(unimix * 16777216);
}

/** w = floor(2^(q + Z/2^16)) for logit x and row max m (step 2 above). */
export function fixedWeight(x: number, m: number, q: number): number {
  const zf = Math.max(Math.fround(Math.fround(x - m) * LOG2E_F32), -32);
  const z = Math.trunc(zf * 65536); // exact: a power-of-two scale of an f32 in [-32, 0]
  const e = q * 65536 + z;
  if (e < 0) return 0;
  const n = e >>> 16;
  const f = e & 0xffff;
  return mulhi32(EXP2_HI[f >>> 8], EXP2_LO[f & 0xff]) >>> (30 - n);
}

// 96-bit unsigned integers as three u32 limbs [x0, x1, x2] (least significant first), as in the WGSL.
type U96 = [number, number, number];

/** a (64 bits: a0 + a1 2^32) times b (32 bits), 96 bits. */
function mul64x32(a0: number, a1: number, b: number): U96 {
  const l0 = Math.imul(a0, b) >>> 0;
  const h0 = mulhi32(a0, b);
  const l1 = Math.imul(a1, b) >>> 0;
  const h1 = mulhi32(a1, b);
  const mid = h0 + l1;
  return [l0, mid >>> 0, (h1 + (mid >= TWO32 ? 1 : 0)) >>> 0];
}

function add96(a: U96, b: U96): U96 {
  const x = a[0] + b[0];
  const c0 = x >= TWO32 ? 1 : 0;
  const y = a[1] + b[1] + c0;
  const c1 = y >= TWO32 ? 1 : 0;
  return [x >>> 0, y >>> 0, (a[2] + b[2] + c1) >>> 0];
}

function lt96(a: U96, b: U96): boolean {
  if (a[2] !== b[2]) return a[2] < b[2];
  if (a[1] !== b[1]) return a[1] < b[1];
  return a[0] < b[0];
}

/**
 * The class of one row x[base .. base + C) for the 24-bit uniform U (0 <= U < 2^24), with q = weightBits(C)
 * and M = unimixFixed(unimix). Mirrors sample_row in categorical-sample.wgsl.
 */
export function sampleRowFixed(x: ArrayLike<number>, base: number, C: number, q: number, M: number, U: number): number {
  let m = x[base];
  for (let c = 1; c < C; c++) m = Math.max(m, x[base + c]);
  let s0 = 0;
  let s1 = 0;
  for (let c = 0; c < C; c++) {
    s0 += fixedWeight(x[base + c], m, q);
    if (s0 >= TWO32) {
      s0 -= TWO32;
      s1++;
    }
  }
  const cf = M > 0 ? C : 1;
  const cs = mul64x32(s0, s1, cf); // < 2^64 by the choice of q
  const L = mul64x32(cs[0], cs[1], U);
  const k1lo = Math.imul(16777216 - M, cf) >>> 0;
  const k1hi = mulhi32(16777216 - M, cf);
  const K2 = mul64x32(s0, s1, M);
  let R: U96 = [0, 0, 0];
  for (let c = 0; c < C; c++) {
    R = add96(add96(R, mul64x32(k1lo, k1hi, fixedWeight(x[base + c], m, q))), K2);
    if (lt96(L, R)) return c;
  }
  return C - 1; // unreachable: the total is 2^24 Cf S > U Cf S
}
