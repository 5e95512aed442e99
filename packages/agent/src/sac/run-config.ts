import { PRESETS, type DeepPartial } from '@twist/rssm';
import type { AgentPresetName } from '../config.js';
import { SAC_PRESETS, validateSacConfig, type SacAgentConfig, type SacConfig } from './config.js';

/**
 * What an asym-sac run observes, in run.json's `world` key (there is no world model): the actor's input
 * (`modality`: images, or the state for the state-input variant), the image size (the preset's world-model
 * image size: 64, debug 32), and the privileged state and action sizes of the task.
 */
export interface SacObservationConfig {
  modality: 'image' | 'state';
  stateSize: number;
  actionSize: number;
  imageSize: number;
  imageChannels: number;
  seed: number;
}

export interface SacRunConfig {
  method: 'asym-sac';
  task: string;
  preset: AgentPresetName;
  seed: number;
  /** Env-step budget in frames (control steps). */
  steps: number;
  world: SacObservationConfig;
  agent: SacAgentConfig;
  episodeLength?: number;
  collect?: undefined;
}

/** Overrides of an asym-sac run: `agent.sac` (nested objects merge key by key), `agent.loop`, `world.imageSize`. */
export interface SacOverrides {
  world?: { imageSize?: number };
  agent?: { sac?: DeepPartial<SacConfig>; loop?: Partial<SacAgentConfig['loop']>; behaviour?: unknown };
}

export function makeSacRunConfig(task: { name: string; stateSize: number; actionSize: number }, preset: AgentPresetName, seed: number, steps: number, overrides: SacOverrides = {}): SacRunConfig {
  const worldOver = (overrides.world ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(worldOver)) {
    if (k !== 'imageSize') throw new Error(`asym-sac config: unknown key 'world.${k}'; an asym-sac run has no world model, only 'world.imageSize' (32 or 64) may be set`);
  }
  const imageSize = (worldOver.imageSize as number | undefined) ?? PRESETS[preset].imageSize;
  if (imageSize !== 32 && imageSize !== 64) throw new Error(`asym-sac config: 'world.imageSize' must be 32 or 64 (the renderer's sizes of the image methods), got ${JSON.stringify(imageSize)}`);
  const a = overrides.agent ?? {};
  if (a.behaviour !== undefined) throw new Error("asym-sac config: 'agent.behaviour' is the Dreamer actor-critic's; asym-sac takes 'agent.sac' and 'agent.loop'");
  for (const k of Object.keys(a)) if (k !== 'sac' && k !== 'loop') throw new Error(`asym-sac config: unknown key 'agent.${k}'; valid keys here: sac, loop`);
  const base = SAC_PRESETS[preset];
  const sac = merge(structuredClone(base.sac), a.sac ?? {}, 'sac.') as SacConfig;
  const loop = merge(structuredClone(base.loop), a.loop ?? {}, 'loop.') as SacAgentConfig['loop'];
  const agent: SacAgentConfig = { sac, loop };
  validateSacConfig(agent, imageSize);
  return {
    method: 'asym-sac',
    task: task.name,
    preset,
    seed,
    steps,
    world: { modality: sac.actorInput, stateSize: task.stateSize, actionSize: task.actionSize, imageSize, imageChannels: 3, seed },
    agent,
  };
}

function merge(into: any, over: any, path: string): any {
  for (const [k, v] of Object.entries(over ?? {})) {
    if (!(k in into)) throw new Error(`asym-sac config: unknown key '${path}${k}'; valid keys here: ${Object.keys(into).join(', ')}`);
    if (v === undefined) throw new Error(`asym-sac config: '${path}${k}' is undefined`);
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && into[k] !== null && typeof into[k] === 'object' && !Array.isArray(into[k])) merge(into[k], v, `${path}${k}.`);
    else into[k] = v;
  }
  return into;
}
