// World-model suite: WorldModelTrainer.trainStep (B x T = 16 x 50) of the state teacher and the image student, with
// its model FLOPs (flops.mjs), the JS recording time of a step, the same model in PyTorch on the CPU as a peer
// (peers/torch.mjs) and the parts of a step timed alone (interleaved with the whole step) to show where the time
// goes: the image encoder, the RSSM's T sequential GRU/posterior steps, the decoder, the reward head and Adam over
// every parameter. Each part is forward + backward (grads of a stand-in loss) on the inputs it sees in a step.
import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import * as R from '@twist/rssm';
import { trainStepFlops } from '../flops.mjs';
import { peakFmaImpl } from '../impls.mjs';
import { oursRunner, randomData } from '../ours.mjs';
import { torchWorldModelImpl } from '../peers/torch.mjs';

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

/**
 * Wraps a runner so that the wall time of each run() - the JavaScript that records a step's dispatches, with
 * software Vulkan executing what was already submitted on the same cores - is kept; info() reports its median
 * over the timed ops (the warm-up op, which compiles pipelines, and the calibration op are left out).
 * @param {import('../measure.mjs').Runner} r
 * @returns {import('../measure.mjs').Runner}
 */
export function timeRecording(r) {
  /** @type {number[]} */
  const ms = [];
  return {
    ...r,
    run: () => {
      const t0 = performance.now();
      const out = r.run();
      ms.push(performance.now() - t0);
      return out;
    },
    info: () => {
      const timed = ms.slice(2).sort((a, b) => a - b);
      return { ...r.info?.(), ...(timed.length ? { recordMs: timed[Math.floor(timed.length / 2)] } : {}) };
    },
  };
}

/** The quick/paper world-model config of a case (cartpole-sized state and action, the package defaults). */
const caseConfig = (/** @type {'quick' | 'paper'} */ preset, /** @type {'state' | 'image'} */ modality) => R.makeConfig(preset, { modality });

/** Parameters of a module, counted on the device's tensors. */
const paramCount = (/** @type {any} */ m) => m.parameters().reduce((/** @type {number} */ n, /** @type {any} */ p) => n + p.size, 0);

/**
 * One WorldModelTrainer step (forward, backward, Adam, metrics) at B x T, with its model FLOPs (flops.mjs:
 * trainStepFlops, 3x the forward's matmuls and convs) so that the figures include GFLOP/s and the fraction of
 * the in-run FMA peak, the JS recording time of a step (timeRecording), optionally the parts of a step timed
 * alone and the PyTorch CPU peer (peers/torch.mjs: the same model, checked to have the same parameter count and
 * FLOPs), all interleaved.
 * @param {{ device: Device, parts?: boolean, torch?: boolean }} ctx
 * @param {'quick' | 'paper'} preset @param {'state' | 'image'} modality
 */
