import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@twist/kernels';
import type { Module } from '../nn/module.js';
import type { Adam } from '../optim/adam.js';
import { crc32Hex, decodeSafetensors, encodeSafetensors, type LoadedTensor } from './safetensors-codec.js';
import { fsyncDir, writeFileAtomic } from './safetensors.js';

export interface CheckpointParts {
  modules: Record<string, Module>;
  optimizers?: Record<string, Adam>;
}

/*
 * How a checkpoint is laid out, and why a save is atomic.
 *
 * A checkpoint directory holds
 *   checkpoint.json                           the manifest: format, config, optimiser steps, info, and the name,
 *                                             byte size and CRC-32 of the weights file of the same save
 *   weights-<pid>-<random>.safetensors        that weights file (every tensor with its own CRC-32 in __metadata__)
 * A save never modifies a file a committed manifest refers to:
 *   1. read every tensor back from the device and encode the file (refusing NaN/Inf) before touching the disk;
 *   2. write the weights under a fresh name (temp file, fsync, rename to the fresh name, fsync the directory);
 *   3. commit: write checkpoint.json the same way (temp file `checkpoint.json.tmp-<pid>-<n>`, fsync, rename
 *      over the old checkpoint.json, fsync the directory);
 *   4. only then delete the previous weights file and any stale temp files.
 * The commit is a single rename(2) of a file onto checkpoint.json, which POSIX (and Linux on every local file
 * system) makes atomic: at every instant the name checkpoint.json refers to the complete old manifest or the
 * complete new one, never to a partial file and never to nothing, and each manifest names a weights file that
 * was complete and fsynced before the manifest existed and that stays until a newer manifest has replaced it.
 * So whatever instant a process is killed at (or the power fails: the fsyncs order the steps on disk), the
 * directory holds exactly the old checkpoint or exactly the new one: weights, optimiser steps, RNG offsets and
 * info always come from the same save. (Renaming whole directories instead would leave an instant with no
 * directory at all, as Node has no renameat2(RENAME_EXCHANGE); this design needs no recovery step.)
 * A kill leaves at most a temp file or an unreferenced weights file; both carry the writer's pid, and the next
 * save or load removes those whose writer is no longer running (or is this process: a save's disk work is
 * synchronous, so no save of ours is in flight then). Files of a live writer are kept: another process may be
 * saving into the directory while this one loads. Concurrent saves into one directory from two processes are
 * not supported (the last commit wins; each still sees a consistent checkpoint).
 */
const FORMAT = 'twist-ts/checkpoint/2';
const MANIFEST = 'checkpoint.json';
const WEIGHTS_RE = /^weights-(\d+)-[0-9a-f]+\.safetensors$/;
/** Temp files of writeFileAtomic: `<name>.tmp-<pid>-<n>` (also the older `<name>.tmp-<pid>-<ms>`). */
const TMP_RE = /^(checkpoint\.json|weights(?:-\d+-[0-9a-f]+)?\.safetensors)\.tmp-(\d+)-[0-9a-z]+$/;

interface Manifest {
  format: string;
  weights: { file: string; bytes: number; crc32: string };
  config: unknown;
  optimizerSteps?: Record<string, number>;
  info?: Record<string, unknown>;
}

function collect(parts: CheckpointParts): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [mn, m] of Object.entries(parts.modules)) for (const [pn, v] of m.namedParameters()) out.set(`${mn}/${pn}`, v.value);
  for (const [on, o] of Object.entries(parts.optimizers ?? {})) {
    for (const [k, t] of Object.entries(o.state().tensors)) out.set(`${on}/${k}`, t);
  }
  return out;
}

/** Whether the process that wrote a temp or weights file is gone, so that its leftovers are stale. */
function writerGone(pid: number): boolean {
  if (pid === process.pid) return true; // ours, and no save of ours is in flight during synchronous disk work
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EPERM'; // EPERM: alive, another user's
  }
}

/**
 * Removes what killed or failed saves left in dir: temp files, and weights files that the manifest does not
 * name (`keep`; null when the manifest is unknown, then no weights file is touched), when their writer is gone.
 * `legacy`: also the unsuffixed weights.safetensors of format 1. Never throws (a read-only checkpoint loads).
 */
