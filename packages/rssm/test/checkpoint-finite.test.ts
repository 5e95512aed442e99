/** A world model whose weights are not finite is refused when saved and when loaded, naming the tensor (issue 13). */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfig, WorldModel, WorldModelTrainer } from '../src/index.js';
import { loadWorldModel, loadWorldModelTrainer, saveWorldModel, saveWorldModelTrainer } from '../src/node.js';
import { cpu } from './harness.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'twist-wm-finite-'));
  dirs.push(d);
  return d;
};

describe('world-model checkpoints and non-finite weights', () => {
  it('refuses to save NaN weights (writing nothing) and to load a file holding Inf with valid checksums', async () => {
    const wm = new WorldModel(cpu, makeConfig('debug', { stateSize: 3, actionSize: 1, seed: 2 }));
    const trainer = new WorldModelTrainer(wm);
    const dir = tmp();
    await saveWorldModelTrainer(trainer, dir, { step: 1 });
    const files = readdirSync(dir).sort();

    const p = wm.parameters()[0];
    const w = Float32Array.from(await p.value.toArray());
    w[1] = NaN;
    p.value.write(w);
    await expect(saveWorldModel(wm, tmp())).rejects.toThrow(/non-finite value.*first: NaN at flat index 1\); refusing to save it/);
    await expect(saveWorldModelTrainer(trainer, dir, { step: 2 })).rejects.toThrow(/refusing to save it/);
    expect(readdirSync(dir).sort()).toEqual(files);

    // Inf written into the weights file with its per-tensor CRC updated: the values are still checked on load
    const path = join(dir, files.find((f) => f.endsWith('.safetensors'))!);
    const b = readFileSync(path);
    const n = Number(b.readBigUInt64LE(0));
    const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
    const data = Buffer.from(b.subarray(8 + n));
    const name = Object.keys(header).find((k) => k !== '__metadata__' && header[k].dtype === 'F32')!;
    const [b0, e0] = header[name].data_offsets;
    data.writeFloatLE(Infinity, b0);
    header.__metadata__[`crc32:${name}`] = (crc32(data.subarray(b0, e0)) >>> 0).toString(16).padStart(8, '0');
    const h = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.byteLength));
    writeFileSync(path, Buffer.concat([len, h, data]));
    expect(() => loadWorldModel(cpu, dir)).toThrow(/\.safetensors: .*(non-finite|CRC-32)/);
    expect(() => loadWorldModelTrainer(cpu, dir)).toThrow(/\.safetensors: .*(non-finite|CRC-32)/);
  });
});
