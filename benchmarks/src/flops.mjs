// Analytic model FLOPs and parameter counts of the world-model and agent benchmark cases, from the layer sizes
// of a config alone (no device). A multiply-add counts as 2 FLOP; only matmuls and convolutions are counted:
// elementwise ops, LayerNorm, softmax, the categorical kernels and Adam are a few FLOP per element against
// hundreds per matmul row, and none of them is what "model FLOPs" means in a throughput figure.
//
// Dense layer [in -> out] over R rows: forward 2 R in out. Its backward is two matmuls of the same size (dX = dY
// W^T and dW = X^T dY), so a layer whose input and weight both need gradients costs 3x its forward in all; a
// layer that only passes a gradient on (its weight is not trained by this loss) costs 2x. The first layer's dX,
// which nothing needs, is counted too: "forward + backward ~= 3x forward", as the usual 6 N FLOP per token.
// Convolution, VALID, stride s, kernel k, NHWC: forward 2 Hout Wout Cout k k Cin per image; a transposed
// convolution 2 Hin Win Cin k k Cout per image (each input pixel is scattered into a k x k x Cout patch).
import { decoderKernels, decoderSizes, encoderSizes } from '@twist/rssm';

/** Multiply-adds per row of an MLP in -> hidden... -> out (out null: the last hidden layer is the output). */
export function mlpMacs(/** @type {number} */ inF, /** @type {readonly number[]} */ hidden, /** @type {number | null} */ out) {
  let d = inF;
  let m = 0;
  for (const h of [...hidden, ...(out == null ? [] : [out])]) {
    m += d * h;
    d = h;
  }
  return m;
}

/** Parameters of the same MLP (weights and biases). */
export function mlpParams(/** @type {number} */ inF, /** @type {readonly number[]} */ hidden, /** @type {number | null} */ out) {
  let d = inF;
  let n = 0;
  for (const h of [...hidden, ...(out == null ? [] : [out])]) {
    n += d * h + h;
    d = h;
  }
  return n;
}

/**
 * Per-row multiply-adds and parameters of the world model's parts (WorldModel of @twist/rssm: encoder, RSSM,
 * decoder, reward head; the continue head and the state decoder when the config has them). The RSSM's per-row
 * work is one posterior step: img_in [z, a] -> hidden, the LayerNorm GRU (x Wx + h Wh, no dense bias), the
 * prior head img_out -> prior logits (its sample is not drawn in observe) and obs_out [h, embed] -> posterior
 * logits.
 * @param {any} cfg  a WorldModelConfig (makeConfig of @twist/rssm)
 * @returns {{ macs: Record<string, number>, params: Record<string, number>, embed: number, feature: number }}
 */
export function worldModelParts(cfg) {
  const { deter: D, hidden: Hd, stoch, classes, actionEmbed = 0 } = cfg.rssm;
  const Z = stoch * classes;
  const F = D + Z;
  const act = actionEmbed > 0 ? actionEmbed : cfg.actionSize;
  /** @type {Record<string, number>} */
  const macs = {};
  /** @type {Record<string, number>} */
  const params = {};
  let E;
  if (cfg.modality === 'state') {
    macs.encoder = mlpMacs(cfg.stateSize, cfg.mlpLayers, null);
    params.encoder = mlpParams(cfg.stateSize, cfg.mlpLayers, null);
    E = cfg.mlpLayers[cfg.mlpLayers.length - 1];
    macs.decoder = mlpMacs(F, cfg.mlpLayers, cfg.stateSize);
    params.decoder = mlpParams(F, cfg.mlpLayers, cfg.stateSize);
  } else {
    const sizes = encoderSizes(cfg.imageSize);
    let cin = cfg.imageChannels;
    macs.encoder = 0;
    params.encoder = 0;
    for (let i = 1; i < sizes.length; i++) {
      const cout = 2 ** (i - 1) * cfg.cnnDepth;
      macs.encoder += sizes[i] ** 2 * cout * 16 * cin;
      params.encoder += 16 * cin * cout + cout;
      cin = cout;
    }
    E = sizes[sizes.length - 1] ** 2 * cin;
    const d = cfg.cnnDepth;
    const kernels = decoderKernels(cfg.imageSize);
    const dsizes = decoderSizes(cfg.imageSize);
    macs.decoder = F * 32 * d;
    params.decoder = F * 32 * d + 32 * d;
    cin = 32 * d;
    kernels.forEach((/** @type {number} */ k, /** @type {number} */ i) => {
      const cout = i === kernels.length - 1 ? cfg.imageChannels : 2 ** (kernels.length - i - 2) * d;
      macs.decoder += dsizes[i] ** 2 * cin * k * k * cout;
      params.decoder += k * k * cin * cout + cout;
      cin = cout;
    });
  }
  const rssm = {
    actEmbed: actionEmbed > 0 ? cfg.actionSize * actionEmbed : 0,
    imgIn: (Z + act) * Hd,
    gru: Hd * 3 * D + D * 3 * D,
    imgOut: D * Hd,
    priorHead: Hd * Z,
    obsOut: (D + E) * Hd,
    postHead: Hd * Z,
  };
  macs.rssm = Object.values(rssm).reduce((a, b) => a + b, 0);
  // biases of the dense layers; the GRU has none but LayerNorm gamma and beta over 3D (and the action embedding's LN)
  params.rssm = macs.rssm + (actionEmbed > 0 ? 3 * actionEmbed : 0) + Hd + 6 * D + Hd + Z + Hd + Z;
  macs.reward = mlpMacs(F, cfg.rewardLayers, 1);
  params.reward = mlpParams(F, cfg.rewardLayers, 1);
  if (cfg.continueHead) {
    macs.cont = mlpMacs(F, cfg.rewardLayers, 1);
    params.cont = mlpParams(F, cfg.rewardLayers, 1);
  }
  if (cfg.stateRecon) {
    macs.stateDecoder = mlpMacs(F, cfg.mlpLayers, cfg.stateSize);
    params.stateDecoder = mlpParams(F, cfg.mlpLayers, cfg.stateSize);
  }
  return { macs, params, embed: E, feature: F };
}

