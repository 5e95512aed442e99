import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DType, Tensor, TypedArray } from '@twist/kernels';

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}, then the raw
 * little-endian data, offsets relative to the data section. We write F32, I32 and U8.
 */
const DTYPE_TAG: Record<DType, string> = { f32: 'F32', i32: 'I32', u8: 'U8' };
const TAG_DTYPE: Record<string, DType> = { F32: 'f32', I32: 'i32', U8: 'u8' };
const BYTES: Record<DType, number> = { f32: 4, i32: 4, u8: 1 };

export interface LoadedTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** Writes bytes to path atomically: a temp file in the same folder, fsync, then rename over the target. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads the tensors back from the device and writes one safetensors file atomically. */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  const names = Object.keys(tensors).sort();
  const datas = await Promise.all(names.map((n) => tensors[n].toArray()));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  names.forEach((n, i) => {
    const t = tensors[n];
    const bytes = t.size * BYTES[t.dtype];
    header[n] = { dtype: DTYPE_TAG[t.dtype], shape: [...t.shape], data_offsets: [off, off + bytes] };
    off += bytes;
    void datas[i];
  });
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data section to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.byteLength;
  for (const d of datas) {
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), p);
    p += d.byteLength;
  }
  writeFileAtomic(path, out);
}

/** Parses a safetensors file, checking every structural fact; throws naming the file and what is wrong. */
export function loadSafetensors(path: string): { tensors: Map<string, LoadedTensor>; metadata: Record<string, string> } {
  const buf = readFileSync(path);
  const bad = (msg: string) => new Error(`loadSafetensors: ${path}: ${msg}`);
  if (buf.byteLength < 8) throw bad(`file is ${buf.byteLength} bytes, too short for a safetensors header`);
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  if (n <= 0 || 8 + n > buf.byteLength) throw bad(`header length ${n} does not fit in a file of ${buf.byteLength} bytes (truncated or not safetensors)`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw bad('header is not valid JSON (not a safetensors file?)');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const tensors = new Map<string, LoadedTensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = TAG_DTYPE[e?.dtype];
    if (!dtype) throw bad(`tensor '${name}' has dtype ${JSON.stringify(e?.dtype)}; supported: F32, I32, U8`);
    if (!Array.isArray(e.shape) || !e.shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0)) {
      throw bad(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const [b, end] = e.data_offsets ?? [];
    const size = e.shape.reduce((a: number, d: number) => a * d, 1);
    if (!Number.isInteger(b) || !Number.isInteger(end) || b < 0 || end < b || end > dataLen) {
      throw bad(`tensor '${name}' has data offsets ${JSON.stringify(e.data_offsets)} outside the ${dataLen}-byte data section (truncated?)`);
    }
    if (end - b !== size * BYTES[dtype]) throw bad(`tensor '${name}' of shape [${e.shape}] needs ${size * BYTES[dtype]} bytes, offsets give ${end - b}`);
    const bytes = buf.subarray(dataStart + b, dataStart + end);
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    const data = dtype === 'f32' ? new Float32Array(copy.buffer) : dtype === 'i32' ? new Int32Array(copy.buffer) : copy;
    tensors.set(name, { dtype, shape: e.shape, data });
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}
