import type { DType, TypedArray } from '@twist/kernels';

/**
 * safetensors bytes <-> tensor data, with no file system (this module is part of the browser-safe main entry;
 * files are in safetensors.ts, behind @twist/autograd/node). The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}, then the raw
 * little-endian data, offsets relative to the data section. We write F32, I32 and U8.
 *
 * Integrity: every tensor we write has its CRC-32 (of its data bytes, zlib's polynomial, 8 lower-case hex digits)
 * in `__metadata__` under `crc32:<name>`; the loader verifies each one it finds (and, with requireChecksums,
 * insists on one per tensor), validates every offset (in range, sized dtype * shape, the tensors tiling the data
 * section exactly: no overlap, no alias, no gap) and refuses NaN/Inf in f32 tensors unless allowNonFinite.
 */
const DTYPE_TAG: Record<DType, string> = { f32: 'F32', i32: 'I32', u8: 'U8' };
const TAG_DTYPE: Record<string, DType> = { F32: 'f32', I32: 'i32', U8: 'u8' };
const BYTES: Record<DType, number> = { f32: 4, i32: 4, u8: 1 };
/** The metadata key prefix of the per-tensor checksums. */
export const CRC_PREFIX = 'crc32:';

export interface LoadedTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export interface SafetensorsLoadOptions {
  /** Every tensor must have a `crc32:<name>` checksum in `__metadata__` (checkpoints do). Default false. */
  requireChecksums?: boolean;
  /** Accept NaN and +-Inf in f32 tensors. Default false: a non-finite weight is an error naming the tensor. */
  allowNonFinite?: boolean;
}

export interface SafetensorsSaveOptions {
  /** Write NaN and +-Inf f32 values instead of refusing them. Default false. */
  allowNonFinite?: boolean;
}

// ------------------------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, as zlib and PNG): Node's zlib.crc32 where it exists (>= 20.15), else a table.
// ------------------------------------------------------------------------------------------------------------
let table: Uint32Array | null = null;
function crc32Table(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
// Reached through process.getBuiltinModule (Node >= 20.16), not an import, so that browsers load this module.
const nodeZlib = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:zlib');
const nativeCrc = (nodeZlib as { crc32?: (data: Uint8Array, value?: number) => number } | undefined)?.crc32;

/** CRC-32 of bytes (zlib's), as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  return nativeCrc ? nativeCrc(bytes) >>> 0 : crc32Table(bytes);
}

/** CRC-32 as the 8 hex digits stored in checkpoints. */
export const crc32Hex = (bytes: Uint8Array): string => crc32(bytes).toString(16).padStart(8, '0');

const bytesOf = (d: TypedArray) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** The first non-finite value of an f32 array, with the count, or null when all are finite. */
export function firstNonFinite(data: TypedArray): { index: number; value: number; count: number } | null {
  if (!(data instanceof Float32Array)) return null;
  let index = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for finite x and NaN for NaN and +-Inf: one comparison per element.
    if (data[i] - data[i] !== 0) {
      if (index < 0) index = i;
      count++;
    }
  }
  return index < 0 ? null : { index, value: data[index], count };
}

const describeNonFinite = (name: string, bad: { index: number; value: number; count: number }) =>
  `tensor '${name}' holds ${bad.count} non-finite value${bad.count > 1 ? 's' : ''} (first: ${bad.value} at flat index ${bad.index})`;

// ------------------------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------------------------

/**
 * Encodes tensor data as safetensors bytes (names sorted), with a CRC-32 per tensor in `__metadata__`.
 * Refuses NaN/Inf in f32 data (naming the tensor) unless allowNonFinite. `what` prefixes errors.
 */
