/**
 * Geometry of 2-D convolutions in NHWC. Every conv op here (conv2d, its two gradients, conv-transpose2d and its
 * two gradients) is one of three computations over the same relation between a "big" image B [N,HB,WB,CB], a
 * "small" image S [N,HS,WS,CS] and a filter F [KH,KW,CB,CS]:
 *
 *   S[n,oh,ow,cs] = sum_{kh,kw,cb} B[n, oh*sH + kh - pT, ow*sW + kw - pL, cb] * F[kh,kw,cb,cs]   (out-of-range B is 0)
 *
 *   down:   S from (B, F)  - conv2d forward,              conv-transpose2d backward-input
 *   up:     B from (S, F)  - conv2d backward-input,       conv-transpose2d forward
 *   filter: F from (B, S)  - conv2d backward-filter (B = x, S = dy), conv-transpose2d backward-filter (B = dy, S = x)
 *
 * For conv2d, B is the input x and F = w [KH,KW,Cin,Cout]. For conv-transpose2d (TensorFlow's filter layout
 * [KH,KW,Cout,Cin]), B is the output and S the input: conv-transpose2d is the adjoint of the conv2d whose filter
 * maps Cout -> Cin. Padding below/right is implicit in the sizes (it may differ from pT/pL: TF 'same', outputPadding).
 */
import { fmt } from '../core/shape.js';

export type Padding = 'valid' | 'same' | number | readonly [number, number];

export interface Conv2dOptions {
  /** Stride, one for both dims or [sH, sW]; default 1. */
  stride?: number | readonly [number, number];
  /**
   * 'valid' (default): no padding. 'same': TensorFlow's SAME (output = ceil(input / stride) for conv2d,
   * input * stride for conv-transpose2d; when the total padding is odd the extra row/column goes below/right).
   * A number or [pH, pW]: that many zero rows above and below (columns left and right).
   */
  padding?: Padding;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns added below/right of the output (0 <= outputPadding < stride); default 0. */
  outputPadding?: number | readonly [number, number];
}

export interface ConvGeom {
  N: number;
  HB: number;
  WB: number;
  CB: number;
  HS: number;
  WS: number;
  CS: number;
  KH: number;
  KW: number;
  sH: number;
  sW: number;
  pT: number;
  pL: number;
}

