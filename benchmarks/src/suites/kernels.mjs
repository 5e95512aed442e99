// Kernel suite: single ops at the sizes TWIST runs them (Dreamer's GRU batch, encoder layer, latent
// categoricals), ours against every peer that has the op. Case builders are shared with the gate.
import * as K from '@twist/kernels';
import { inputs, ortImpl, ours, peakCopyImpl, peakFmaImpl, tfImpl } from '../impls.mjs';
import { gpujsMatmul } from '../peers/gpujs.mjs';
import { onnxModel, matmulModel } from '../peers/onnx-model.mjs';
import { tfjs, tfRunner } from '../peers/tfjs.mjs';

/** @typedef {import('../case.mjs').Case} Case */
/** @typedef {import('@twist/kernels').Device} Device */
/** @typedef {{ device: Device, peers?: string[], reference?: boolean }} Ctx  peers: restrict to these (gate) */

const ALL = ['tfjs-webgpu', 'ort-webgpu', 'gpu.js', 'tfjs-wasm', 'ort-cpu'];
/** @param {Ctx} ctx @param {Record<string, import('../case.mjs').Impl>} impls */
const pick = (ctx, impls) => Object.fromEntries(Object.entries(impls).filter(([n]) => n === 'ours' || (ctx.peers ?? ALL).includes(n)));
/** One-node ONNX model over named float inputs. */
const single = (/** @type {string} */ op, /** @type {() => import('../impls.mjs').Inputs} */ ins, /** @type {number[]} */ outShape, attrs = {}) => () =>
  onnxModel({
    nodes: [{ op, inputs: Object.keys(ins()), outputs: ['y'], attrs }],
    inputs: Object.entries(ins()).map(([name, v]) => ({ name, shape: v.shape })),
    outputs: [{ name: 'y', shape: outShape }],
  });

/** C = A @ B, [n, n] x [n, n]; gpu.js only up to 512 (its textbook kernel needs minutes per 1024^3 op here). */
export function matmulCase(/** @type {Ctx} */ ctx, /** @type {number} */ n) {
  const ins = inputs({ a: [n, n], b: [n, n] });
  /** @type {Case} */
  const c = {
    name: `matmul ${n}x${n}x${n}`,
    suite: 'kernels',
    unit: 'GFLOP/s',
    work: 2 * n ** 3,
    peak: 'flops',
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.matmul(t.a, t.b)),
      'tfjs-webgpu': tfImpl('webgpu', ins, (tf, t) => tf.matMul(t.a, t.b)),
      'ort-webgpu': ortImpl('webgpu', () => matmulModel(n, n, n), ins),
      ...(n <= 512 ? { 'gpu.js': { device: 'gpu', setup: () => gpujsMatmul(ins().a.data, ins().b.data, n) } } : {}),
      'tfjs-wasm': tfImpl('wasm', ins, (tf, t) => tf.matMul(t.a, t.b)),
      'ort-cpu': ortImpl('cpu', () => matmulModel(n, n, n), ins),
    }),
  };
  if (n >= 512) c.target = { peer: 'tfjs-webgpu', speedup: 2 };
  if (ctx.reference) c.impls['peak-fma'] = peakFmaImpl(ctx.device, 1 << 14, 256);
  return c;
}

/**
 * DreamerV2's LayerNorm GRU cell, one step: batch 800 (B x T of a training batch), input and hidden 200.
 * FLOPs counted: the two matmuls, 2 B (I + H) 3H.
 */
