// The regression gate: a short suite whose RATIOS (ours / tfjs-webgpu on the same adapter, ours / an in-run
// reference kernel) and COUNTS (dispatches per training step) are compared with the baseline of this machine's
// key in benchmarks/baseline.json. Absolute times are never gated: they follow the machine and its load, while a
// ratio of two things timed interleaved in one process mostly does not, and a count not at all. The logic (keys, floors, verdict, provisional baselines) is in gate-logic.mjs,
// pure so that test/gate.test.mjs can drive it; this file holds the cases and the file I/O.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseBaselines } from './gate-logic.mjs';

export * from './gate-logic.mjs';

/** Short budgets: the whole gate must stay well under 3 minutes on 2 loaded cores. */
export const GATE_MEASURE = { targetSampleMs: 80, minSamples: 8, maxSamples: 14, window: 5, tolerance: 0.1, budgetMs: 3000 };

/**
 * The gate's cases. The suites (and so the built packages) are imported here, not at the top, so that reading
 * and writing baselines (--write-readme) needs no build.
 * @param {{ device: import('@twist/kernels').Device }} ctx
 */
export async function gateCases(ctx) {
  const { mlpStepCase } = await import('./suites/autograd.mjs');
  const { trainStepPeakCase } = await import('./suites/rssm.mjs');
  const { convCase, gruCase, klCase, matmulCase, softmaxCase, unaryCase } = await import('./suites/kernels.mjs');
  const c = { device: ctx.device, peers: ['tfjs-webgpu'], reference: true };
  // Smaller than the full suite where a peer needs seconds per op on software Vulkan; the ratios are what counts.
  const cases = [
    matmulCase(c, 256),
    unaryCase(c, 1 << 20),
    softmaxCase(c, 6400, 32),
    klCase(c, 200, 32, 32),
    gruCase(c, 100, 200, 200),
    convCase(c, 4),
    mlpStepCase(c, 64, 256, [128, 128]),
    // the quick-state WorldModelTrainer step's fraction of the in-run FMA peak (a machine ratio)
    trainStepPeakCase(c),
  ];
  for (const x of cases) x.suite = 'gate';
  return cases;
}

const TRAIN_STEP = 'WorldModel.trainStep quick state B16 T50';

const AGENT_UPDATE = 'DreamerAgent.update quick state B16 T32';

/**
 * The gate's counts: dispatches of one quick-state WorldModelTrainer step at B16 x T50, plain and with the host
 * copy of isFirst (the agent's path), and of one whole agent update (world-model step and actor-critic update in
 * imagination, quick preset). Deterministic, so each is one untimed step (a few seconds in all), gated at
 * COUNT_TOLERANCE (2%) above its baseline.
 * @param {{ device: import('@twist/kernels').Device }} ctx
 * @returns {Promise<Record<string, number>>}
 */
export async function gateCounts(ctx) {
  const { trainStepDispatches } = await import('./suites/rssm.mjs');
  const { agentUpdateDispatches } = await import('./suites/agent.mjs');
  return {
    [`${TRAIN_STEP}: dispatches/step`]: await trainStepDispatches(ctx.device),
    [`${TRAIN_STEP} isFirstHost: dispatches/step`]: await trainStepDispatches(ctx.device, { hint: true }),
    [`${AGENT_UPDATE}: dispatches/update`]: await agentUpdateDispatches(ctx.device),
  };
}

/** The baselines file (benchmarks/baseline.json), parsed; an empty one when there is none. */
export function readBaselines(/** @type {string} */ file) {
  return parseBaselines(existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null);
}

export function writeBaselines(/** @type {string} */ file, /** @type {import('./gate-logic.mjs').BaselinesFile} */ b) {
  writeFileSync(file, JSON.stringify(b, null, 1) + '\n');
}
