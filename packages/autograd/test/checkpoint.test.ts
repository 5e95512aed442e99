import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scope, tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import * as AN from '../src/node.js';
import { cpu } from './harness.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'twist-ckpt-'));
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
const weightsPath = (dir: string) => join(dir, manifest(dir).weights.file);
const hex = (b: Uint8Array) => (crc32(b) >>> 0).toString(16).padStart(8, '0');

/** A safetensors file split into its header JSON and data section, and put back together. */
function splitFile(path: string): { header: Record<string, any>; data: Buffer } {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')), data: b.subarray(8 + n) };
}
function joinFile(path: string, header: Record<string, any>, data: Uint8Array): void {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.byteLength));
  writeFileSync(path, Buffer.concat([len, h, data]));
}

/** Two 4x4 Linears (equal-sized tensors, so offsets can be swapped) in one checkpoint, and a loader for it. */
async function pair(seed = 1) {
  const dir = tmp();
  const mods = { a: new A.Linear({ device: cpu, seed }, 4, 4), b: new A.Linear({ device: cpu, seed: seed + 1 }, 4, 4) };
  await AN.saveCheckpoint(dir, { modules: mods }, { n: 4 });
  const load = () => AN.loadCheckpoint(dir, { modules: mods });
  return { dir, mods, load, path: weightsPath(dir) };
}

