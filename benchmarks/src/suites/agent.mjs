// Agent cases: the actor-critic update in imagination (Behaviour.update) timed at the quick and paper presets,
// with its model FLOPs (flops.mjs: behaviourFlops), and for the gate the dispatches one DreamerAgent.update
// records, the world-model step and the actor-critic update together, which is what every training run of the
// project repeats. @twist/agent is not a dependency of this package: its built entry is imported by path (the gate
// needs the packages built anyway), resolving to the same @twist/kernels module as ours.
import * as K from '@twist/kernels';
import * as R from '@twist/rssm';
import { behaviourFlops } from '../flops.mjs';
import { oursRunner, randomData } from '../ours.mjs';
import { timeRecording } from './rssm.mjs';

/** @typedef {import('../case.mjs').Case} Case */

const loadAgent = () => import('../../../packages/agent/dist/index.js');

/**
 * Behaviour.update (DreamerV2's ActorCritic.train) from the posterior states of one batch of the agent preset's
 * size (quick: 16 x 32 states, 256 of them drawn as starts; paper: 16 x 50, all 800), horizon 15, the agent
 * preset's actor and critic on the world model of the same preset (state modality, cartpole-sized: state 5,
 * action 1). The starts are random states (h in [-1, 1), z one-hot): what imagination costs does not depend on
 * where it starts. Model FLOPs: behaviourFlops.
 * @param {{ device: import('@twist/kernels').Device }} ctx
 * @param {'quick' | 'paper'} preset
 * @returns {Promise<Case>}
 */
export async function behaviourCase(ctx, preset) {
  const { DreamerAgent, AGENT_PRESETS } = await loadAgent();
  const device = ctx.device;
  const cfg = R.makeConfig(preset, { modality: 'state', stateSize: 5, actionSize: 1 });
  const acfg = structuredClone(AGENT_PRESETS[preset]);
  const { batch: B, length: T } = acfg.loop;
  const flops = behaviourFlops(cfg, acfg.behaviour, B * T);
  const { deter: D, stoch: S, classes: C } = cfg.rssm;
  /** @type {any} */
  let agent = null;
  /** @type {{ deter: import('@twist/kernels').Tensor, stoch: import('@twist/kernels').Tensor } | null} */
  let starts = null;
  const release = () => {
    agent?.dispose();
    starts?.deter.dispose();
    starts?.stoch.dispose();
    agent = starts = null;
  };
  return {
    name: `Behaviour.update ${preset} N${flops.N} H${flops.H}`,
    suite: 'rssm',
    unit: 'steps/s',
    work: 1,
    peak: 'flops',
    flops: flops.total,
    model: { params: flops.params, flops: flops.total, parts: flops.parts },
    note: `actor ${acfg.behaviour.actorLayers.join('x')}, critic ${acfg.behaviour.criticLayers.join('x')}, ${flops.N} of ${B}x${T} starts`,
    impls: {
      ours: {
        device: 'gpu',
        setup: async () => {
          agent = new DreamerAgent(device, cfg, acfg);
          const b = agent.behaviour;
          const n = [b.actor, b.critic, b.slowCritic].reduce((a, m) => a + m.parameters().reduce((/** @type {number} */ k, /** @type {any} */ p) => k + p.size, 0), 0);
          if (n !== flops.params) throw new Error(`flops.mjs counts ${flops.params} actor and critic parameters, the agent has ${n}: fix behaviourFlops`);
          const onehot = new Float32Array(B * T * S * C);
          const r = randomData(B * T * S, 11);
          for (let i = 0; i < B * T * S; i++) onehot[i * C + Math.floor(((r[i] + 1) / 2) * C) % C] = 1;
          starts = { deter: K.keep(K.tensor(device, randomData(B * T * D, 12), [B, T, D])), stoch: K.keep(K.tensor(device, onehot, [B, T, S, C])) };
          const st = starts;
          return { ...timeRecording(oursRunner(device, () => b.update(agent.wm, st))), dispose: release };
        },
      },
    },
    measure: { targetSampleMs: 1, minSamples: 3, window: 3, tolerance: 0.1, budgetMs: 25_000, maxSamples: 8 },
  };
}


/**
 * Dispatches of one DreamerAgent.update (quick preset, state modality) on a fresh agent, for a cartpole-sized
 * task (state 5, action 1) at the quick preset's batch (16 x 32, one episode start per sequence, with the host
 * copy of isFirst as replay passes it): deterministic for a given adapter, so the gate counts it once. Waits for
 * the device and releases everything before returning.
 * @param {import('@twist/kernels').Device} device
 */
export async function agentUpdateDispatches(device) {
  const { DreamerAgent, AGENT_PRESETS } = await loadAgent();
  const cfg = R.makeConfig('quick', { modality: 'state', stateSize: 5, actionSize: 1 });
  const acfg = structuredClone(AGENT_PRESETS.quick);
  const agent = new DreamerAgent(device, cfg, acfg);
  const { batch: B, length: T } = acfg.loop;
  const isFirst = new Float32Array(B * T);
  for (let b = 0; b < B; b++) isFirst[b * T] = 1;
  const batch = {
    obs: K.tensor(device, randomData(B * T * 5, 5), [B, T, 5]),
    actions: K.tensor(device, randomData(B * T, 6), [B, T, 1]),
    rewards: K.tensor(device, randomData(B * T, 7), [B, T]),
    isFirst: K.tensor(device, isFirst, [B, T]),
    isFirstHost: isFirst,
  };
  const d0 = device.stats().dispatches;
  const metrics = await agent.update(batch);
  const n = device.stats().dispatches - d0;
  await device.sync();
  for (const t of Object.values(metrics)) /** @type {any} */ (t)?.dispose?.();
  for (const [k, t] of Object.entries(batch)) if (k !== 'isFirstHost') /** @type {any} */ (t).dispose();
  agent.dispose();
  return n;
}
