import type { Conv2dOptions } from '@twist/kernels';
import { activation, ACTIVATIONS, type ActivationName } from '../ops/elementwise.js';
import { conv2d, convTranspose2d, gruCell, layerNorm } from '../ops/fused.js';
import { linear, matmul } from '../ops/linalg.js';
import { reshape } from '../ops/shape.js';
import type { Var } from '../var.js';
import { glorotUniform, onesInit, zerosInit, type InitContext } from './init.js';
import { Module } from './module.js';

function checkPositiveInt(op: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${v}`);
}

function lastDim(op: string, x: Var, expected: number): void {
  const d = x.shape[x.shape.length - 1];
  if (d !== expected) throw new Error(`${op}: input's last dim must be ${expected}, got shape [${x.shape.join(',')}]`);
}

/** y = x W + b over the last axis; leading axes are flattened into one matmul. */
export class Linear extends Module {
  readonly weight: Var;
  readonly bias: Var | null;
  constructor(
    ctx: InitContext,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; name?: string } = {},
  ) {
    super();
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    const name = opts.name ?? 'linear';
    this.weight = this.param('weight', glorotUniform(ctx, `${name}.weight`, [inFeatures, outFeatures], inFeatures, outFeatures));
    this.bias = opts.bias === false ? null : this.param('bias', zerosInit(ctx, [outFeatures]));
  }
  forward(x: Var): Var {
    lastDim('Linear', x, this.inFeatures);
    const lead = x.shape.slice(0, -1);
    const y = matmul(x.shape.length === 2 ? x : reshape(x, [-1, this.inFeatures]), this.weight, { bias: this.bias });
    return x.shape.length === 2 ? y : reshape(y, [...lead, this.outFeatures]);
  }
  /**
   * act(forward(x)) as one fused op (linear: the bias and the activation in the matmul's epilogue, and their
   * gradients in one dispatch); the same values as activation(forward(x), act).
   */
  forwardAct(x: Var, act: ActivationName): Var {
    lastDim('Linear', x, this.inFeatures);
    const lead = x.shape.slice(0, -1);
    const y = linear(x.shape.length === 2 ? x : reshape(x, [-1, this.inFeatures]), this.weight, { bias: this.bias, act });
    return x.shape.length === 2 ? y : reshape(y, [...lead, this.outFeatures]);
  }
}

/** LayerNorm over the last axis with learned gamma (ones) and beta (zeros). */
export class LayerNorm extends Module {
  readonly gamma: Var;
  readonly beta: Var;
  constructor(
    ctx: InitContext,
    readonly features: number,
    readonly eps = 1e-3,
  ) {
    super();
    checkPositiveInt('LayerNorm', 'features', features);
    this.gamma = this.param('gamma', onesInit(ctx, [features]));
    this.beta = this.param('beta', zerosInit(ctx, [features]));
  }
  forward(x: Var): Var {
    lastDim('LayerNorm', x, this.features);
    return layerNorm(x, this.gamma, this.beta, this.eps);
  }
}

export interface MLPOptions {
  /** Hidden layer widths, e.g. [400, 400, 400, 400]. */
  hidden: readonly number[];
  /** Output width; null = the last hidden layer is the output. */
  out: number | null;
  act?: ActivationName;
  norm?: boolean;
  name?: string;
}

/** Dense layers with an activation (and optional LayerNorm before it), then an optional linear output layer. */
export class MLP extends Module {
  readonly layers: Linear[] = [];
  readonly norms: LayerNorm[] = [];
  readonly head: Linear | null;
  readonly act: ActivationName;
  constructor(
    ctx: InitContext,
    readonly inFeatures: number,
    opts: MLPOptions,
  ) {
    super();
    this.act = opts.act ?? 'elu';
    if (!ACTIVATIONS.includes(this.act)) throw new Error(`MLP: act must be one of ${ACTIVATIONS.join(', ')}, got '${this.act}'`);
    const name = opts.name ?? 'mlp';
    let d = inFeatures;
    opts.hidden.forEach((h, i) => {
      this.layers.push(this.child(`layer${i}`, new Linear(ctx, d, h, { name: `${name}.layer${i}`, bias: !opts.norm })));
      if (opts.norm) this.norms.push(this.child(`norm${i}`, new LayerNorm(ctx, h)));
      d = h;
    });
    this.head = opts.out === null ? null : this.child('out', new Linear(ctx, d, opts.out, { name: `${name}.out` }));
  }
  get outFeatures(): number {
    return this.head ? this.head.outFeatures : this.layers[this.layers.length - 1]?.outFeatures ?? this.inFeatures;
  }
  forward(x: Var): Var {
    let h = x;
    this.layers.forEach((l, i) => {
      if (this.norms[i]) h = activation(this.norms[i].forward(l.forward(h)), this.act);
      else h = l.forwardAct(h, this.act); // bias and activation fused into the matmul
    });
    return this.head ? this.head.forward(h) : h;
  }
}