function sweep(dir: string, keep: string | null, legacy = false): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  let removed = false;
  for (const name of names) {
    const tmp = TMP_RE.exec(name);
    const w = WEIGHTS_RE.exec(name);
    const stale = tmp
      ? writerGone(Number(tmp[2]))
      : w
        ? keep !== null && name !== keep && writerGone(Number(w[1]))
        : legacy && keep !== null && name === 'weights.safetensors';
    if (!stale) continue;
    try {
      unlinkSync(join(dir, name));
      removed = true;
    } catch {
      // gone already, or not ours to remove
    }
  }
  if (removed) fsyncDir(dir);
}

/** The weights file the committed manifest names, or null (no manifest, or one that cannot be parsed). */
function committedWeights(dir: string): string | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
    return typeof m?.weights?.file === 'string' ? m.weights.file : null;
  } catch {
    return null;
  }
}

/**
 * Saves module parameters and optimiser state (moments and counters) to a weights file and the JSON config,
 * optimiser steps and info to `dir/checkpoint.json`, as one atomic unit (see the comment above): whenever the
 * process dies, dir holds the previous checkpoint or this one, complete. Every tensor carries a CRC-32; a NaN
 * or Inf in any f32 tensor is refused (naming the tensor) before anything is written. Saving again replaces the
 * checkpoint, still atomically, and removes what killed saves left behind.
 */
export async function saveCheckpoint(dir: string, parts: CheckpointParts, config: unknown, info: Record<string, unknown> = {}): Promise<void> {
  const named = collect(parts);
  const names = [...named.keys()];
  const datas = await Promise.all(names.map((n) => named.get(n)!.toArray()));
  // From here on everything is synchronous: no other save or load of this process interleaves with it.
  const tensors = Object.fromEntries(names.map((n, i) => [n, { dtype: named.get(n)!.dtype, shape: named.get(n)!.shape, data: datas[i] }]));
  const bytes = encodeSafetensors(tensors, { format: FORMAT }, { what: `saveCheckpoint: ${dir}` });
  const optimizerSteps = Object.fromEntries(Object.entries(parts.optimizers ?? {}).map(([n, o]) => [n, o.step]));
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`saveCheckpoint: ${dir} exists and is not a directory (a checkpoint is a directory of a manifest and a weights file)`);
  mkdirSync(dir, { recursive: true });
  sweep(dir, committedWeights(dir));
  let file: string;
  do file = `weights-${process.pid}-${randomBytes(6).toString('hex')}.safetensors`;
  while (existsSync(join(dir, file)));
  const manifest: Manifest = { format: FORMAT, weights: { file, bytes: bytes.byteLength, crc32: crc32Hex(bytes) }, config, optimizerSteps, info };
  const text = JSON.stringify(manifest, null, 2) + '\n';
  const weightsPath = join(dir, file);
  writeFileAtomic(weightsPath, bytes);
  try {
    writeFileAtomic(join(dir, MANIFEST), text); // the commit
  } catch (e) {
    try {
      unlinkSync(weightsPath);
    } catch {
      // nothing to clean
    }
    throw e;
  }
  sweep(dir, file, true); // the previous weights file, unreferenced now
}

/**
 * True when dir holds a committed checkpoint: its checkpoint.json exists (saves are atomic, so there is no
 * half-written state). A damaged one counts too, so that loadCheckpoint reports the damage instead of a caller
 * silently starting over on top of it.
 */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, MANIFEST));
}

/** Reads and checks the manifest; every error names its path. */
function readManifest(dir: string): Manifest {
  const jsonPath = join(dir, MANIFEST);
  let text: string;
  try {
    text = readFileSync(jsonPath, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
    throw new Error(`loadCheckpoint: ${jsonPath} ${why} (no complete checkpoint in ${dir})`);
  }
  let meta: any;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new Error(`loadCheckpoint: ${jsonPath} is not valid JSON (${text.length} characters; truncated or foreign?): ${(e as Error).message}`);
  }
  if (meta?.format === 'twist-ts/checkpoint/1') {
    throw new Error(`loadCheckpoint: ${jsonPath} has format 'twist-ts/checkpoint/1', written before checksums and atomic commits; re-create the checkpoint with this version`);
  }
  if (meta?.format !== FORMAT) throw new Error(`loadCheckpoint: ${jsonPath} has format ${JSON.stringify(meta?.format)}, expected '${FORMAT}'`);
  const w = meta.weights;
  if (typeof w?.file !== 'string' || !WEIGHTS_RE.test(w.file) || !Number.isSafeInteger(w.bytes) || typeof w.crc32 !== 'string') {
    throw new Error(`loadCheckpoint: ${jsonPath} has an invalid 'weights' entry ${JSON.stringify(w)} (expected {file: 'weights-<pid>-<hex>.safetensors', bytes, crc32})`);
  }
  return meta as Manifest;
}