describe('safetensors checkpoints', () => {
  it('round-trips parameters, optimiser state (moments and skip counters) and config', async () => {
    const ctx = { device: cpu, seed: 5 };
    const a = new A.MLP(ctx, 3, { hidden: [5], out: 2 });
    const opt = new A.Adam(a.parameters(), { lr: 1e-2 });
    const x = A.constant(tensor(cpu, [1, 2, 3, 4, 5, 6], [2, 3]));
    scope(() => opt.apply(A.grad(A.mean(A.square(a.forward(x))), a.parameters())));
    const dir = tmp();
    await AN.saveCheckpoint(dir, { modules: { net: a }, optimizers: { opt } }, { hidden: [5] }, { envSteps: 42 });
    expect(AN.hasCheckpoint(dir)).toBe(true);

    const b = new A.MLP({ device: cpu, seed: 99 }, 3, { hidden: [5], out: 2 });
    const optB = new A.Adam(b.parameters(), { lr: 1e-2 });
    const { config, info } = AN.loadCheckpoint(dir, { modules: { net: b }, optimizers: { opt: optB } });
    expect(config).toEqual({ hidden: [5] });
    expect(info).toEqual({ envSteps: 42 });
    expect(optB.step).toBe(1);
    const pa = a.namedParameters();
    const pb = b.namedParameters();
    for (let i = 0; i < pa.length; i++) expect(await pb[i][1].toArray()).toEqual(await pa[i][1].toArray());
    expect(await optB.m[0].toArray()).toEqual(await opt.m[0].toArray());
    expect(Array.from(await optB.counters.toArray())).toEqual([1, 0, 0]);
    // One manifest and one weights file, each tensor with its CRC-32 in the safetensors metadata.
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', manifest(dir).weights.file]);
    const meta = AN.loadSafetensors(weightsPath(dir)).metadata;
    expect(meta['crc32:net/layer0.weight']).toMatch(/^[0-9a-f]{8}$/);
    expect(meta['crc32:opt/counters']).toMatch(/^[0-9a-f]{8}$/);
  });

  it('says exactly what does not match', async () => {
    const dir = tmp();
    const a = new A.MLP({ device: cpu, seed: 1 }, 3, { hidden: [5], out: 2 });
    await AN.saveCheckpoint(dir, { modules: { net: a } }, {});
    const b = new A.MLP({ device: cpu, seed: 1 }, 3, { hidden: [6], out: 2 });
    expect(() => AN.loadCheckpoint(dir, { modules: { net: b } })).toThrow(/'net\/layer0.weight': file has f32\[3,5\], model has f32\[3,6\]/);
    expect(() => AN.loadCheckpoint(dir, { modules: { other: a } })).toThrow(/missing 'other\/layer0.weight'[\s\S]*unexpected 'net\/layer0.weight'/);
  });

  it('rejects truncated and non-safetensors files with a clear error', async () => {
    const dir = tmp();
    const a = new A.Linear({ device: cpu, seed: 1 }, 4, 4);
    await AN.saveCheckpoint(dir, { modules: { l: a } }, {});
    const path = weightsPath(dir);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.byteLength - 10));
    expect(() => AN.loadCheckpoint(dir, { modules: { l: a } })).toThrow(/weights-\d+-[0-9a-f]+\.safetensors: tensor 'l\/weight' has data offsets \[\d+,\d+\] outside the \d+-byte data section \(truncated\?\)/);
    writeFileSync(path, 'hello, this is not a tensor file');
    expect(() => AN.loadSafetensors(path)).toThrow(/does not fit|not valid JSON/);
    writeFileSync(path, new Uint8Array(3));
    expect(() => AN.loadSafetensors(path)).toThrow(/too short for a safetensors header/);
  });

  it('a truncated or foreign checkpoint.json is an error naming its path', async () => {
    const { dir, load } = await pair();
    const json = join(dir, 'checkpoint.json');
    const text = readFileSync(json, 'utf8');
    writeFileSync(json, text.slice(0, text.length / 2));
    expect(load).toThrow(new RegExp(`loadCheckpoint: ${json.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON \\(\\d+ characters; truncated or foreign\\?\\)`));
    expect(AN.hasCheckpoint(dir)).toBe(true); // damaged, not absent: a caller must not start over on top of it
    writeFileSync(json, JSON.stringify({ format: 'twist-ts/checkpoint/1', config: {} }));
    expect(load).toThrow(/checkpoint\.json has format 'twist-ts\/checkpoint\/1', written before checksums/);
    writeFileSync(json, JSON.stringify({ format: 'twist-ts/checkpoint/2', weights: { file: '../etc/passwd', bytes: 1, crc32: '0' } }));
    expect(load).toThrow(/checkpoint\.json has an invalid 'weights' entry/);
    expect(() => AN.loadCheckpoint(tmp(), { modules: {} })).toThrow(/checkpoint\.json does not exist \(no complete checkpoint in /);
    expect(AN.hasCheckpoint(tmp())).toBe(false);
  });

  it('a flipped data byte fails the checksum of the tensor holding it', async () => {
    const { load, path } = await pair();
    const { header, data } = splitFile(path);
    const [b0] = header['b/bias'].data_offsets;
    const flipped = Buffer.from(data);
    flipped[b0 + 5] ^= 0x10;
    joinFile(path, header, flipped);
    expect(load).toThrow(/weights-\d+-[0-9a-f]+\.safetensors: tensor 'b\/bias' fails its checksum: CRC-32 of its 16 bytes is [0-9a-f]{8}, the header says [0-9a-f]{8} \(corrupted data\)/);
  });

  it('swapped, aliased, overlapping, gapped and out-of-range data_offsets are errors naming the tensor', async () => {
    const { load, path } = await pair();
    const orig = splitFile(path);
    const edit = (f: (h: Record<string, any>) => void, data: Uint8Array = orig.data) => {
      const h = structuredClone(orig.header);
      f(h);
      joinFile(path, h, data);
    };
    // swapped between two equal-sized tensors: the layout is valid, the checksums are not
    edit((h) => ([h['a/weight'].data_offsets, h['b/weight'].data_offsets] = [h['b/weight'].data_offsets, h['a/weight'].data_offsets]));
    expect(load).toThrow(/tensor '[ab]\/weight' fails its checksum/);
    // aliased: two tensors on the same bytes
    edit((h) => (h['b/weight'].data_offsets = [...h['a/weight'].data_offsets]));
    expect(load).toThrow(/tensor '[ab]\/weight' \(data offsets \[\d+, \d+\]\) overlaps tensor '[ab]\/weight'|belong to no tensor/);
    // overlapping by 4 bytes (the sizes still match dtype * shape)
    edit((h) => {
      const [b, e] = h['b/bias'].data_offsets;
      h['b/bias'].data_offsets = [b - 4, e - 4];
    });
    expect(load).toThrow(/tensor 'b\/bias' \(data offsets \[\d+, \d+\]\) overlaps tensor|belong to no tensor/);
    // a gap: trailing bytes that belong to no tensor
    edit(() => {}, Buffer.concat([orig.data, Buffer.alloc(8)]));
    expect(load).toThrow(/bytes \[\d+, \d+\) at the end of the data section belong to no tensor/);
    // out of range, wrong size, malformed
    edit((h) => (h['a/bias'].data_offsets = [0, 1e6]));
    expect(load).toThrow(/tensor 'a\/bias' has data offsets \[0,1000000\] outside the \d+-byte data section/);
    edit((h) => (h['a/bias'].data_offsets = [0, 12]));
    expect(load).toThrow(/tensor 'a\/bias' of shape \[4\] needs 16 bytes, offsets give 12/);
    edit((h) => (h['a/bias'].data_offsets = [0.5, 16.5]));
    expect(load).toThrow(/tensor 'a\/bias' has invalid data_offsets \[0.5,16.5\]/);
    edit((h) => (h['a/bias'].data_offsets = [-16, 0]));
    expect(load).toThrow(/tensor 'a\/bias' has data offsets \[-16,0\] outside/);
    // a checksum removed, or one for a tensor the file does not hold
    edit((h) => delete h.__metadata__['crc32:a/bias']);
    expect(load).toThrow(/tensor 'a\/bias' has no checksum \('crc32:a\/bias' missing from __metadata__\)/);
    edit((h) => (h.__metadata__['crc32:ghost'] = '00000000'));
    expect(load).toThrow(/__metadata__ has a checksum for tensor 'ghost', which the file does not hold/);
    // a consistent file that is not the one the manifest names (another save's weights)
    const other = await pair(7);
    writeFileSync(path, readFileSync(other.path));
    expect(load).toThrow(/is \d+ bytes with CRC-32 [0-9a-f]{8}, but .*checkpoint\.json records \d+ bytes with CRC-32 [0-9a-f]{8} \(corrupted, or not the weights of this save\)/);
  });

  it('refuses NaN and Inf weights when saving (naming the tensor, writing nothing) and when loading', async () => {
    const { dir, mods, load, path } = await pair();
    const before = readdirSync(dir).sort();
    const w = Float32Array.from(await mods.b.weight.toArray());
    w[7] = NaN;
    w[9] = -Infinity;
    mods.b.weight.value.write(w);
    await expect(AN.saveCheckpoint(dir, { modules: mods }, {})).rejects.toThrow(/saveCheckpoint: .*: tensor 'b\/weight' holds 2 non-finite values \(first: NaN at flat index 7\); refusing to save it/);
    expect(readdirSync(dir).sort()).toEqual(before);
    // The old checkpoint is intact and loads (overwriting the NaN weights in memory).
    expect(() => load()).not.toThrow();
    expect((await mods.b.weight.toArray()).every(Number.isFinite)).toBe(true);
    // A file holding Inf with a correct checksum still does not load.
    const { header, data } = splitFile(path);
    const [b0, e0] = header['a/bias'].data_offsets;
    const d = Buffer.from(data);
    d.writeFloatLE(Infinity, b0 + 4);
    header.__metadata__['crc32:a/bias'] = hex(d.subarray(b0, e0));
    joinFile(path, header, d);
    expect(load).toThrow(/weights-\d+-[0-9a-f]+\.safetensors: tensor 'a\/bias' holds 1 non-finite value \(first: Infinity at flat index 1\)/);
  });

  it('leaves exactly the manifest and one weights file; stale files of dead writers go on the next save and load', async () => {
    const { dir, mods, load } = await pair();
    for (let i = 0; i < 3; i++) await AN.saveCheckpoint(dir, { modules: mods }, { i });
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', manifest(dir).weights.file]);
    // What killed saves leave: temp files and an uncommitted weights file of a dead pid, the older temp naming,
    // and the same from a live process (our parent), which may be saving right now and must be left alone.
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    const live = process.ppid;
    const stale = [`checkpoint.json.tmp-${dead}-3`, `weights-${dead}-00ab.safetensors`, `weights-${dead}-00ab.safetensors.tmp-${dead}-1`, `weights.safetensors.tmp-${dead}-1712345678901`];
    const alive = [`checkpoint.json.tmp-${live}-1`, `weights-${live}-00cd.safetensors`];
    for (const f of [...stale, ...alive, 'notes.txt']) writeFileSync(join(dir, f), 'x');
    load();
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', manifest(dir).weights.file, ...alive, 'notes.txt'].sort());
    for (const f of stale) writeFileSync(join(dir, f), 'x');
    await AN.saveCheckpoint(dir, { modules: mods }, {});
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', manifest(dir).weights.file, ...alive, 'notes.txt'].sort());
  });

  it('a failed save removes its temp and weights files and leaves the old checkpoint', async () => {
    const { dir, mods, load } = await pair();
    const before = readdirSync(dir).sort();
    // Make the commit fail: a directory where the manifest must be renamed to.
    const real = readFileSync(join(dir, 'checkpoint.json'));
    const blocked = tmp();
    mkdirSync(join(blocked, 'checkpoint.json'));
    await expect(AN.saveCheckpoint(blocked, { modules: mods }, {})).rejects.toThrow(/EISDIR|EEXIST|ENOTEMPTY|EPERM|illegal operation/i);
    expect(readdirSync(blocked)).toEqual(['checkpoint.json']);
    // A non-serialisable config fails before anything is written.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(AN.saveCheckpoint(dir, { modules: mods }, cyclic)).rejects.toThrow(/circular/i);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'checkpoint.json'))).toEqual(real);
    expect(() => load()).not.toThrow();
    expect(existsSync(join(dir, 'checkpoint.json'))).toBe(true);
  });
});

