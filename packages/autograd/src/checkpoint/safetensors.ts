/**
 * safetensors files (Node, behind @twist/autograd/node): durable atomic writes, and loads through the byte
 * codec of safetensors-codec.ts (which the browser-safe main entry exports).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tensor } from '@twist/kernels';
import { decodeSafetensors, encodeSafetensors, type LoadedTensor, type SafetensorsLoadOptions, type SafetensorsSaveOptions } from './safetensors-codec.js';

// ------------------------------------------------------------------------------------------------------------
// Durable writes
// ------------------------------------------------------------------------------------------------------------
let tmpCounter = 0;
/** The temp-file suffix of this process: `.tmp-<pid>-<n>`; stale ones are recognised by it (see checkpoint.ts). */
export const tmpSuffix = (): string => `.tmp-${process.pid}-${++tmpCounter}`;

/** fsync a directory so that renames and unlinks in it are durable (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR/EPERM on platforms without directory fsync: nothing more can be done there.
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes bytes to path atomically: a temp file `<path>.tmp-<pid>-<n>` in the same folder (created exclusively),
 * written in full and fsynced, then renamed over the target, then the folder fsynced. A reader sees the old
 * file or the new one, never a mix; on any error the temp file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = path + tmpSuffix();
  let fd: number | null = openSync(tmp, 'wx');
  try {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone (or never created)
    }
    throw e;
  }
  fsyncDir(dirname(path));
}

// ------------------------------------------------------------------------------------------------------------
// Files
// ------------------------------------------------------------------------------------------------------------

/** Reads the tensors back from the device and writes one safetensors file atomically (see writeFileAtomic). */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
  opts: SafetensorsSaveOptions = {},
): Promise<void> {
  const names = Object.keys(tensors);
  const datas = await Promise.all(names.map((n) => tensors[n].toArray()));
  const plain = Object.fromEntries(names.map((n, i) => [n, { dtype: tensors[n].dtype, shape: tensors[n].shape, data: datas[i] }]));
  writeFileAtomic(path, encodeSafetensors(plain, metadata, { ...opts, what: `saveSafetensors: ${path}` }));
}

/** Parses a safetensors file, checking every structural fact; throws naming the file, the tensor and what is wrong. */
export function loadSafetensors(path: string, opts: SafetensorsLoadOptions = {}): { tensors: Map<string, LoadedTensor>; metadata: Record<string, string> } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`loadSafetensors: ${path}: cannot be read (${(e as Error).message})`);
  }
  return decodeSafetensors(buf, path, opts);
}