/** NHWC convolution with weight [KH, KW, Cin, Cout] and bias [Cout]. */
export class Conv2d extends Module {
  readonly weight: Var;
  readonly bias: Var;
  constructor(
    ctx: InitContext,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly opts: Conv2dOptions & { name?: string } = {},
  ) {
    super();
    for (const [w, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['kernel', kernel]] as const) checkPositiveInt('Conv2d', w, v);
    const k2 = kernel * kernel;
    this.weight = this.param('weight', glorotUniform(ctx, `${opts.name ?? 'conv'}.weight`, [kernel, kernel, inChannels, outChannels], k2 * inChannels, k2 * outChannels));
    this.bias = this.param('bias', zerosInit(ctx, [outChannels]));
  }
  forward(x: Var): Var {
    return conv2d(x, this.weight, this.bias, { stride: this.opts.stride, padding: this.opts.padding });
  }
}

/** NHWC transposed convolution with weight [KH, KW, Cout, Cin] and bias [Cout]. */
export class ConvTranspose2d extends Module {
  readonly weight: Var;
  readonly bias: Var;
  constructor(
    ctx: InitContext,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly opts: Conv2dOptions & { outputPadding?: number; name?: string } = {},
  ) {
    super();
    for (const [w, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['kernel', kernel]] as const) checkPositiveInt('ConvTranspose2d', w, v);
    const k2 = kernel * kernel;
    this.weight = this.param('weight', glorotUniform(ctx, `${opts.name ?? 'convT'}.weight`, [kernel, kernel, outChannels, inChannels], k2 * inChannels, k2 * outChannels));
    this.bias = this.param('bias', zerosInit(ctx, [outChannels]));
  }
  forward(x: Var): Var {
    return convTranspose2d(x, this.weight, this.bias, { stride: this.opts.stride, padding: this.opts.padding, outputPadding: this.opts.outputPadding });
  }
}

/**
 * DreamerV2's GRU cell with LayerNorm on the gates (no dense bias), update-gate bias -1. The [input, hidden]
 * weight is stored as two blocks Wx [I, 3H] and Wh [H, 3H], Glorot-initialised as one [I+H, 3H] matrix.
 */
export class GRUCell extends Module {
  readonly wx: Var;
  readonly wh: Var;
  readonly gamma: Var;
  readonly beta: Var;
  constructor(
    ctx: InitContext,
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly opts: { updateBias?: number; eps?: number; name?: string } = {},
  ) {
    super();
    checkPositiveInt('GRUCell', 'inputSize', inputSize);
    checkPositiveInt('GRUCell', 'hiddenSize', hiddenSize);
    const name = opts.name ?? 'gru';
    const fanIn = inputSize + hiddenSize;
    const fanOut = 3 * hiddenSize;
    this.wx = this.param('wx', glorotUniform(ctx, `${name}.wx`, [inputSize, fanOut], fanIn, fanOut));
    this.wh = this.param('wh', glorotUniform(ctx, `${name}.wh`, [hiddenSize, fanOut], fanIn, fanOut));
    this.gamma = this.param('gamma', onesInit(ctx, [fanOut]));
    this.beta = this.param('beta', zerosInit(ctx, [fanOut]));
  }
  forward(x: Var, h: Var): Var {
    lastDim('GRUCell', x, this.inputSize);
    lastDim('GRUCell', h, this.hiddenSize);
    return gruCell(x, h, this.wx, this.wh, this.gamma, this.beta, { updateBias: this.opts.updateBias ?? -1, eps: this.opts.eps ?? 1e-3 });
  }
}

