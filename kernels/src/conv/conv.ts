/**
 * 2-D convolution ops in NHWC: conv2d (filter [KH,KW,Cin,Cout]) and conv-transpose2d (TensorFlow's filter layout
 * [KH,KW,Cout,Cin]), forward and both gradients, plus the bias gradient. The six ops map onto three kernels
 * (conv_down, conv_up, conv_filter; see geometry.ts): conv-transpose2d forward is conv2d's backward-input and
 * vice versa.
 */
import { add } from '../binary/index.js';
import { assertDType } from '../core/dtype.js';
import { fmt, sameShape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { zeros } from '../elementwise/fill.js';
import {
  bigShape,
  conv2dGeom,
  convTranspose2dGeom,
  filterShapeOf,
  foldDense,
  smallShape,
  type Conv2dOptions,
  type ConvGeom,
  type ConvTranspose2dOptions,
} from './geometry.js';
import { biasGradSplit, deviceLanes, deviceSubgroups8, filterSplit, type BiasGradParams, type ConvParams, type FilterParams, type SumParams } from './conv-kernels.js';

function checkF32(op: string, ...named: [string, Tensor | null | undefined][]): void {
  let dev: Tensor['device'] | null = null;
  for (const [what, t] of named) {
    if (!t) continue;
    t.storage(op); // use-after-dispose names the op
    assertDType(op, what, 'f32', t.dtype);
    if (dev && t.device !== dev) throw new Error(`${op}: ${what} must be on the same device as the other inputs (${dev.backend}), got ${t.device.backend}`);
    dev ??= t.device;
  }
}

function checkShapeIs(op: string, what: string, expected: readonly number[], actual: readonly number[], why: string): void {
  if (!sameShape(expected, actual)) throw new Error(`${op}: ${what} must have shape ${fmt(expected)} (${why}), got ${fmt(actual)}`);
}

function checkBias(op: string, bias: Tensor | null | undefined, channels: number): void {
  if (bias && !(bias.rank === 1 && bias.shape[0] === channels)) {
    throw new Error(`${op}: bias must have shape [${channels}] (the output channels), got ${fmt(bias.shape)}`);
  }
}

function down(B: Tensor, F: Tensor, bias: Tensor | null | undefined, g: ConvGeom): Tensor {
  const y = empty(B.device, smallShape(g), 'f32');
  const p: ConvParams = { g: foldDense(g), hasBias: !!bias, sg: deviceSubgroups8(B.device) };
  B.device.run('conv_down', [B, F, bias ?? F], [y], p);
  return y;
}

function up(S: Tensor, F: Tensor, bias: Tensor | null | undefined, g: ConvGeom): Tensor {
  const fg = foldDense(g);
  // Folding a 1x1 input into a dense product moves the kernel taps into the channel axis (CB = KH*KW*Cout),
  // so a per-channel bias no longer lines up with it: run the folded kernel without bias, then add the bias.
  const biasInKernel = bias && fg === g ? bias : null;
  const y = empty(S.device, bigShape(g), 'f32');
  const p: ConvParams = { g: fg, hasBias: !!biasInKernel, sg: deviceSubgroups8(S.device) };
  S.device.run('conv_up', [S, F, biasInKernel ?? F], [y], p);
  if (!bias || biasInKernel) return y;
  const out = add(y, bias);
  y.dispose();
  return out;
}

/** Sums G partials [G, L] into a new tensor of `shape` (size L); takes ownership of `partials`. */
function sumPartials(partials: Tensor, G: number, shape: readonly number[]): Tensor {
  if (G === 1) {
    const out = partials.reshape(shape);
    partials.dispose();
    return out;
  }
  const out = empty(partials.device, shape, 'f32');
  const p: SumParams = { L: out.size, G };
  partials.device.run('conv_sum_partials', [partials], [out], p);
  partials.dispose();
  return out;
}

function filterGrad(B: Tensor, S: Tensor, g: ConvGeom): Tensor {
  const shape = filterShapeOf(g);
  const fg = foldDense(g);
  const lanes = deviceLanes(B.device);
  const { chunk, G } = filterSplit(fg, lanes);
  if (G === 0) return zeros(B.device, shape);
  const L = g.KH * g.KW * g.CB * g.CS;
  const partials = empty(B.device, [G, L], 'f32');
  const p: FilterParams = { g: fg, chunk, G, sg: deviceSubgroups8(B.device), lanes };
  B.device.run('conv_filter', [B, S], [partials], p);
  return sumPartials(partials, G, shape);
}

/**
 * 2-D convolution (cross-correlation, as in TensorFlow and PyTorch), NHWC:
 * y[n,oh,ow,co] = bias[co] + sum_{kh,kw,ci} x[n, oh*sH + kh - pT, ow*sW + kw - pL, ci] * w[kh,kw,ci,co].
 * x [N,H,W,Cin], w [KH,KW,Cin,Cout], bias [Cout] or null; returns [N,OH,OW,Cout] (see conv2dOutputShape).
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts?: Conv2dOptions): Tensor {
  const op = 'conv2d';
  checkF32(op, ['x', x], ['w', w], ['bias', bias]);
  const g = conv2dGeom(op, x.shape, w.shape, opts);
  checkBias(op, bias, g.CS);
  return down(x, w, bias, g);
}

/** Gradient of conv2d with respect to its input x of shape `inputShape`, given dy [N,OH,OW,Cout] and w. */
export function conv2dBackwardInput(dy: Tensor, w: Tensor, inputShape: readonly number[], opts?: Conv2dOptions): Tensor {
  const op = 'conv2dBackwardInput';
  checkF32(op, ['dy', dy], ['w', w]);
  const g = conv2dGeom(op, inputShape, w.shape, opts);
  checkShapeIs(op, 'dy', smallShape(g), dy.shape, 'conv2d output shape');
  return up(dy, w, null, g);
}

/** Gradient of conv2d with respect to its filter of shape `filterShape` [KH,KW,Cin,Cout], given x and dy. */
export function conv2dBackwardFilter(x: Tensor, dy: Tensor, filterShape: readonly number[], opts?: Conv2dOptions): Tensor {
  const op = 'conv2dBackwardFilter';
  checkF32(op, ['x', x], ['dy', dy]);
  const g = conv2dGeom(op, x.shape, filterShape, opts);
  checkShapeIs(op, 'dy', smallShape(g), dy.shape, 'conv2d output shape');
  return filterGrad(x, dy, g);
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input), NHWC, TensorFlow filter layout:
 * y[n, ih*sH + kh - pT, iw*sW + kw - pL, co] += x[n,ih,iw,ci] * w[kh,kw,co,ci], plus bias[co].
 * x [N,H,W,Cin], w [KH,KW,Cout,Cin]; returns [N,OH,OW,Cout] with OH = (H-1)*sH + KH - 2*pad + outputPadding
 * ('same': OH = H*sH + outputPadding).
 */
export function convTranspose2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts?: ConvTranspose2dOptions): Tensor {
  const op = 'convTranspose2d';
  checkF32(op, ['x', x], ['w', w], ['bias', bias]);
  const g = convTranspose2dGeom(op, x.shape, w.shape, opts);
  checkBias(op, bias, g.CB);
  return up(x, w, bias, g);
}

