// Autograd suite: whole training steps (forward, backward, Adam) through @twist/autograd against the same model
// and optimiser in tfjs-core (tf.variableGrads + tf.train.adam) on tfjs-backend-webgpu, same adapter.
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { oursRunner, randomData } from '../ours.mjs';
import { tfjs, tfRunner } from '../peers/tfjs.mjs';

/** @typedef {import('../case.mjs').Case} Case */
/** @typedef {import('../case.mjs').Impl} Impl */
/** @typedef {{ device: import('@twist/kernels').Device, peers?: string[] }} Ctx */

/** Glorot-uniform data for a [fanIn, fanOut]-like weight of `shape`. */
const glorot = (/** @type {number[]} */ shape, /** @type {number} */ fanIn, /** @type {number} */ fanOut, seed = 3) => {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  return randomData(shape.reduce((a, b) => a * b, 1), seed).map((v) => v * lim);
};

/**
 * One Adam step of an ELU MLP regressing random targets (DreamerV2's reward head: 4 x 400 ELU on the
 * 1224-wide feature [h, z] of deter 200 and 32 x 32 latents), batch 800.
 * FLOPs: 6 B sum(in * out) (forward, and the two backward matmuls per layer).
 */
export function mlpStepCase(/** @type {Ctx} */ ctx, B = 800, inF = 1224, hidden = [400, 400, 400, 400]) {
  const dims = [inF, ...hidden, 1];
  const X = randomData(B * inF, 11);
  const Y = randomData(B, 12);
  const macs = dims.slice(1).reduce((s, d, i) => s + dims[i] * d, 0);
  /** @type {Impl} */
  const oursImpl = {
    device: 'gpu',
    setup: async () => {
      const device = ctx.device;
      const mlp = new A.MLP({ device, seed: 0 }, inF, { hidden, out: 1, act: 'elu' });
      const opt = new A.Adam(mlp.parameters(), { lr: 1e-4 });
      const x = K.tensor(device, X, [B, inF]);
      const y = K.tensor(device, Y, [B, 1]);
      const step = () => {
        const loss = A.mse(mlp.forward(A.constant(x)), A.constant(y));
        opt.apply(A.grad(loss, opt.params));
      };
      return oursRunner(device, step, () => [mlp, opt, x, y].forEach((t) => t.dispose()));
    },
  };
  /** @type {Impl} */
  const tfImpl = {
    device: 'gpu',
    note: 'tf.variableGrads + tf.train.adam',
    setup: async () => {
      const tf = await tfjs('webgpu');
      const W = dims.slice(1).map((d, i) => tf.variable(tf.tensor(glorot([dims[i], d], dims[i], d, 20 + i), [dims[i], d])));
      const b = dims.slice(1).map((d) => tf.variable(tf.zeros([d])));
      const x = tf.tensor(X, [B, inF]);
      const y = tf.tensor(Y, [B, 1]);
      const opt = tf.train.adam(1e-4);
      const loss = () => {
        let h = x;
        W.forEach((w, i) => {
          h = tf.add(tf.matMul(h, w), b[i]);
          if (i < W.length - 1) h = tf.elu(h);
        });
        return tf.mean(tf.square(tf.sub(h, y)));
      };
      const step = () => {
        const { value, grads } = tf.variableGrads(loss);
        opt.applyGradients(grads);
        tf.dispose([value, grads]);
      };
      return tfRunner(tf, 'webgpu', step, () => {
        opt.dispose();
        tf.dispose([...W, ...b, x, y]);
      });
    },
  };
  return /** @type {Case} */ ({
    name: `MLP ${hidden.length}x${hidden[0]} ELU Adam step B${B}`,
    suite: 'autograd',
    unit: 'steps/s',
    work: 1,
    flops: 6 * B * macs,
    peak: 'flops',
    target: { peer: 'tfjs-webgpu', speedup: 2 },
    impls: Object.fromEntries(Object.entries({ ours: oursImpl, 'tfjs-webgpu': tfImpl }).filter(([n]) => n === 'ours' || (ctx.peers ?? ['tfjs-webgpu']).includes(n))),
  });
}

/**
 * One Adam step of DreamerV2's image encoder alone: 4 convs kernel 4 stride 2 VALID, depths d, 2d, 4d, 8d, ELU,
 * on 64x64x3 images, loss mean(embed^2). FLOPs: 3x the forward convolutions.
 */
export function encoderStepCase(/** @type {Ctx} */ ctx, N = 16, S = 64, depth = 48) {
  const chans = [3, depth, 2 * depth, 4 * depth, 8 * depth];
  const sizes = [S];
  for (let i = 0; i < 4; i++) sizes.push(Math.floor((sizes[i] - 4) / 2) + 1);
  const fwd = chans.slice(1).reduce((s, c, i) => s + 2 * N * sizes[i + 1] ** 2 * c * 16 * chans[i], 0);
  const X = randomData(N * S * S * 3, 31).map((v) => v * 0.5);
  /** @type {Impl} */
  const oursImpl = {
    device: 'gpu',
    setup: async () => {
      const device = ctx.device;
      const convs = chans.slice(1).map((c, i) => new A.Conv2d({ device, seed: 0 }, chans[i], c, 4, { stride: 2, name: `conv${i}` }));
      const params = convs.flatMap((c) => c.parameters());
      const opt = new A.Adam(params, { lr: 1e-4 });
      const x = K.tensor(device, X, [N, S, S, 3]);
      const step = () => {
        let h = A.constant(x);
        for (const c of convs) h = A.elu(c.forward(h));
        opt.apply(A.grad(A.mean(A.square(h)), params));
      };
      return oursRunner(device, step, () => [...convs, opt, x].forEach((t) => t.dispose()));
    },
  };
  /** @type {Impl} */
  const tfImpl = {
    device: 'gpu',
    note: 'tf.conv2d + bias + elu, variableGrads + adam (NHWC)',
    setup: async () => {
      const tf = await tfjs('webgpu');
      const W = chans.slice(1).map((c, i) => tf.variable(tf.tensor(glorot([4, 4, chans[i], c], 16 * chans[i], 16 * c, 40 + i), [4, 4, chans[i], c])));
      const b = chans.slice(1).map((c) => tf.variable(tf.zeros([c])));
      const x = tf.tensor(X, [N, S, S, 3]);
      const opt = tf.train.adam(1e-4);
      const loss = () => {
        let h = x;
        W.forEach((w, i) => (h = tf.elu(tf.add(tf.conv2d(h, w, 2, 'valid'), b[i]))));
        return tf.mean(tf.square(h));
      };
      const step = () => {
        const { value, grads } = tf.variableGrads(loss);
        opt.applyGradients(grads);
        tf.dispose([value, grads]);
      };
      return tfRunner(tf, 'webgpu', step, () => {
        opt.dispose();
        tf.dispose([...W, ...b, x]);
      });
    },
  };
  return /** @type {Case} */ ({
    name: `image encoder d${depth} ${S}x${S} Adam step N${N}`,
    suite: 'autograd',
    unit: 'steps/s',
    work: 1,
    flops: 3 * fwd,
    peak: 'flops',
    needs: ['conv2d'],
    target: { peer: 'tfjs-webgpu', speedup: 2 },
    impls: Object.fromEntries(Object.entries({ ours: oursImpl, 'tfjs-webgpu': tfImpl }).filter(([n]) => n === 'ours' || (ctx.peers ?? ['tfjs-webgpu']).includes(n))),
  });
}

export function autogradCases(/** @type {Ctx} */ ctx) {
  return [mlpStepCase(ctx), encoderStepCase(ctx)];
}