export function encodeSafetensors(
  tensors: Record<string, { dtype: DType; shape: readonly number[]; data: TypedArray }>,
  metadata: Record<string, string> = {},
  opts: SafetensorsSaveOptions & { what?: string } = {},
): Uint8Array {
  const what = opts.what ?? 'saveSafetensors';
  const names = Object.keys(tensors).sort();
  const meta: Record<string, string> = { ...metadata };
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const n of names) {
    if (n === '__metadata__') throw new Error(`${what}: '__metadata__' cannot be a tensor name`);
    const t = tensors[n];
    const size = t.shape.reduce((a, d) => a * d, 1);
    if (t.data.length !== size) throw new Error(`${what}: tensor '${n}' of shape [${t.shape}] has ${t.data.length} values, expected ${size}`);
    if (!opts.allowNonFinite) {
      const bad = firstNonFinite(t.data);
      if (bad) throw new Error(`${what}: ${describeNonFinite(n, bad)}; refusing to save it`);
    }
    const bytes = size * BYTES[t.dtype];
    header[n] = { dtype: DTYPE_TAG[t.dtype], shape: [...t.shape], data_offsets: [off, off + bytes] };
    meta[CRC_PREFIX + n] = crc32Hex(bytesOf(t.data));
    off += bytes;
  }
  const text = JSON.stringify({ __metadata__: meta, ...header });
  // Pad the header with spaces (allowed by the format) so that the data section starts 8-byte aligned.
  const json = new TextEncoder().encode(text);
  const headerBytes = new TextEncoder().encode(text + ' '.repeat((8 - (json.byteLength % 8)) % 8));
  const out = new Uint8Array(8 + headerBytes.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.byteLength;
  for (const n of names) {
    const b = bytesOf(tensors[n].data);
    out.set(b, p);
    p += b.byteLength;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------------------------

/** Parses safetensors bytes, checking every structural fact; `path` names them in errors (a file name, a URL). */
export function decodeSafetensors(
  buf: Uint8Array,
  path: string,
  opts: SafetensorsLoadOptions = {},
): { tensors: Map<string, LoadedTensor>; metadata: Record<string, string> } {
  const bad = (msg: string) => new Error(`loadSafetensors: ${path}: ${msg}`);
  if (buf.byteLength < 8) throw bad(`file is ${buf.byteLength} bytes, too short for a safetensors header`);
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  if (!Number.isSafeInteger(n) || n <= 0 || 8 + n > buf.byteLength) {
    throw bad(`header length ${n} does not fit in a file of ${buf.byteLength} bytes (truncated or not safetensors)`);
  }
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`header is not valid JSON (not a safetensors file?): ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const metadata: Record<string, string> = header.__metadata__ ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw bad('__metadata__ is not an object of strings');
  }
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const spans: { name: string; b: number; end: number }[] = [];
  const entries: { name: string; dtype: DType; shape: number[]; b: number; end: number }[] = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (e === null || typeof e !== 'object') throw bad(`tensor '${name}' has an invalid entry ${JSON.stringify(e)}`);
    const dtype = TAG_DTYPE[e.dtype];
    if (!dtype) throw bad(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; supported: F32, I32, U8`);
    if (!Array.isArray(e.shape) || !e.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw bad(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const size = e.shape.reduce((a: number, d: number) => a * d, 1);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o: unknown) => Number.isSafeInteger(o))) {
      throw bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)} (expected [begin, end], integers)`);
    }
    const [b, end] = offs as [number, number];
    if (b < 0 || end < b || end > dataLen) {
      throw bad(`tensor '${name}' has data offsets ${JSON.stringify(offs)} outside the ${dataLen}-byte data section (truncated?)`);
    }
    if (end - b !== size * BYTES[dtype]) throw bad(`tensor '${name}' of shape [${e.shape}] needs ${size * BYTES[dtype]} bytes, offsets give ${end - b}`);
    spans.push({ name, b, end });
    entries.push({ name, dtype, shape: e.shape, b, end });
  }
  // The tensors must tile the data section exactly: sorted by begin, each starts where the previous ended.
  spans.sort((x, y) => x.b - y.b || x.end - y.end);
  let cursor = 0;
  let prev: string | null = null;
  for (const s of spans) {
    if (s.b < cursor) throw bad(`tensor '${s.name}' (data offsets [${s.b}, ${s.end}]) overlaps tensor '${prev}' (which ends at ${cursor})`);
    if (s.b > cursor) throw bad(`bytes [${cursor}, ${s.b}) of the data section belong to no tensor (before tensor '${s.name}')`);
    cursor = s.end;
    if (s.end > s.b) prev = s.name;
  }
  if (cursor !== dataLen) throw bad(`bytes [${cursor}, ${dataLen}) at the end of the data section belong to no tensor (file ${buf.byteLength} bytes)`);
  const names = new Set(entries.map((e) => e.name));
  for (const key of Object.keys(metadata)) {
    if (key.startsWith(CRC_PREFIX) && !names.has(key.slice(CRC_PREFIX.length))) {
      throw bad(`__metadata__ has a checksum for tensor '${key.slice(CRC_PREFIX.length)}', which the file does not hold`);
    }
  }
  const tensors = new Map<string, LoadedTensor>();
  for (const { name, dtype, shape, b, end } of entries) {
    const bytes = buf.subarray(dataStart + b, dataStart + end);
    const want = metadata[CRC_PREFIX + name];
    if (want === undefined) {
      if (opts.requireChecksums) throw bad(`tensor '${name}' has no checksum ('${CRC_PREFIX}${name}' missing from __metadata__)`);
    } else {
      const got = crc32Hex(bytes);
      if (got !== want.toLowerCase()) throw bad(`tensor '${name}' fails its checksum: CRC-32 of its ${bytes.byteLength} bytes is ${got}, the header says ${want} (corrupted data)`);
    }
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    const data = dtype === 'f32' ? new Float32Array(copy.buffer) : dtype === 'i32' ? new Int32Array(copy.buffer) : copy;
    if (!opts.allowNonFinite) {
      const nf = firstNonFinite(data);
      if (nf) throw bad(describeNonFinite(name, nf));
    }
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata };
}
