/**
 * Episode storage, in memory and on disk.
 *
 * In memory an episode of T steps is ONE ArrayBuffer holding its fields back to back, each section starting
 * at a multiple of 4 bytes, with typed-array views into it:
 *
 *   state  f32 [T*S]      S = stateSize
 *   action f32 [T*A]      A = actionSize; action[t] led to observation t (zeros at the first step)
 *   reward f32 [T]        reward[t] came with observation t
 *   flags  u8  [T]        bit 0 isFirst, bit 1 isLast, bit 2 isTerminal (padded with zeros to 4 bytes)
 *   image  u8  [T*H*W*C]  only when the replay stores images
 *
 * On disk a chunk file is (little-endian):
 *
 *   bytes 0..7     magic "TWRPLAY1" (ASCII)
 *   bytes 8..11    u32 N: byte length of the JSON header
 *   bytes 12..12+N JSON header, UTF-8, padded with spaces so the data starts at a multiple of 8
 *   then           the data section: the records' episode buffers (the layout above), each at the byte
 *                  offset the header names (relative to the data start)
 *
 * Header: { format: 'twist-replay', version: 1, kind: 'episode' | 'pending', stateSize, actionSize,
 * image: [H,W,C] | null, dataBytes, records: [{ id, env, length, offset, bytes }], ...extra }. An episode
 * file `ep-<id, 6+ digits>-<length>.bin` has one record; a pending file (the unfinished episodes at a
 * checkpoint) `pending-<checkpoint seq, 6+ digits>.bin` has one record per env with unfinished steps (id -1).
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

export const MAGIC = 'TWRPLAY1';
export const FORMAT_VERSION = 1;
export const FLAG_FIRST = 1;
export const FLAG_LAST = 2;
export const FLAG_TERMINAL = 4;

const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Field geometry shared by every episode of one replay. */
export interface Geometry {
  stateSize: number;
  actionSize: number;
  /** [H, W, C] or null when no images are stored. */
  image: readonly [number, number, number] | null;
}

export const imageSizeOf = (g: Geometry): number => (g.image ? g.image[0] * g.image[1] * g.image[2] : 0);

/** Byte offsets of each section of a T-step episode buffer. */
export function layout(g: Geometry, T: number) {
  const state = 0;
  const action = state + T * g.stateSize * 4;
  const reward = action + T * g.actionSize * 4;
  const flags = reward + T * 4;
  const image = flags + pad4(T);
  const total = image + T * imageSizeOf(g);
  return { state, action, reward, flags, image, total };
}

/** A committed episode: one buffer, views into it. Never per-step objects. */
export interface Episode {
  readonly id: number;
  readonly env: number;
  readonly length: number;
  readonly buffer: ArrayBuffer;
  readonly state: Float32Array;
  readonly action: Float32Array;
  readonly reward: Float32Array;
  readonly flags: Uint8Array;
  readonly image: Uint8Array | null;
}

/** Views over an episode buffer (which must be exactly layout(g, T).total bytes). */
export function viewEpisode(g: Geometry, id: number, env: number, T: number, buffer: ArrayBuffer): Episode {
  const o = layout(g, T);
  if (buffer.byteLength !== o.total) throw new Error(`replay: episode ${id} buffer has ${buffer.byteLength} bytes, expected ${o.total} for ${T} steps`);
  return {
    id,
    env,
    length: T,
    buffer,
    state: new Float32Array(buffer, o.state, T * g.stateSize),
    action: new Float32Array(buffer, o.action, T * g.actionSize),
    reward: new Float32Array(buffer, o.reward, T),
    flags: new Uint8Array(buffer, o.flags, T),
    image: g.image ? new Uint8Array(buffer, o.image, T * imageSizeOf(g)) : null,
  };
}

export interface ChunkRecord {
  id: number;
  env: number;
  length: number;
  buffer: ArrayBuffer;
}

function checkEndianness(): void {
  if (endianness() !== 'LE') throw new Error('replay: chunk files are little-endian; this machine is big-endian (unsupported)');
}

