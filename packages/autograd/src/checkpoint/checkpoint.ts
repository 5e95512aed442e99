import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@twist/kernels';
import type { Module } from '../nn/module.js';
import type { Adam } from '../optim/adam.js';
import { loadSafetensors, saveSafetensors, writeFileAtomic } from './safetensors.js';

export interface CheckpointParts {
  modules: Record<string, Module>;
  optimizers?: Record<string, Adam>;
}

const FORMAT = 'twist-ts/checkpoint/1';

function collect(parts: CheckpointParts): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [mn, m] of Object.entries(parts.modules)) for (const [pn, v] of m.namedParameters()) out.set(`${mn}/${pn}`, v.value);
  for (const [on, o] of Object.entries(parts.optimizers ?? {})) {
    for (const [k, t] of Object.entries(o.state().tensors)) out.set(`${on}/${k}`, t);
  }
  return out;
}

/**
 * Saves module parameters and optimiser state to `dir/weights.safetensors` and the JSON config (plus the step
 * counters) to `dir/checkpoint.json`. Both are written atomically; the JSON is written last, so a checkpoint
 * whose JSON exists is complete. Saving again overwrites in place, still atomically.
 */
export async function saveCheckpoint(dir: string, parts: CheckpointParts, config: unknown, info: Record<string, unknown> = {}): Promise<void> {
  const tensors = Object.fromEntries(collect(parts));
  const optimizerSteps = Object.fromEntries(Object.entries(parts.optimizers ?? {}).map(([n, o]) => [n, o.step]));
  await saveSafetensors(join(dir, 'weights.safetensors'), tensors, { format: FORMAT });
  writeFileAtomic(join(dir, 'checkpoint.json'), JSON.stringify({ format: FORMAT, config, optimizerSteps, info }, null, 2) + '\n');
}

/** True when dir holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint.json')) && existsSync(join(dir, 'weights.safetensors'));
}

/**
 * Loads a checkpoint into existing modules and optimisers (built with the same config). Every expected tensor
 * must be present with the same shape and dtype; otherwise nothing is loaded and the error lists each missing,
 * unexpected and mismatched name. Returns the saved config and info.
 */
export function loadCheckpoint(dir: string, parts: CheckpointParts): { config: unknown; info: Record<string, unknown> } {
  const jsonPath = join(dir, 'checkpoint.json');
  if (!existsSync(jsonPath)) throw new Error(`loadCheckpoint: ${jsonPath} does not exist (no complete checkpoint in ${dir})`);
  let meta: any;
  try {
    meta = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch {
    throw new Error(`loadCheckpoint: ${jsonPath} is not valid JSON`);
  }
  if (meta?.format !== FORMAT) throw new Error(`loadCheckpoint: ${jsonPath} has format ${JSON.stringify(meta?.format)}, expected '${FORMAT}'`);
  const { tensors } = loadSafetensors(join(dir, 'weights.safetensors'));
  const want = collect(parts);
  const problems: string[] = [];
  for (const [name, t] of want) {
    const got = tensors.get(name);
    if (!got) problems.push(`missing '${name}' (expected ${t.dtype}[${t.shape}])`);
    else if (got.dtype !== t.dtype || got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i])) {
      problems.push(`'${name}': file has ${got.dtype}[${got.shape}], model has ${t.dtype}[${t.shape}]`);
    }
  }
  for (const name of tensors.keys()) if (!want.has(name)) problems.push(`unexpected '${name}' in the file`);
  if (problems.length) throw new Error(`loadCheckpoint: ${dir} does not match the model:\n  ${problems.join('\n  ')}`);
  for (const [name, t] of want) t.write(tensors.get(name)!.data);
  for (const [n, o] of Object.entries(parts.optimizers ?? {})) o.step = Number(meta.optimizerSteps?.[n] ?? 0);
  return { config: meta.config, info: meta.info ?? {} };
}
