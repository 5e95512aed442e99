import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_PRESETS } from '../src/index.js';
import { train } from '../src/node.js';
import { cpu, gpuOrNull } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'twist-learn-reach-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The agent learns (in CI): an Oracle (state Dreamer) at the debug preset on point-mass-reach (@twist/envs: a
 * 1-D point mass that must reach and hold a target 0.4-0.6 m to either side of its start; 200-control-step
 * episodes, 100 policy steps at action repeat 2, returns in [0, 200]; a PD controller scores ~178). Evaluated
 * with the actor's mode on 5 fixed seeds against the uniform-random and zero-action policies on the same seeds.
 * Margin: the learned return must exceed random + 50% of the gap from random to the maximum 200 (random 61.8
 * on seed 1's evaluation seeds: threshold 130.9). A broken actor gradient, lambda-return or action/observation
 * pairing leaves the agent near the random or zero-action policy.
 *
 * Overrides of the debug preset: the loop of learn.test.ts (cartpole; 2 envs, prefill 400, pretrain 50, train
 * every 4 policy steps, batch 12 x 24), the options of the quick Oracle that learns furthest on cartpole
 * (world.rssm.actionEmbed 16, behaviour.returnNorm, actorEntropy 3e-4, warmup 100), horizon 10 and actor lr 3e-4
 * (debug: 1e-3). 10 000 env steps = 1200 updates.
 *
 * Measured on 2 cores shared with other jobs (load ~7; about 2x slower than idle), one seed at a time:
 *   seed 1: 172.8 (episodes 169, 176, 171, 176, 173) against random 61.8, zero 31.4: threshold 130.9; 253 s
 *   seed 2: 150.1 (episodes 165, 144, 112, 154, 176) against random 63.2, zero 36.2: threshold 131.6; 194 s
 * Without the behaviour overrides (debug preset, the loop above, 8000 steps) seed 1 learned (142.5 at 6000 steps)
 * but seed 2 stayed at 85 (27 at 2000-4000 steps): the actor's mean saturates at an action bound, so its mode
 * pushes into a stop (~45) while its sampled training episodes reach 130-170. With the quick Oracle's options
 * but actor lr 1e-3, seed 2 ended at 84.8 after 8000 steps. With reward margin 0.25 instead of the task's 0.5
 * (reward ~1e-4 at the start) seed 1 learned nothing in 450 updates.
 * BROKEN
 *
 * TWIST_REACH_SEED / TWIST_REACH_STEPS / TWIST_REACH_EVAL_EVERY change the seed, the length and the evaluation
 * period for such measurements; CI runs the defaults.
 */
const SEED = Number(process.env.TWIST_REACH_SEED ?? 1);
const STEPS = Number(process.env.TWIST_REACH_STEPS ?? 10_000);
const EVAL_EVERY = Number(process.env.TWIST_REACH_EVAL_EVERY ?? 100_000);

describe('learning (point-mass-reach)', () => {
  it('an Oracle at the debug preset beats the random policy on point-mass-reach by half the gap to the maximum', async () => {
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
    const ev = res.lastEval!;
    const random = ev.references!.random.mean;
    const zero = ev.references!.zero.mean;
    console.log(`learned: ${ev.mean.toFixed(1)} (episodes ${ev.returns.map((r) => r.toFixed(0)).join(', ')}); random ${random.toFixed(1)}, zero action ${zero.toFixed(1)}; ${res.updates} updates in ${res.wallSeconds.toFixed(0)} s`);
    expect(ev.mean).toBeGreaterThan(random + 0.5 * (200 - random));
  }, 900_000);
});
