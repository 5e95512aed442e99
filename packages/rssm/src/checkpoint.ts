/**
 * World-model checkpoint directories (Node: @twist/rssm/node). The layout and the atomic commit are
 * @twist/autograd/node's; the model's config and the RSSM's RNG counter travel with the weights, so a loaded
 * model is the saved one and a resumed run draws the samples the uninterrupted run would have.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '@twist/autograd/node';
import type { Device } from '@twist/kernels';
import type { WorldModelConfig } from './config.js';
import { WorldModelTrainer, type WorldModelOptOptions } from './trainer.js';
import { WorldModel } from './world-model.js';

/**
 * Saves a model's parameters and config atomically to dir. A model carries no optimiser state: a trainer
 * saves its own (saveWorldModelTrainer), a frozen teacher has none.
 */
export function saveWorldModel(model: WorldModel, dir: string, info: Record<string, unknown> = {}): Promise<void> {
  // The RNG counter is state too: a resumed run must draw the samples the uninterrupted run would have.
  return saveCheckpoint(dir, { modules: { model } }, model.cfg, { ...info, rssmRngOffset: model.rssm.rngOffset });
}

/** Rebuilds a model from a directory written by saveWorldModel (config from its JSON). Synchronous. */
export function loadWorldModel(device: Device, dir: string): { model: WorldModel; info: Record<string, unknown> } {
  const model = new WorldModel(device, readCheckpointConfig(dir) as WorldModelConfig);
  const { info } = loadCheckpoint(dir, { modules: { model } });
  return { model, info: model.takeRngState(info) };
}

/** Saves the trainer's model parameters, its optimiser state and the config atomically to dir. */
export function saveWorldModelTrainer(trainer: WorldModelTrainer, dir: string, info: Record<string, unknown> = {}): Promise<void> {
  const wm = trainer.model;
  return saveCheckpoint(dir, { modules: { model: wm }, optimizers: { model: trainer.opt } }, wm.cfg, { ...info, rssmRngOffset: wm.rssm.rngOffset });
}

/** Rebuilds model and trainer (with its optimiser state) from a directory written by saveWorldModelTrainer. Synchronous. */
export function loadWorldModelTrainer(
  device: Device,
  dir: string,
  opt: WorldModelOptOptions = {},
): { trainer: WorldModelTrainer; model: WorldModel; info: Record<string, unknown> } {
  const model = new WorldModel(device, readCheckpointConfig(dir) as WorldModelConfig);
  const trainer = new WorldModelTrainer(model, opt);
  const { info } = loadCheckpoint(dir, { modules: { model }, optimizers: { model: trainer.opt } });
  return { trainer, model, info: model.takeRngState(info) };
}

/** The config stored in a checkpoint's JSON, with errors that name the file. */
export function readCheckpointConfig(dir: string): unknown {
  const path = join(dir, 'checkpoint.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`checkpoint: ${path} does not exist or cannot be read (no checkpoint in ${dir})`);
  }
  try {
    return JSON.parse(text).config;
  } catch {
    throw new Error(`checkpoint: ${path} is not valid JSON (a truncated or foreign file)`);
  }
}