/** Gradient of convTranspose2d with respect to its input x of shape `inputShape`, given dy and w [KH,KW,Cout,Cin]. */
export function convTranspose2dBackwardInput(dy: Tensor, w: Tensor, inputShape: readonly number[], opts?: ConvTranspose2dOptions): Tensor {
  const op = 'convTranspose2dBackwardInput';
  checkF32(op, ['dy', dy], ['w', w]);
  const g = convTranspose2dGeom(op, inputShape, w.shape, opts);
  checkShapeIs(op, 'dy', bigShape(g), dy.shape, 'convTranspose2d output shape');
  return down(dy, w, null, g);
}

/** Gradient of convTranspose2d with respect to its filter of shape `filterShape` [KH,KW,Cout,Cin], given x and dy. */
export function convTranspose2dBackwardFilter(x: Tensor, dy: Tensor, filterShape: readonly number[], opts?: ConvTranspose2dOptions): Tensor {
  const op = 'convTranspose2dBackwardFilter';
  checkF32(op, ['x', x], ['dy', dy]);
  const g = convTranspose2dGeom(op, x.shape, filterShape, opts);
  checkShapeIs(op, 'dy', bigShape(g), dy.shape, 'convTranspose2d output shape');
  return filterGrad(dy, x, g);
}

/**
 * Bias gradient of conv2d / convTranspose2d: dy [N,H,W,C] summed over every dim but the last -> [C]
 * (any rank >= 1 is accepted: [..., C] -> [C]).
 */
export function biasGradNHWC(dy: Tensor): Tensor {
  const op = 'biasGradNHWC';
  checkF32(op, ['dy', dy]);
  if (dy.rank < 1) throw new Error(`${op}: dy must have rank >= 1 ([N,H,W,C]), got shape ${fmt(dy.shape)}`);
  const C = dy.shape[dy.rank - 1];
  const M = C === 0 ? 0 : dy.size / C;
  const { chunk, G } = biasGradSplit(M, C);
  if (G === 0 || C === 0) return zeros(dy.device, [C]);
  const partials = empty(dy.device, [G, C], 'f32');
  const p: BiasGradParams = { M, C, chunk, G };
  dy.device.run('conv_bias_grad', [dy], [partials], p);
  return sumPartials(partials, G, [C]);
}