/**
 * A checkpoint's config and info as its manifest records them, without reading the weights (e.g. the replay
 * state a collection saved). The manifest is validated as loadCheckpoint validates it; the weights are not.
 */
export function readCheckpointInfo(dir: string): { config: unknown; info: Record<string, unknown> } {
  const meta = readManifest(dir);
  return { config: meta.config, info: meta.info ?? {} };
}

/**
 * Loads a checkpoint into existing modules and optimisers (built with the same config). Every expected tensor
 * must be present with the same shape and dtype, pass its CRC-32 and be finite; the weights file must be the one
 * the manifest names (size and CRC-32). Otherwise nothing is loaded and the error names the file and the
 * tensor (for a mismatch with the model: each missing, unexpected and mismatched name). Returns the saved
 * config and info.
 */
export function loadCheckpoint(dir: string, parts: CheckpointParts): { config: unknown; info: Record<string, unknown> } {
  const jsonPath = join(dir, MANIFEST);
  let meta = readManifest(dir);
  let buf: Buffer | null = null;
  // A save by another process may replace the manifest and delete the weights file it named between our two
  // reads: then the new manifest names another file, and we read that one.
  for (let attempt = 0; buf === null; attempt++) {
    try {
      buf = readFileSync(join(dir, meta.weights.file));
    } catch (e) {
      const again = (e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5 ? readManifest(dir) : null;
      if (again && again.weights.file !== meta.weights.file) {
        meta = again;
        continue;
      }
      throw new Error(`loadCheckpoint: ${join(dir, meta.weights.file)}, the weights file named by ${jsonPath}, cannot be read (${(e as Error).message})`);
    }
  }
  sweep(dir, meta.weights.file);
  const weightsPath = join(dir, meta.weights.file);
  const { tensors } = decodeSafetensors(buf, weightsPath, { requireChecksums: true });
  const crc = crc32Hex(buf);
  if (buf.byteLength !== meta.weights.bytes || crc !== meta.weights.crc32) {
    throw new Error(
      `loadCheckpoint: ${weightsPath} is ${buf.byteLength} bytes with CRC-32 ${crc}, but ${jsonPath} records ` +
        `${meta.weights.bytes} bytes with CRC-32 ${meta.weights.crc32} (corrupted, or not the weights of this save)`,
    );
  }
  const want = collect(parts);
  const problems: string[] = [];
  for (const [name, t] of want) {
    const got: LoadedTensor | undefined = tensors.get(name);
    if (!got) problems.push(`missing '${name}' (expected ${t.dtype}[${t.shape}])`);
    else if (got.dtype !== t.dtype || got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i])) {
      problems.push(`'${name}': file has ${got.dtype}[${got.shape}], model has ${t.dtype}[${t.shape}]`);
    }
  }
  for (const name of tensors.keys()) if (!want.has(name)) problems.push(`unexpected '${name}' in the file`);
  if (problems.length) throw new Error(`loadCheckpoint: ${weightsPath} (checkpoint ${dir}) does not match the model:\n  ${problems.join('\n  ')}`);
  for (const n of Object.keys(parts.optimizers ?? {})) {
    const step = meta.optimizerSteps?.[n];
    if (!Number.isSafeInteger(step) || (step as number) < 0) {
      throw new Error(`loadCheckpoint: ${jsonPath} has no valid step for optimiser '${n}' (optimizerSteps: ${JSON.stringify(meta.optimizerSteps)})`);
    }
  }
  for (const [name, t] of want) t.write(tensors.get(name)!.data);
  for (const [n, o] of Object.entries(parts.optimizers ?? {})) o.step = meta.optimizerSteps![n];
  return { config: meta.config, info: meta.info ?? {} };
}
