// World-model suite: WorldModelTrainer.trainStep (B x T = 16 x 50) of the state teacher and the image student, with
// the parts of a step timed alone (interleaved with the whole step) to show where the time goes: the image
// encoder, the RSSM's T sequential GRU/posterior steps, the decoder, the reward head and Adam over every
// parameter. Each part is forward + backward (grads of a stand-in loss) on the inputs it sees in a step.
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import * as R from '@twist/rssm';
import { oursRunner, randomData } from '../ours.mjs';

/** @typedef {import('../case.mjs').Case} Case */
/** @typedef {import('../case.mjs').Impl} Impl */
/** @typedef {import('@twist/kernels').Device} Device */

/**
 * A synthetic batch: random state or u8 pixels, actions in [-1, 1], one episode start per sequence (at t = 0, as
 * replay windows inside one episode have). With `hint`, the host copy of isFirst goes along (Batch.isFirstHost),
 * as the agent passes it.
 */
function makeBatch(/** @type {Device} */ device, /** @type {any} */ cfg, /** @type {number} */ B, /** @type {number} */ T, hint = false) {
  const isFirst = new Float32Array(B * T);
  for (let b = 0; b < B; b++) isFirst[b * T] = 1;
  const pix = B * T * cfg.imageSize ** 2 * cfg.imageChannels;
  const obs =
    cfg.modality === 'state'
      ? K.tensor(device, randomData(B * T * cfg.stateSize, 5), [B, T, cfg.stateSize])
      : K.tensor(device, Uint8Array.from(randomData(pix, 5), (v) => Math.floor((v + 1) * 127.5)), [B, T, cfg.imageSize, cfg.imageSize, cfg.imageChannels], 'u8');
  return {
    obs,
    actions: K.tensor(device, randomData(B * T * cfg.actionSize, 6), [B, T, cfg.actionSize]),
    rewards: K.tensor(device, randomData(B * T, 7), [B, T]),
    isFirst: K.tensor(device, isFirst, [B, T]),
    ...(hint ? { isFirstHost: isFirst } : {}),
  };
}

/**
 * Dispatches recorded by one WorldModelTrainer step (record: forward, backward, Adam, metrics) on a fresh model:
 * deterministic for a given adapter, so the gate counts it once instead of timing it. Waits for the device
 * and releases everything before returning.
 * @param {Device} device
 * @param {{ preset?: 'quick' | 'paper', modality?: 'state' | 'image', B?: number, T?: number, hint?: boolean }} [o]
 */
export async function trainStepDispatches(device, o = {}) {
  const { preset = 'quick', modality = 'state', B = 16, T = 50, hint = false } = o;
  const cfg = R.makeConfig(preset, { modality });
  const wm = new R.WorldModel(device, cfg);
  const trainer = new R.WorldModelTrainer(wm);
  const batch = makeBatch(device, cfg, B, T, hint);
  const d0 = device.stats().dispatches;
  R.disposeMetrics(K.scope(() => trainer.record(batch).metrics));
  const n = device.stats().dispatches - d0;
  await device.sync();
  for (const [k, t] of Object.entries(batch)) if (k !== 'isFirstHost') /** @type {any} */ (t).dispose();
  trainer.dispose();
  wm.dispose();
  return n;
}

/** Forward + backward of `f` (returning a scalar Var) w.r.t. `params`; the grads are dropped. */
const fwdBwd = (/** @type {() => any} */ f, /** @type {any[]} */ params) => () => void A.grad(f(), params);