export function gruCase(/** @type {Ctx} */ ctx, B = 800, I = 200, H = 200) {
  const ins = inputs({ x: [B, I], h: [B, H], wx: [I, 3 * H], wh: [H, 3 * H], gamma: [3 * H], beta: [3 * H] }, { lo: -0.5, hi: 0.5 });
  /** @param {any} tf @param {Record<string, any>} t  the same cell in tfjs ops */
  const tfGru = (tf, t) => {
    const parts = tf.add(tf.matMul(t.x, t.wx), tf.matMul(t.h, t.wh));
    const { mean, variance } = tf.moments(parts, -1, true);
    const norm = tf.add(tf.mul(tf.div(tf.sub(parts, mean), tf.sqrt(tf.add(variance, 1e-3))), t.gamma), t.beta);
    const [r, c, u] = tf.split(norm, 3, -1);
    const cand = tf.tanh(tf.mul(tf.sigmoid(r), c));
    const update = tf.sigmoid(tf.add(u, -1));
    return tf.add(tf.mul(update, cand), tf.mul(tf.sub(1, update), t.h));
  };
  /** @type {Case} */
  const c = {
    name: `gru cell B${B} H${H}`,
    suite: 'kernels',
    unit: 'GFLOP/s',
    work: 2 * B * (I + H) * 3 * H,
    peak: 'flops',
    needs: ['gruCell'],
    target: { maxDispatches: 4 },
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.gruCell(t.x, t.h, t.wx, t.wh, t.gamma, t.beta)),
      'tfjs-webgpu': tfImpl('webgpu', ins, tfGru, 'same cell in tfjs ops'),
      'tfjs-wasm': tfImpl('wasm', ins, tfGru, 'same cell in tfjs ops'),
    }),
  };
  return c;
}

/** Dreamer's first encoder layer: 64x64x3 -> 48 channels, kernel 4, stride 2, VALID, batch 16 (NHWC; ORT NCHW). */
export function convCase(/** @type {Ctx} */ ctx, N = 16, S = 64, Cin = 3, Cout = 48, k = 4, stride = 2) {
  const O = Math.floor((S - k) / stride) + 1;
  const ins = inputs({ x: [N, S, S, Cin], w: [k, k, Cin, Cout], b: [Cout] }, { lo: -0.5, hi: 0.5 });
  const nchw = inputs({ x: [N, Cin, S, S], w: [Cout, Cin, k, k], b: [Cout] }, { lo: -0.5, hi: 0.5 });
  const model = single('Conv', nchw, [N, Cout, O, O], { strides: [stride, stride], kernel_shape: [k, k] });
  const tfConv = (/** @type {any} */ tf, /** @type {Record<string, any>} */ t) =>
    tf.fused.conv2d({ x: t.x, filter: t.w, strides: stride, pad: 'valid', bias: t.b });
  return /** @type {Case} */ ({
    name: `conv2d ${S}x${S}x${Cin}->${Cout} k${k}s${stride} N${N}`,
    suite: 'kernels',
    unit: 'GFLOP/s',
    work: 2 * N * O * O * Cout * k * k * Cin,
    peak: 'flops',
    needs: ['conv2d'],
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.conv2d(t.x, t.w, t.b, { stride })),
      'tfjs-webgpu': tfImpl('webgpu', ins, tfConv, 'fused conv2d + bias, NHWC'),
      'ort-webgpu': ortImpl('webgpu', model, nchw),
      'tfjs-wasm': tfImpl('wasm', ins, tfConv, 'fused conv2d + bias, NHWC'),
      'ort-cpu': ortImpl('cpu', model, nchw),
    }),
  });
}

/** Softmax over the last axis of [rows, cols] (Dreamer: 25600 = 800 x 32 categoricals of 32 classes). */
export function softmaxCase(/** @type {Ctx} */ ctx, rows = 25600, cols = 32) {
  const ins = inputs({ x: [rows, cols] }, { lo: -4, hi: 4 });
  const model = single('Softmax', ins, [rows, cols], { axis: -1 });
  return /** @type {Case} */ ({
    name: `softmax [${rows},${cols}]`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 2 * 4 * rows * cols,
    peak: 'bytes',
    needs: ['softmax'],
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.softmax(t.x)),
      'tfjs-webgpu': tfImpl('webgpu', ins, (tf, t) => tf.softmax(t.x)),
      'ort-webgpu': ortImpl('webgpu', model, ins),
      'tfjs-wasm': tfImpl('wasm', ins, (tf, t) => tf.softmax(t.x)),
      'ort-cpu': ortImpl('cpu', model, ins),
    }),
  });
}

