import * as AN from '@twist/autograd/node';
import type { Device } from '@twist/kernels';
import { DreamerAgent } from '../agent.js';
import type { Actor } from '../eval.js';
import { isSacRun, type AnyRunConfig, type RunConfig } from '../methods.js';
import { createSacAgent } from '../sac/learner.js';
import { readRunConfig, runPaths, UsageError } from './run-dir.js';

/** The agent of a run directory at its last checkpoint (for evaluation, or as a TWIST teacher). Dreamer methods only. */
export function loadRunAgent(device: Device, dir: string): { agent: DreamerAgent; config: RunConfig; info: Record<string, unknown> } {
  const config = readRunConfig<AnyRunConfig>(dir);
  if (isSacRun(config)) throw new UsageError(`${dir} is an '${config.method}' run: it has no world model (load its policy with loadRunActor)`);
  const ckpt = runPaths(dir).ckpt;
  if (!AN.hasCheckpoint(ckpt)) throw new UsageError(`${dir} has no checkpoint yet (nothing to load in ${ckpt})`);
  const agent = new DreamerAgent(device, config.world, config.agent);
  try {
    // A weights-only checkpoint (run.json weightsOnly) has the modules and no optimiser state: the optimisers stay fresh.
    const { info } = AN.loadCheckpoint(ckpt, config.weightsOnly ? { modules: agent.parts().modules } : agent.parts());
    agent.restoreCounters(info.agent as Record<string, unknown>);
    return { agent, config, info };
  } catch (e) {
    agent.dispose();
    throw e;
  }
}

/**
 * The acting policy of any training run at its last checkpoint (a Dreamer method's agent, or asym-sac's actor),
 * as an evaluation Actor: what it observes, its image size, act and resetPolicy. dispose() frees the agent.
 */
export function loadRunActor(device: Device, dir: string): { actor: Actor; config: AnyRunConfig; info: Record<string, unknown>; dispose(): void } {
  const config = readRunConfig<AnyRunConfig>(dir);
  if (!isSacRun(config)) {
    const { agent, info } = loadRunAgent(device, dir);
    const actor: Actor = { observes: config.world.modality, imageSize: config.world.imageSize, act: (o, f, m) => agent.act(o, f, m), resetPolicy: () => agent.resetPolicy() };
    return { actor, config, info, dispose: () => agent.dispose() };
  }
  const ckpt = runPaths(dir).ckpt;
  if (!AN.hasCheckpoint(ckpt)) throw new UsageError(`${dir} has no checkpoint yet (nothing to load in ${ckpt})`);
  const agent = createSacAgent(device, config, { loading: true });
  try {
    const { info } = AN.loadCheckpoint(ckpt, agent.parts());
    agent.restoreCounters(info.agent as Record<string, unknown>);
    const actor: Actor = { observes: config.world.modality, imageSize: config.world.imageSize, act: (o, f, m) => agent.act(o, f, m), resetPolicy: () => agent.resetPolicy() };
    return { actor, config, info, dispose: () => agent.dispose() };
  } catch (e) {
    agent.dispose();
    throw e;
  }
}