/** Model FLOPs of a step are not tracked for the world model (too many ops); only dispatches and time. */
export function worldModelCase(/** @type {{ device: Device }} */ ctx, /** @type {'quick' | 'paper'} */ preset, /** @type {'state' | 'image'} */ modality, B = 16, T = 50) {
  const device = ctx.device;
  /** @type {{ wm: any, trainer: any, batch: any } | null} */
  let shared = null;
  /** @type {import('@twist/kernels').Tensor[]} tensors the parts keep across steps */
  const kept = [];
  const get = () => {
    if (!shared) {
      const cfg = R.makeConfig(preset, { modality });
      const wm = new R.WorldModel(device, cfg);
      shared = { wm, trainer: new R.WorldModelTrainer(wm), batch: makeBatch(device, cfg, B, T) };
    }
    return shared;
  };
  const keep = (/** @type {import('@twist/kernels').Tensor} */ t) => (kept.push(K.keep(t)), t);
  const release = () => {
    if (!shared) return;
    shared.wm.dispose();
    shared.trainer.dispose();
    Object.values(shared.batch).forEach((t) => /** @type {any} */ (t).dispose());
    kept.splice(0).forEach((t) => t.dispose());
    shared = null;
  };
  /** @param {(wm: any, batch: any) => (() => void)} make  builds the timed op once the model exists @returns {Impl} */
  const part = (make) => ({ device: 'gpu', setup: async () => {
    const { wm, batch } = get();
    return oursRunner(device, make(wm, batch));
  } });
  const cfgOf = (/** @type {any} */ wm) => wm.cfg;
  /** @type {Record<string, Impl>} */
  const impls = {
    ours: {
      device: 'gpu',
      setup: async () => {
        const { trainer, batch } = get();
        const r = oursRunner(device, () => trainer.record(batch).metrics);
        return { ...r, dispose: release };
      },
    },
    encoder: part((wm, batch) => {
      const x = wm.preprocess(batch.obs);
      if (x.value !== batch.obs) keep(x.value);
      return fwdBwd(() => A.mean(wm.encoder.forward(x)), wm.encoder.parameters());
    }),
    'rssm observe': part((wm, batch) => {
      const E = wm.encoder.outSize;
      const embeds = A.constant(keep(K.tensor(device, randomData(B * T * E, 8), [B, T, E])));
      const acts = A.constant(batch.actions);
      return fwdBwd(() => A.mean(wm.rssm.feature(wm.rssm.observe(embeds, acts, batch.isFirst))), wm.rssm.parameters());
    }),
    decoder: part((wm, batch) => {
      const F = wm.rssm.featureSize;
      const feat = A.constant(keep(K.tensor(device, randomData(B * T * F, 9), [B, T, F])));
      const target = wm.preprocess(batch.obs);
      if (target.value !== batch.obs) keep(target.value);
      const eventDims = cfgOf(wm).modality === 'state' ? 1 : 3;
      return fwdBwd(() => A.gaussianNLL(wm.decoder.forward(feat), target, eventDims), wm.decoder.parameters());
    }),
    'reward head': part((wm, batch) => {
      const F = wm.rssm.featureSize;
      const feat = A.constant(keep(K.tensor(device, randomData(B * T * F, 10), [B, T, F])));
      return fwdBwd(() => A.gaussianNLL(wm.reward.forward(feat), A.constant(batch.rewards)), wm.reward.parameters());
    }),
    adam: part((wm) => {
      const { trainer } = get();
      const grads = trainer.opt.params.map((/** @type {any} */ p) => keep(K.zeros(device, p.shape)));
      return () => void trainer.opt.apply(grads);
    }),
  };
  for (const i of Object.values(impls)) if (i !== impls.ours) i.part = true;
  return /** @type {Case} */ ({
    name: `WorldModel.trainStep ${preset} ${modality} B${B} T${T}`,
    suite: 'rssm',
    unit: 'steps/s',
    work: 1,
    impls,
    // a step takes seconds on software Vulkan: few samples, one step per sample
    measure: { targetSampleMs: 1, minSamples: 3, window: 3, tolerance: 0.1, budgetMs: 25_000, maxSamples: 8 },
  });
}

export function rssmCases(/** @type {{ device: Device, paper?: boolean }} */ ctx) {
  const cases = [worldModelCase(ctx, 'quick', 'state'), worldModelCase(ctx, 'quick', 'image')];
  if (ctx.paper) cases.push(worldModelCase(ctx, 'paper', 'state'), worldModelCase(ctx, 'paper', 'image'));
  return cases;
}
