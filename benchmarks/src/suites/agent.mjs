// Agent suite (the gate's count only, for now): the dispatches one DreamerAgent.update records, the world-model
// step and the actor-critic update in imagination together, which is what every training run of the project
// repeats. @twist/agent is not a dependency of this package: its built entry is imported by path (the gate
// needs the packages built anyway), resolving to the same @twist/kernels module as ours.
import * as K from '@twist/kernels';
import * as R from '@twist/rssm';
import { randomData } from '../ours.mjs';

/**
 * Dispatches of one DreamerAgent.update (quick preset, state modality) on a fresh agent, for a cartpole-sized
 * task (state 5, action 1) at the quick preset's batch (16 x 32, one episode start per sequence, with the host
 * copy of isFirst as replay passes it): deterministic for a given adapter, so the gate counts it once. Waits for
 * the device and releases everything before returning.
 * @param {import('@twist/kernels').Device} device
 */
export async function agentUpdateDispatches(device) {
  const { DreamerAgent, AGENT_PRESETS } = await import('../../../packages/agent/dist/index.js');
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
