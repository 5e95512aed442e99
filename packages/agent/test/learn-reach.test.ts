import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_PRESETS } from '../src/index.js';
import { readMetricsLog, train } from '../src/node.js';
import { cpu, gpuOrNull } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'twist-learn-reach-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The agent learns (in CI): an Oracle (state Dreamer) at the debug preset on point-mass-reach (@twist/envs: a
 * 1-D point mass that must reach and hold a target 0.4-0.6 m to either side of its start; 200-control-step
 * episodes, 100 policy steps at action repeat 2, returns in [0, 200]; a PD controller scores ~178). Evaluated
 * every 2000 env steps with the actor's mode on 5 fixed seeds, against the uniform-random and zero-action
 * policies on the same seeds. Margin: the best of the 5 evaluations must exceed random + 50% of the gap from
 * random to the maximum 200 (seed 1: random 61.8, threshold 130.9). The best, not the last: at this preset
 * learning is not stable (seed 3, below, peaks at 4000 steps and falls back), and this test is about whether
 * the agent learns at all; the last evaluation is printed too.
 *
 * Overrides of the debug preset: the loop of learn.test.ts (cartpole; 2 envs, prefill 400, pretrain 50, train
 * every 4 policy steps, batch 12 x 24), the options of the quick Oracle that learns furthest on cartpole
 * (world.rssm.actionEmbed 16, behaviour.returnNorm, actorEntropy 3e-4, warmup 100), horizon 10 and actor lr 3e-4
 * (debug: 1e-3). 10 000 env steps = 1200 updates.
 *
 * Measured with the WebGPU (lavapipe) device on 2 cores shared with other jobs (load 2-9; about 2x slower than
 * idle), one seed at a time (thresholds: random + 50% of the gap):
 *   seed 1 (the test's): best 166.5 (46.3, 157.4, 166.5, 154.6, 148.9 at 2000-10000 steps) against random 61.8,
 *     zero 31.4: threshold 130.9; 281 s. An earlier run without the periodic evaluations ended at 172.8; 253 s.
 *   seed 2: best 149.1 (42.2, 76.1, 85.0, 149.1, 117.4 at 2000-10000 steps) against random 63.2, zero 36.2:
 *     threshold 131.6; 284 s. An earlier run without the periodic evaluations ended at 150.1; 194 s.
 *   seed 3: best 125.9 (30.4, 125.9, 81.8, 68.0, 48.9 at 2000-10000 steps) against random 41.7, zero 32.1:
 *     threshold 120.9, passes; 293 s. An earlier run without the periodic evaluations ended at 66.7 (fails
 *     on the last evaluation), after training returns of 140 / 123 at 3600 steps.
 * Without the behaviour overrides (debug preset, the loop above, 8000 steps) seed 1 learned (142.5 at 6000 steps)
 * but seed 2 stayed at 85 (27 at 2000-4000 steps): the actor's mean saturates at an action bound, so its mode
 * pushes into a stop (~45) while its sampled training episodes reach 130-170. With the quick Oracle's options
 * but actor lr 1e-3, seed 2 ended at 84.8 after 8000 steps; with actor lr 2e-4, critic lr 3e-4 and horizon 15,
 * seed 3 was no better (training returns 30-97 at 4000-7200 steps; stopped). With reward margin 0.25 instead
 * of the task's 0.5 (reward ~1e-4 at the start) seed 1 learned nothing in 450 updates.
 * It fails when the actor does not learn: seed 1 with the actor frozen (behaviour.actorOpt.lr 1e-12 in a copy of
 * this test, not committed) scored best 98.7 (63.9, 98.7, 50.4, 49.3, 36.0 at 2000-10000 steps; threshold 130.9;
 * 289 s). Frozen, it still acts on the world model's features, which keep changing, hence the one evaluation
 * above random: 32 below the threshold, where the learning seeds are 5 (seed 3), 17 (seed 2) and 36 (seed 1) above it.
 *
 * TWIST_REACH_SEED / TWIST_REACH_STEPS / TWIST_REACH_EVAL_EVERY change the seed, the length and the evaluation
 * period for such measurements; CI runs the defaults.
 */
const SEED = Number(process.env.TWIST_REACH_SEED ?? 1);
const STEPS = Number(process.env.TWIST_REACH_STEPS ?? 10_000);
const EVAL_EVERY = Number(process.env.TWIST_REACH_EVAL_EVERY ?? 2000);

describe('learning (point-mass-reach)', () => {
  it('an Oracle at the debug preset beats the random policy on point-mass-reach by half the gap to the maximum (best of 5 evaluations)', async () => {
    const device = (await gpuOrNull()) ?? cpu;
    const res = await train({
      dir: join(root, `oracle-${SEED}`),
      device,
      method: 'oracle',
      task: 'point-mass-reach',
      preset: 'debug',
      seed: SEED,
      steps: STEPS,
      overrides: {
        world: { rssm: { actionEmbed: 16 } },
        agent: {
          behaviour: { returnNorm: true, actorEntropy: 3e-4, warmup: 100, horizon: 10, actorOpt: { ...AGENT_PRESETS.debug.behaviour.actorOpt, lr: 3e-4 } },
          loop: { envs: 2, prefill: 400, pretrain: 50, trainEvery: 4, batch: 12, length: 24, evalEvery: EVAL_EVERY, evalEpisodes: 5, checkpointEvery: 100_000, logEvery: 50 },
        },
      },
      log: (s) => console.log(s),
    });
    const evals = readMetricsLog(join(root, `oracle-${SEED}`, 'metrics.jsonl')).filter((r) => r.kind === 'eval');
    const random = evals[0].references.random.mean as number;
    const zero = evals[0].references.zero.mean as number;
    const best = Math.max(...evals.map((r) => r.mean as number));
    const curve = evals.map((r) => `${(r.mean as number).toFixed(1)} at ${r.envFrames}`).join(', ');
    console.log(`learned: best ${best.toFixed(1)}, last ${res.lastEval!.mean.toFixed(1)} (${curve}); random ${random.toFixed(1)}, zero action ${zero.toFixed(1)}; ${res.updates} updates in ${res.wallSeconds.toFixed(0)} s`);
    expect(evals.length).toBeGreaterThanOrEqual(Math.floor(STEPS / EVAL_EVERY));
    expect(best).toBeGreaterThan(random + 0.5 * (200 - random));
    // 1500 s: on the 2-core AMD EPYC AVX2 kind, with a distillation running beside CI's parallel test files
    // (2026-12-03), it ran past the earlier 900 s after it had learned (157.5 at 4000 env steps); in CI alone on that
    // kind it took 478 s (best 166.8).
  }, 1_500_000);
});