/** Encodes records into one chunk file's bytes. */
export function encodeChunk(kind: 'episode' | 'pending', g: Geometry, records: ChunkRecord[], extra: Record<string, unknown> = {}): Uint8Array {
  checkEndianness();
  let offset = 0;
  const recs = records.map((r) => {
    const rec = { id: r.id, env: r.env, length: r.length, offset, bytes: r.buffer.byteLength };
    offset += pad4(r.buffer.byteLength);
    return rec;
  });
  const header = {
    format: 'twist-replay',
    version: FORMAT_VERSION,
    kind,
    stateSize: g.stateSize,
    actionSize: g.actionSize,
    image: g.image ? [...g.image] : null,
    dataBytes: offset,
    records: recs,
    ...extra,
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil((12 + json.byteLength) / 8) * 8 - 12;
  json = Buffer.concat([json, Buffer.alloc(padded - json.byteLength, 0x20)]);
  const out = new Uint8Array(12 + padded + offset);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(8, padded, true);
  out.set(json, 12);
  const data = 12 + padded;
  records.forEach((r, i) => out.set(new Uint8Array(r.buffer), data + recs[i].offset));
  return out;
}

export interface DecodedChunk {
  header: Record<string, unknown> & { kind: string; records: { id: number; env: number; length: number; offset: number; bytes: number }[] };
  records: ChunkRecord[];
}

/** Reads and checks a chunk file; each record's data is copied into its own (aligned, compact) ArrayBuffer. */
export function readChunk(path: string, g: Geometry, kind: 'episode' | 'pending'): DecodedChunk {
  checkEndianness();
  const bytes = readFileSync(path);
  const fail = (why: string): never => {
    throw new Error(`replay: ${path} is not a valid ${kind} chunk: ${why}`);
  };
  if (bytes.byteLength < 12 || bytes.toString('ascii', 0, 8) !== MAGIC) fail(`missing magic "${MAGIC}"`);
  const n = bytes.readUInt32LE(8);
  if (12 + n > bytes.byteLength) fail(`header length ${n} runs past the end of the file (${bytes.byteLength} bytes)`);
  let header: DecodedChunk['header'];
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + n));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  if (header.format !== 'twist-replay' || header.version !== FORMAT_VERSION) fail(`format ${String(header.format)} version ${String(header.version)}, expected twist-replay version ${FORMAT_VERSION}`);
  if (header.kind !== kind) fail(`kind is ${header.kind}`);
  const gotImage = header.image as number[] | null;
  const wantImage = g.image ? [...g.image] : null;
  if (header.stateSize !== g.stateSize || header.actionSize !== g.actionSize || JSON.stringify(gotImage) !== JSON.stringify(wantImage)) {
    fail(
      `it holds stateSize ${String(header.stateSize)}, actionSize ${String(header.actionSize)}, image ${JSON.stringify(gotImage)}; ` +
        `the replay expects stateSize ${g.stateSize}, actionSize ${g.actionSize}, image ${JSON.stringify(wantImage)}`,
    );
  }
  const data = 12 + n;
  if (bytes.byteLength !== data + Number(header.dataBytes)) fail(`file has ${bytes.byteLength - data} data bytes, header says ${String(header.dataBytes)}`);
  const records = header.records.map((r) => {
    const want = layout(g, r.length).total;
    if (r.bytes !== want) fail(`record ${r.id} has ${r.bytes} bytes, ${r.length} steps need ${want}`);
    if (r.offset + r.bytes > Number(header.dataBytes)) fail(`record ${r.id} runs past the data section`);
    const buffer = new ArrayBuffer(r.bytes);
    new Uint8Array(buffer).set(bytes.subarray(data + r.offset, data + r.offset + r.bytes));
    return { id: r.id, env: r.env, length: r.length, buffer };
  });
  return { header, records };
}

/** `ep-000042-500.bin`. */
export const episodeFileName = (id: number, length: number): string => `ep-${String(id).padStart(6, '0')}-${length}.bin`;
export const pendingFileName = (seq: number): string => `pending-${String(seq).padStart(6, '0')}.bin`;
export const EPISODE_FILE = /^ep-(\d+)-(\d+)\.bin$/;
export const PENDING_FILE = /^pending-(\d+)\.bin$/;