function pair(op: string, what: string, v: number | readonly [number, number], min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  if (!p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${op}: ${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

export function strideOf(op: string, opts: Conv2dOptions | undefined): [number, number] {
  return pair(op, 'stride', opts?.stride ?? 1, 1);
}

function paddingOf(op: string, opts: Conv2dOptions | undefined): 'valid' | 'same' | [number, number] {
  const p = opts?.padding ?? 'valid';
  if (p === 'valid' || p === 'same') return p;
  if (typeof p === 'string') throw new Error(`${op}: padding must be 'valid', 'same', a number or a pair, got '${p}'`);
  return pair(op, 'padding', p, 0);
}

export function checkRank4(op: string, what: string, shape: readonly number[], layout: string): void {
  if (shape.length !== 4) throw new Error(`${op}: ${what} must have rank 4 (${layout}), got shape ${fmt(shape)}`);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${what} must hold non-negative integers, got ${fmt(shape)}`);
  }
}

function checkPadVsKernel(op: string, pads: [number, number], k: [number, number]): void {
  for (let d = 0; d < 2; d++) {
    if (pads[d] >= k[d]) {
      throw new Error(
        `${op}: padding must be smaller than the kernel (an output ${d ? 'column' : 'row'} would see only padding), ` +
          `got padding ${pads[d]} for kernel ${d ? 'width' : 'height'} ${k[d]}`,
      );
    }
  }
}

/**
 * conv2d geometry from the input shape [N,H,W,Cin] and filter shape [KH,KW,Cin,Cout]. Throws naming `op`, the
 * expected and the actual on bad ranks, channel mismatch, padding >= kernel, or a kernel larger than the padded input.
 */
export function conv2dGeom(op: string, xShape: readonly number[], wShape: readonly number[], opts?: Conv2dOptions): ConvGeom {
  checkRank4(op, 'input', xShape, '[N,H,W,Cin]');
  checkRank4(op, 'filter', wShape, '[KH,KW,Cin,Cout]');
  const [N, H, W, Cin] = xShape;
  const [KH, KW, fCin, Cout] = wShape;
  if (fCin !== Cin) throw new Error(`${op}: filter [KH,KW,Cin,Cout] must have Cin = ${Cin} (the input's channels), got filter ${fmt(wShape)}`);
  if (KH < 1 || KW < 1) throw new Error(`${op}: kernel size must be >= 1, got filter ${fmt(wShape)}`);
  const [sH, sW] = strideOf(op, opts);
  const pad = paddingOf(op, opts);
  let HS: number, WS: number, pT: number, pL: number;
  if (pad === 'same') {
    HS = Math.ceil(H / sH);
    WS = Math.ceil(W / sW);
    pT = Math.floor(Math.max((HS - 1) * sH + KH - H, 0) / 2);
    pL = Math.floor(Math.max((WS - 1) * sW + KW - W, 0) / 2);
  } else {
    const [ph, pw] = pad === 'valid' ? [0, 0] : pad;
    checkPadVsKernel(op, [ph, pw], [KH, KW]);
    if (H + 2 * ph < KH || W + 2 * pw < KW) {
      throw new Error(
        `${op}: kernel ${KH}x${KW} must fit in the padded input, got input ${H}x${W} with padding [${ph},${pw}] (input ${fmt(xShape)})`,
      );
    }
    HS = Math.floor((H + 2 * ph - KH) / sH) + 1;
    WS = Math.floor((W + 2 * pw - KW) / sW) + 1;
    pT = ph;
    pL = pw;
  }
  return { N, HB: H, WB: W, CB: Cin, HS, WS, CS: Cout, KH, KW, sH, sW, pT, pL };
}

/**
 * conv-transpose2d geometry from the input shape [N,H,W,Cin] and filter shape [KH,KW,Cout,Cin]:
 * out = (in - 1) * stride + kernel - padTop - padBottom + outputPadding ('same': out = in * stride + outputPadding).
 */
export function convTranspose2dGeom(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  opts?: ConvTranspose2dOptions,
): ConvGeom {
  checkRank4(op, 'input', xShape, '[N,H,W,Cin]');
  checkRank4(op, 'filter', wShape, '[KH,KW,Cout,Cin]');
  const [N, H, W, Cin] = xShape;
  const [KH, KW, Cout, fCin] = wShape;
  if (fCin !== Cin) throw new Error(`${op}: filter [KH,KW,Cout,Cin] must have Cin = ${Cin} (the input's channels), got filter ${fmt(wShape)}`);
  if (KH < 1 || KW < 1) throw new Error(`${op}: kernel size must be >= 1, got filter ${fmt(wShape)}`);
  const [sH, sW] = strideOf(op, opts);
  const pad = paddingOf(op, opts);
  const [oph, opw] = pair(op, 'outputPadding', opts?.outputPadding ?? 0, 0);
  if (oph >= sH || opw >= sW) {
    throw new Error(`${op}: outputPadding must be smaller than the stride, got outputPadding [${oph},${opw}] with stride [${sH},${sW}]`);
  }
  let HB: number, WB: number, pT: number, pL: number;
  if (pad === 'same') {
    // TF: the conv2d with SAME padding that maps an input of in * stride to `in` (its padding: max(k - s, 0)).
    HB = H * sH + oph;
    WB = W * sW + opw;
    pT = Math.floor(Math.max(KH - sH, 0) / 2);
    pL = Math.floor(Math.max(KW - sW, 0) / 2);
  } else {
    const [ph, pw] = pad === 'valid' ? [0, 0] : pad;
    checkPadVsKernel(op, [ph, pw], [KH, KW]);
    HB = (H - 1) * sH + KH - 2 * ph + oph;
    WB = (W - 1) * sW + KW - 2 * pw + opw;
    pT = ph;
    pL = pw;
  }
  if (H < 1 || W < 1 || HB < 1 || WB < 1) {
    throw new Error(`${op}: input ${fmt(xShape)} with kernel ${KH}x${KW}, stride [${sH},${sW}] and ${JSON.stringify(opts?.padding ?? 'valid')} padding gives an empty output ${HB}x${WB}`);
  }
  return { N, HB, WB, CB: Cout, HS: H, WS: W, CS: Cin, KH, KW, sH, sW, pT, pL };
}

/** Output shape [N,OH,OW,Cout] of conv2d for input [N,H,W,Cin] and filter [KH,KW,Cin,Cout]. */
export function conv2dOutputShape(inputShape: readonly number[], filterShape: readonly number[], opts?: Conv2dOptions): number[] {
  const g = conv2dGeom('conv2dOutputShape', inputShape, filterShape, opts);
  return [g.N, g.HS, g.WS, g.CS];
}

/** Output shape [N,OH,OW,Cout] of conv-transpose2d for input [N,H,W,Cin] and filter [KH,KW,Cout,Cin]. */
export function convTranspose2dOutputShape(
  inputShape: readonly number[],
  filterShape: readonly number[],
  opts?: ConvTranspose2dOptions,
): number[] {
  const g = convTranspose2dGeom('convTranspose2dOutputShape', inputShape, filterShape, opts);
  return [g.N, g.HB, g.WB, g.CB];
}

/**
 * The same computation with the spatial dims folded into channels, when the small side is a single pixel
 * covering the whole unpadded big side (HS = WS = 1, HB = KH, WB = KW, no padding): then every big pixel meets
 * exactly one tap and the conv is a dense layer, B [N, KH*KW*CB] x F [KH*KW*CB, CS] (the Dreamer decoder's first
 * conv-transpose: 1x1 -> 5x5). Layouts are unchanged (a reshape), but the kernels no longer loop over taps that
 * are masked for most pixels. Returns g itself otherwise.
 */
export function foldDense(g: ConvGeom): ConvGeom {
  if (g.HS !== 1 || g.WS !== 1 || g.HB !== g.KH || g.WB !== g.KW || g.pT !== 0 || g.pL !== 0) return g;
  if (g.KH === 1 && g.KW === 1) return g;
  return { N: g.N, HB: 1, WB: 1, CB: g.KH * g.KW * g.CB, HS: 1, WS: 1, CS: g.CS, KH: 1, KW: 1, sH: 1, sW: 1, pT: 0, pL: 0 };
}

export const bigShape = (g: ConvGeom) => [g.N, g.HB, g.WB, g.CB];
export const smallShape = (g: ConvGeom) => [g.N, g.HS, g.WS, g.CS];
export const filterShapeOf = (g: ConvGeom) => [g.KH, g.KW, g.CB, g.CS];
