import { describe, expect, it } from 'vitest';
import { evaluate, type EvalActor } from '../src/node.js';
import { cpu } from './harness.js';

describe('evaluate', () => {
  it('stops naming the env and action index when the policy returns a non-finite action', async () => {
    let calls = 0;
    const actor: EvalActor = {
      observes: 'state',
      resetPolicy: () => {},
      act: async (_obs, isFirst) => Float32Array.from({ length: isFirst.length }, () => (++calls > 3 ? NaN : 0)),
    };
    await expect(evaluate(cpu, actor, { task: 'cartpole-balance', domain: 'none', episodes: 1, seed: 3, episodeLength: 20, references: false })).rejects.toThrow(
      /^evaluate: the policy's action 0\[0\] is NaN \(its parameters or latent state are not finite\), on cartpole-balance$/,
    );
    expect(calls).toBe(4);
  });
});
