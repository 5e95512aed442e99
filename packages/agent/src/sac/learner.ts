import type { Device, Tensor } from '@twist/kernels';
import type { Replay } from '../replay/index.js';
import { SacAgent } from './agent.js';
import { sampleTransitionsHost, uploadTransitions } from './batch.js';
import type { SacRunConfig } from './run-config.js';

/**
 * The agent of an asym-sac run, made from its run.json. `loading`: a checkpoint overwrites every parameter at
 * once, so the orthogonal init (seconds of host QR at the paper's 1024-wide layers) is skipped.
 */
export function createSacAgent(device: Device, config: SacRunConfig, opts: { loading?: boolean } = {}): SacAgent {
  const { stateSize, actionSize, imageSize, imageChannels } = config.world;
  const cfg = opts.loading ? { ...config.agent.sac, init: 'glorot' as const } : config.agent.sac;
  return new SacAgent(device, { stateSize, actionSize, imageSize, imageChannels }, cfg, config.seed);
}

/**
 * One SAC update as the training loop runs it: B transitions from the replay (sampleTransitionsHost: windows of
 * 2 steps, frame stacks, random shifts from the agent's augRng), uploaded, one SacAgent.update, the batch freed.
 */
export async function sacUpdateFromReplay(device: Device, agent: SacAgent, replay: Replay, batch: number): Promise<Record<string, Tensor | undefined>> {
  const h = sampleTransitionsHost(replay, batch, agent.cfg, agent.augRng);
  const b = uploadTransitions(device, h, agent.obsShape);
  try {
    return { ...(await agent.update(b)) };
  } finally {
    for (const t of Object.values(b)) t.dispose();
  }
}
