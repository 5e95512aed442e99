import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scope, tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import { cpu } from './harness.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'twist-ckpt-'));

describe('safetensors checkpoints', () => {
  it('round-trips parameters, optimiser state and config', async () => {
    const ctx = { device: cpu, seed: 5 };
    const a = new A.MLP(ctx, 3, { hidden: [5], out: 2 });
    const opt = new A.Adam(a.parameters(), { lr: 1e-2 });
    const x = A.constant(tensor(cpu, [1, 2, 3, 4, 5, 6], [2, 3]));
    scope(() => opt.apply(A.grad(A.mean(A.square(a.forward(x))), a.parameters())));
    const dir = tmp();
    await A.saveCheckpoint(dir, { modules: { net: a }, optimizers: { opt } }, { hidden: [5] }, { envSteps: 42 });
    expect(A.hasCheckpoint(dir)).toBe(true);

    const b = new A.MLP({ device: cpu, seed: 99 }, 3, { hidden: [5], out: 2 });
    const optB = new A.Adam(b.parameters(), { lr: 1e-2 });
    const { config, info } = A.loadCheckpoint(dir, { modules: { net: b }, optimizers: { opt: optB } });
    expect(config).toEqual({ hidden: [5] });
    expect(info).toEqual({ envSteps: 42 });
    expect(optB.step).toBe(1);
    const pa = a.namedParameters();
    const pb = b.namedParameters();
    for (let i = 0; i < pa.length; i++) expect(await pb[i][1].toArray()).toEqual(await pa[i][1].toArray());
    expect(await optB.m[0].toArray()).toEqual(await opt.m[0].toArray());
  });

  it('says exactly what does not match', async () => {
    const dir = tmp();
    const a = new A.MLP({ device: cpu, seed: 1 }, 3, { hidden: [5], out: 2 });
    await A.saveCheckpoint(dir, { modules: { net: a } }, {});
    const b = new A.MLP({ device: cpu, seed: 1 }, 3, { hidden: [6], out: 2 });
    expect(() => A.loadCheckpoint(dir, { modules: { net: b } })).toThrow(/'net\/layer0.weight': file has f32\[3,5\], model has f32\[3,6\]/);
    expect(() => A.loadCheckpoint(dir, { modules: { other: a } })).toThrow(/missing 'other\/layer0.weight'[\s\S]*unexpected 'net\/layer0.weight'/);
  });

  it('rejects truncated and non-safetensors files with a clear error', async () => {
    const dir = tmp();
    const a = new A.Linear({ device: cpu, seed: 1 }, 4, 4);
    await A.saveCheckpoint(dir, { modules: { l: a } }, {});
    const path = join(dir, 'weights.safetensors');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.byteLength - 10));
    expect(() => A.loadCheckpoint(dir, { modules: { l: a } })).toThrow(/outside the \d+-byte data section \(truncated\?\)/);
    writeFileSync(path, 'hello, this is not a tensor file');
    expect(() => A.loadSafetensors(path)).toThrow(/does not fit|not valid JSON/);
    writeFileSync(path, new Uint8Array(3));
    expect(() => A.loadSafetensors(path)).toThrow(/too short for a safetensors header/);
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
    expect(() => new A.Adam(l.parameters(), { lr: 0 })).toThrow(/lr must be > 0, got 0/);
    expect(() => l.forward(A.constant(tensor(cpu, [1, 2, 3], [1, 3])))).toThrow(/Linear: input's last dim must be 2, got shape \[1,3\]/);
  });
});