describe('modules and Adam', () => {
  it('names parameters stably and counts them', () => {
    const m = new A.MLP({ device: cpu, seed: 1 }, 4, { hidden: [8, 8], out: 2, norm: true });
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'layer0.weight', 'norm0.gamma', 'norm0.beta', 'layer1.weight', 'norm1.gamma', 'norm1.beta', 'out.weight', 'out.bias',
    ]);
    expect(m.parameterCount()).toBe(4 * 8 + 16 + 8 * 8 + 16 + 8 * 2 + 2);
  });

  it('initialises identically for one seed on every call', async () => {
    const a = new A.Linear({ device: cpu, seed: 7 }, 5, 3);
    const b = new A.Linear({ device: cpu, seed: 7 }, 5, 3);
    const c = new A.Linear({ device: cpu, seed: 8 }, 5, 3);
    expect(await a.weight.toArray()).toEqual(await b.weight.toArray());
    expect(await a.weight.toArray()).not.toEqual(await c.weight.toArray());
    const w = await a.weight.toArray();
    const limit = Math.sqrt(6 / 8);
    expect(w.every((x) => Math.abs(x) <= limit)).toBe(true);
  });

  it('rejects bad configuration and gradients naming the thing', () => {
    expect(() => new A.Linear({ device: cpu, seed: 1 }, 0, 3)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    const l = new A.Linear({ device: cpu, seed: 1 }, 2, 2);
    const opt = new A.Adam(l.parameters(), { lr: 1e-3 });
    expect(() => opt.apply([])).toThrow(/expected 2 gradients, got 0/);
    expect(() => new A.Adam(l.parameters(), { lr: 0 })).toThrow(/Adam: lr must be a finite number > 0, got 0/);
    expect(() => l.forward(A.constant(tensor(cpu, [1, 2, 3], [1, 3])))).toThrow(/Linear: input's last dim must be 2, got shape \[1,3\]/);
  });
});
