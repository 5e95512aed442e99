// makeRunConfig's overrides: nested optimiser settings merge key by key; unknown keys are named.
import { describe, expect, it } from 'vitest';
import { AGENT_PRESETS, makeRunConfig } from '../src/index.js';

const task = { name: 'cartpole-balance', stateSize: 5, actionSize: 1 };

describe('makeRunConfig overrides', () => {
  it('merges actorOpt / criticOpt key by key (lr alone keeps eps, clip and weight decay)', () => {
    const c = makeRunConfig('oracle', task, 'quick', 0, 1000, { agent: { behaviour: { actorOpt: { lr: 2e-4 } as never } } });
    expect(c.agent.behaviour.actorOpt).toEqual({ ...AGENT_PRESETS.quick.behaviour.actorOpt, lr: 2e-4 });
    expect(c.agent.behaviour.criticOpt).toEqual(AGENT_PRESETS.quick.behaviour.criticOpt);
    // the preset itself is untouched
    expect(AGENT_PRESETS.quick.behaviour.actorOpt.lr).toBe(8e-5);
  });
  it('names an unknown optimiser key and an unknown agent key', () => {
    expect(() => makeRunConfig('oracle', task, 'quick', 0, 1000, { agent: { behaviour: { actorOpt: { rate: 1 } as never } } })).toThrow(/unknown key 'actorOpt.rate'; valid keys here: lr, eps, clip, weightDecay/);
    expect(() => makeRunConfig('oracle', task, 'quick', 0, 1000, { agent: { behaviour: { horizn: 3 } as never } })).toThrow(/unknown key 'horizn'/);
  });
});