/** KL(p || q) of [B, V, C] categorical logits, summed over (V, C): the RSSM's KL term. Bytes: both inputs read. */
export function klCase(/** @type {Ctx} */ ctx, B = 800, V = 32, C = 32) {
  const ins = inputs({ p: [B, V, C], q: [B, V, C] }, { lo: -3, hi: 3 });
  const tfKl = (/** @type {any} */ tf, /** @type {Record<string, any>} */ t) =>
    tf.sum(tf.mul(tf.softmax(t.p), tf.sub(tf.logSoftmax(t.p), tf.logSoftmax(t.q))), [1, 2]);
  return /** @type {Case} */ ({
    name: `categorical KL [${B},${V},${C}]`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 2 * 4 * B * V * C,
    peak: 'bytes',
    needs: ['categoricalKL'],
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.categoricalKL(t.p, t.q)),
      'tfjs-webgpu': tfImpl('webgpu', ins, tfKl, 'softmax/logSoftmax/mul/sum in tfjs ops'),
      'tfjs-wasm': tfImpl('wasm', ins, tfKl, 'softmax/logSoftmax/mul/sum in tfjs ops'),
    }),
  });
}

/** ELU over n floats: read + write, bytes = 8 n. */
export function unaryCase(/** @type {Ctx} */ ctx, n = 1 << 22) {
  const ins = inputs({ x: [n] }, { lo: -2, hi: 2 });
  const model = single('Elu', ins, [n]);
  /** @type {Case} */
  const c = {
    name: `unary elu ${n >= 1 << 20 ? `${n / (1 << 20)}M` : n}`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 8 * n,
    peak: 'bytes',
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.elu(t.x)),
      'tfjs-webgpu': tfImpl('webgpu', ins, (tf, t) => tf.elu(t.x)),
      'ort-webgpu': ortImpl('webgpu', model, ins),
      'tfjs-wasm': tfImpl('wasm', ins, (tf, t) => tf.elu(t.x)),
      'ort-cpu': ortImpl('cpu', model, ins),
    }),
  };
  if (ctx.reference) c.impls['peak-copy'] = peakCopyImpl(ctx.device, n);
  return c;
}

/** a + b over n floats: bytes = 12 n. */
export function binaryCase(/** @type {Ctx} */ ctx, n = 1 << 22) {
  const ins = inputs({ a: [n], b: [n] });
  const model = single('Add', ins, [n]);
  return /** @type {Case} */ ({
    name: `binary add ${n / (1 << 20)}M`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 12 * n,
    peak: 'bytes',
    needs: ['add'],
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.add(t.a, t.b)),
      'tfjs-webgpu': tfImpl('webgpu', ins, (tf, t) => tf.add(t.a, t.b)),
      'ort-webgpu': ortImpl('webgpu', model, ins),
      'tfjs-wasm': tfImpl('wasm', ins, (tf, t) => tf.add(t.a, t.b)),
      'ort-cpu': ortImpl('cpu', model, ins),
    }),
  });
}

/** Row sums of [rows, cols]: bytes = 4 rows cols (read). */
export function reduceCase(/** @type {Ctx} */ ctx, rows = 800, cols = 4096) {
  // No ORT peer: ReduceSum takes its axes as an int64 tensor input, which the float-only model writer lacks.
  const ins = inputs({ x: [rows, cols] });
  return /** @type {Case} */ ({
    name: `reduce sum [${rows},${cols}] axis -1`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 4 * rows * cols,
    peak: 'bytes',
    needs: ['sum'],
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.sum(t.x, -1)),
      'tfjs-webgpu': tfImpl('webgpu', ins, (tf, t) => tf.sum(t.x, -1)),
      'tfjs-wasm': tfImpl('wasm', ins, (tf, t) => tf.sum(t.x, -1)),
    }),
  });
}

