import * as AN from '@twist/autograd/node';
import type { Device } from '@twist/kernels';
import { DreamerAgent } from '../agent.js';
import type { RunConfig } from '../methods.js';
import { readRunConfig, runPaths, UsageError } from './run-dir.js';

/** The agent of a run directory at its last checkpoint (for evaluation, or as a TWIST teacher). */
export function loadRunAgent(device: Device, dir: string): { agent: DreamerAgent; config: RunConfig; info: Record<string, unknown> } {
  const config = readRunConfig<RunConfig>(dir);
  const ckpt = runPaths(dir).ckpt;
  if (!AN.hasCheckpoint(ckpt)) throw new UsageError(`${dir} has no checkpoint yet (nothing to load in ${ckpt})`);
  const agent = new DreamerAgent(device, config.world, config.agent);
  try {
    const { info } = AN.loadCheckpoint(ckpt, agent.parts());
    agent.restoreCounters(info.agent as Record<string, unknown>);
    return { agent, config, info };
  } catch (e) {
    agent.dispose();
    throw e;
  }
}