export function worldModelCase(ctx, preset, modality, B = 16, T = 50) {
  const device = ctx.device;
  const cfg0 = caseConfig(preset, modality);
  const flops = trainStepFlops(cfg0, B, T);
  /** @type {{ wm: any, trainer: any, batch: any } | null} */
  let shared = null;
  /** @type {import('@twist/kernels').Tensor[]} tensors the parts keep across steps */
  const kept = [];
  const get = () => {
    if (!shared) {
      const wm = new R.WorldModel(device, caseConfig(preset, modality));
      const n = paramCount(wm);
      if (n !== flops.params) {
        wm.dispose();
        throw new Error(`flops.mjs counts ${flops.params} parameters for ${preset} ${modality}, the WorldModel has ${n}: fix worldModelParts`);
      }
      shared = { wm, trainer: new R.WorldModelTrainer(wm), batch: makeBatch(device, wm.cfg, B, T) };
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
  /**
   * @param {(wm: any, batch: any) => (() => void)} make  builds the timed op once the model exists
   * @param {number | null} partFlops  3x the part's forward FLOPs (null: not counted)
   * @returns {Impl}
   */
  const part = (make, partFlops) => ({
    device: 'gpu',
    part: true,
    flops: partFlops,
    setup: async () => {
      const { wm, batch } = get();
      return oursRunner(device, make(wm, batch));
    },
  });
  const cfgOf = (/** @type {any} */ wm) => wm.cfg;
  /** @type {Record<string, Impl>} */
  const impls = {
    ours: {
      device: 'gpu',
      setup: async () => {
        const { trainer, batch } = get();
        const r = timeRecording(oursRunner(device, () => trainer.record(batch).metrics));
        return { ...r, dispose: release };
      },
    },
  };
  if (ctx.torch !== false) impls.torch = torchWorldModelImpl({ cfg: cfg0, B, T, expect: { params: flops.params, flops: flops.total } });
  if (ctx.parts !== false)
    Object.assign(impls, {
      encoder: part((wm, batch) => {
        const x = wm.preprocess(batch.obs);
        if (x.value !== batch.obs) keep(x.value);
        return fwdBwd(() => A.mean(wm.encoder.forward(x)), wm.encoder.parameters());
      }, flops.parts.encoder),
      'rssm observe': part((wm, batch) => {
        const E = wm.encoder.outSize;
        const embeds = A.constant(keep(K.tensor(device, randomData(B * T * E, 8), [B, T, E])));
        const acts = A.constant(batch.actions);
        return fwdBwd(() => A.mean(wm.rssm.feature(wm.rssm.observe(embeds, acts, batch.isFirst))), wm.rssm.parameters());
      }, flops.parts.rssm),
      decoder: part((wm, batch) => {
        const F = wm.rssm.featureSize;
        const feat = A.constant(keep(K.tensor(device, randomData(B * T * F, 9), [B, T, F])));
        const target = wm.preprocess(batch.obs);
        if (target.value !== batch.obs) keep(target.value);
        const eventDims = cfgOf(wm).modality === 'state' ? 1 : 3;
        return fwdBwd(() => A.gaussianNLL(wm.decoder.forward(feat), target, eventDims), wm.decoder.parameters());
      }, flops.parts.decoder),
      'reward head': part((wm, batch) => {
        const F = wm.rssm.featureSize;
        const feat = A.constant(keep(K.tensor(device, randomData(B * T * F, 10), [B, T, F])));
        return fwdBwd(() => A.gaussianNLL(wm.reward.forward(feat), A.constant(batch.rewards)), wm.reward.parameters());
      }, flops.parts.reward),
      adam: part((wm) => {
        const { trainer } = get();
        const grads = trainer.opt.params.map((/** @type {any} */ p) => keep(K.zeros(device, p.shape)));
        return () => void trainer.opt.apply(grads);
      }, null),
    });
  return /** @type {Case} */ ({
    name: `WorldModel.trainStep ${preset} ${modality} B${B} T${T}`,
    suite: 'rssm',
    unit: 'steps/s',
    work: 1,
    peak: 'flops',
    flops: flops.total,
    model: { params: flops.params, flops: flops.total, parts: flops.parts },
    impls,
    // a step takes seconds on software Vulkan: few samples, one step per sample
    measure: { targetSampleMs: 1, minSamples: 3, window: 3, tolerance: 0.1, budgetMs: 25_000, maxSamples: 8 },
  });
}

/** The gate's measure of the quick-state step: a few interleaved samples of the step and the FMA probe. */
export const TRAIN_STEP_GATE_MEASURE = { targetSampleMs: 1, minSamples: 6, maxSamples: 8, window: 3, tolerance: 0.15, budgetMs: 8000 };

/**
 * The gate's machine ratio of the quick-state trainStep: its model FLOP rate over an FMA probe's (peakFma, 65536
 * x 512 rounds of 64 FLOP, the size of the suites' peak probe) timed interleaved with it, i.e. the fraction of the in-run FMA peak, as
 * `<name>: ours/peak-fma` (unit GFLOP/s and work = model FLOPs, so runCase's fast-end ratio is that fraction).
 * Only compared with a baseline of the same machine key, like every ours/peak-* ratio.
 * @param {{ device: Device }} ctx
 */
export function trainStepPeakCase(ctx, B = 16, T = 50) {
  const c = worldModelCase({ device: ctx.device, parts: false, torch: false }, 'quick', 'state', B, T);
  return /** @type {Case} */ ({
    ...c,
    unit: 'GFLOP/s',
    work: /** @type {number} */ (c.flops),
    impls: { ours: c.impls.ours, 'peak-fma': peakFmaImpl(ctx.device, 1 << 16, 512) },
    measure: TRAIN_STEP_GATE_MEASURE,
  });
}

/**
 * The world-model cases (quick state and image; paper too with ctx.paper) and the agent's actor-critic update
 * in imagination at the same presets (suites/agent.mjs).
 * @param {{ device: Device, paper?: boolean, parts?: boolean, torch?: boolean }} ctx
 */
export async function rssmCases(ctx) {
  const { behaviourCase } = await import('./agent.mjs');
  const presets = /** @type {('quick' | 'paper')[]} */ (ctx.paper ? ['quick', 'paper'] : ['quick']);
  const cases = [];
  for (const p of presets) cases.push(worldModelCase(ctx, p, 'state'), worldModelCase(ctx, p, 'image'));
  for (const p of presets) cases.push(await behaviourCase(ctx, p));
  return cases;
}