/** LayerNorm over the last axis of [rows, cols] with gamma, beta (the GRU's gate norm at B x T = 800). */
export function layerNormCase(/** @type {Ctx} */ ctx, rows = 800, cols = 600) {
  const ins = inputs({ x: [rows, cols], gamma: [cols], beta: [cols] });
  const tfLn = (/** @type {any} */ tf, /** @type {Record<string, any>} */ t) => {
    const { mean, variance } = tf.moments(t.x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(t.x, mean), tf.rsqrt(tf.add(variance, 1e-3))), t.gamma), t.beta);
  };
  return /** @type {Case} */ ({
    name: `layerNorm [${rows},${cols}]`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 2 * 4 * rows * cols,
    peak: 'bytes',
    needs: ['layerNorm'],
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.layerNorm(t.x, t.gamma, t.beta)),
      'tfjs-webgpu': tfImpl('webgpu', ins, tfLn, 'moments + normalise in tfjs ops'),
      'tfjs-wasm': tfImpl('wasm', ins, tfLn, 'moments + normalise in tfjs ops'),
    }),
  });
}

/** Normal samples: n floats written (bytes = 4 n). tfjs draws them on the CPU and uploads. */
export function rngCase(/** @type {Ctx} */ ctx, n = 1 << 22) {
  const none = inputs({});
  return /** @type {Case} */ ({
    name: `randomNormal ${n / (1 << 20)}M`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 4 * n,
    peak: 'bytes',
    needs: ['randomNormal'],
    impls: pick(ctx, {
      ours: ours(ctx.device, none, () => K.randomNormal(ctx.device, [n], { seed: 7 })),
      'tfjs-webgpu': tfImpl('webgpu', none, (tf) => tf.randomNormal([n], 0, 1, 'float32', 7), 'tfjs draws on the CPU, then uploads'),
    }),
  });
}

/**
 * One Adam step over n parameters, in place. Bytes: param, grad, m, v read; param, m, v written (28 n).
 * tfjs: tf.train.adam's applyGradients on one variable.
 */
export function adamCase(/** @type {Ctx} */ ctx, n = 1 << 20) {
  const ins = inputs({ p: [n], g: [n], m: [n], v: [n] }, { lo: 0, hi: 1 });
  /** @type {import('../case.mjs').Impl} */
  const tfAdam = {
    device: 'gpu',
    note: 'tf.train.adam applyGradients, one variable',
    setup: async () => {
      const tf = await tfjs('webgpu');
      const p = tf.variable(tf.tensor(ins().p.data));
      const g = tf.tensor(ins().g.data);
      const opt = tf.train.adam(1e-4);
      return tfRunner(tf, 'webgpu', () => opt.applyGradients({ [p.name]: g }), () => {
        opt.dispose();
        tf.dispose([p, g]);
      });
    },
  };
  let step = 0;
  return /** @type {Case} */ ({
    name: `adam step ${n / (1 << 20)}M params`,
    suite: 'kernels',
    unit: 'GB/s',
    work: 28 * n,
    peak: 'bytes',
    needs: ['adamStep'],
    impls: pick(ctx, {
      ours: ours(ctx.device, ins, (t) => K.adamStep(t.p, t.g, t.m, t.v, ++step, { lr: 1e-4 })),
      'tfjs-webgpu': tfAdam,
    }),
  });
}

/** The kernel suite, in reporting order. */
export function kernelCases(/** @type {Ctx} */ ctx) {
  return [
    matmulCase(ctx, 256),
    matmulCase(ctx, 512),
    matmulCase(ctx, 1024),
    gruCase(ctx),
    convCase(ctx),
    softmaxCase(ctx),
    klCase(ctx),
    layerNormCase(ctx),
    reduceCase(ctx),
    unaryCase(ctx),
    binaryCase(ctx),
    rngCase(ctx),
    adamCase(ctx),
  ];
}
