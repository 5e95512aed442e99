import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { train } from '../src/node.js';
import { cpu, gpuOrNull } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'twist-learn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The agent learns: an Oracle (state Dreamer) at the debug preset on cartpole-balance with 200-control-step
 * episodes (100 policy steps). Evaluated with the actor's mode on 5 fixed seeds against the uniform-random and
 * zero-action policies on the same seeds. The margin is stated in the assertion; a broken actor gradient,
 * lambda-return or action/observation pairing leaves the agent at or below the random policy.
 *
 * KNOWN FAILING (issue 9 stays open): at the debug preset this run ends below the random policy (65 against
 * 107 on these seeds; the actor saturates at an action bound, see results/oracle-cartpole-balance-quick/README.md),
 * so it runs only with TWIST_LEARN=1 (about 10 minutes on 2 cores) until the cause is fixed.
 * With the options of the quick run that learns furthest (results/oracle-cartpole-balance-quick-actionembed:
 * world.rssm.actionEmbed 16, behaviour.returnNorm, actorEntropy 3e-4, warmup 100) this run passed on seed 1
 * (134.8 against a threshold of 130.6; 48 / 76 / 127 / 135 at 2k-8k env steps) and failed on seed 2 (110.1 against
 * 125.0): not yet a test that passes reliably, so it stays opt-in. The learning test that runs in CI is
 * learn-reach.test.ts (point-mass-reach).
 */
describe('learning', () => {
  it.skipIf(!process.env.TWIST_LEARN)('an Oracle at the debug preset beats the random policy on cartpole-balance by a clear margin', async () => {
    const device = (await gpuOrNull()) ?? cpu;
    const res = await train({
      dir: join(root, 'oracle'),
      device,
      method: 'oracle',
      task: 'cartpole-balance',
      preset: 'debug',
      seed: 1,
      steps: 8000,
      episodeLength: 200,
      overrides: {
        agent: {
          behaviour: { horizon: 10 },
          loop: { envs: 2, prefill: 400, pretrain: 50, trainEvery: 4, batch: 12, length: 24, evalEvery: 100_000, evalEpisodes: 5, checkpointEvery: 100_000, logEvery: 50 },
        },
      },
      log: (s) => console.log(s),
    });
    const ev = res.lastEval!;
    const random = ev.references!.random.mean;
    const zero = ev.references!.zero.mean;
    console.log(`learned: ${ev.mean.toFixed(1)} (episodes ${ev.returns.map((r) => r.toFixed(0)).join(', ')}); random ${random.toFixed(1)}, zero action ${zero.toFixed(1)}; ${res.updates} updates in ${res.wallSeconds.toFixed(0)} s`);
    expect(ev.mean).toBeGreaterThan(random + 0.25 * (200 - random));
  }, 900_000);
});