const sum = (/** @type {Record<string, number>} */ o) => Object.values(o).reduce((a, b) => a + b, 0);

/**
 * Model FLOPs of one world-model training step on B x T rows: 3 x the forward's matmul and conv FLOPs (forward,
 * then dX and dW of every layer; the loss trains every parameter), per part and in all.
 * @param {any} cfg  WorldModelConfig
 * @param {number} B @param {number} T
 * @returns {{ total: number, forward: number, parts: Record<string, number>, params: number }}
 */
export function trainStepFlops(cfg, B, T) {
  const { macs, params } = worldModelParts(cfg);
  const rows = B * T;
  const parts = Object.fromEntries(Object.entries(macs).map(([k, m]) => [k, 3 * 2 * m * rows]));
  return { total: sum(parts), forward: 2 * sum(macs) * rows, parts, params: sum(params) };
}

/**
 * Model FLOPs of one actor-critic update in imagination (Behaviour.update of @twist/agent, DreamerV2's
 * ActorCritic.train): N starts, horizon H, feature F = deter + stoch x classes.
 *  - imagination, H steps over N rows: the actor's forward on each state, then one prior step of the RSSM
 *    (img_in, GRU, img_out, prior head);
 *  - the reward head and the slow critic on the H + 1 states, the critic on the first H;
 *  - backward: the actor's loss reaches the actor through the dynamics (gradient 'dynamics'), so the prior
 *    steps, the reward head and the slow critic pass gradients on without training (2x their forward), and
 *    the actor and the critic are trained (3x).
 * @param {any} wmCfg  WorldModelConfig
 * @param {{ actorLayers: number[], criticLayers: number[], horizon: number, imagStarts: number }} beh  BehaviourConfig
 * @param {number} starts  B x T posterior states of the batch (imagStarts > 0 draws that many of them)
 * @returns {{ total: number, forward: number, parts: Record<string, number>, params: number, N: number, H: number }}
 */
export function behaviourFlops(wmCfg, beh, starts) {
  const { macs } = worldModelParts(wmCfg);
  const { deter: D, hidden: Hd, stoch, classes, actionEmbed = 0 } = wmCfg.rssm;
  const Z = stoch * classes;
  const F = D + Z;
  const A = wmCfg.actionSize;
  const act = actionEmbed > 0 ? actionEmbed : A;
  const N = beh.imagStarts > 0 ? Math.min(beh.imagStarts, starts) : starts;
  const H = beh.horizon;
  const prior = (actionEmbed > 0 ? A * actionEmbed : 0) + (Z + act) * Hd + Hd * 3 * D + D * 3 * D + D * Hd + Hd * Z;
  const actor = mlpMacs(F, beh.actorLayers, 2 * A);
  const critic = mlpMacs(F, beh.criticLayers, 1);
  const fwd = {
    actor: actor * H * N,
    dynamics: prior * H * N,
    reward: macs.reward * (H + 1) * N,
    slowCritic: critic * (H + 1) * N,
    critic: critic * H * N,
  };
  const factor = { actor: 3, dynamics: 2, reward: 2, slowCritic: 2, critic: 3 };
  const parts = Object.fromEntries(Object.entries(fwd).map(([k, m]) => [k, 2 * m * factor[/** @type {keyof typeof factor} */ (k)]]));
  const params = mlpParams(F, beh.actorLayers, 2 * A) + 2 * mlpParams(F, beh.criticLayers, 1);
  return { total: sum(parts), forward: 2 * sum(fwd), parts, params, N, H };
}
