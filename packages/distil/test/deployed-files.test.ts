/**
 * DeployedAgent.fromFiles (the main entry, browser-safe) against DeployedAgent.load (@twist/distil/node): the
 * same checkpoint directory read as bytes gives the same agent (same actions on the same images, same RNG
 * offsets and metadata), and damaged or foreign files are refused with the directory loader's checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '@twist/agent';
import { tensor } from '@twist/kernels';
import { makeConfig, WorldModel } from '@twist/rssm';
import { DeployedAgent as BrowserAgent, type ActorSpec, type DeployedFiles } from '../src/index.js';
import { DeployedAgent } from '../src/node.js';
import { cpu, tmp } from './harness.js';

const N = 2;
const S = 32;
let dir = '';
let agent: DeployedAgent;

/** The files of a deployed-agent directory, as a page fetches them: checkpoint.json, then the weights it names. */
function readFiles(d: string): { checkpoint: string; weights: Uint8Array } {
  const checkpoint = readFileSync(join(d, 'checkpoint.json'), 'utf8');
  return { checkpoint, weights: new Uint8Array(readFileSync(join(d, JSON.parse(checkpoint).weights.file))) };
}

async function actions(a: BrowserAgent): Promise<number[][]> {
  a.resetPolicy();
  const out: number[][] = [];
  for (let t = 0; t < 4; t++) {
    const x = tensor(cpu, Uint8Array.from({ length: N * S * S * 3 }, (_, i) => (i * 29 + t * 83) % 256), [N, S, S, 3], 'u8');
    out.push(Array.from(await a.act(x, t === 0 ? [1, 1] : [0, t === 2 ? 1 : 0], t === 3 ? 'sample' : 'mode')));
    x.dispose();
  }
  return out;
}

beforeAll(async () => {
  const student = new WorldModel(cpu, makeConfig('debug', { modality: 'image', imageSize: S, stateSize: 5, actionSize: 1, seed: 3 }));
  const spec: ActorSpec = { featureSize: student.rssm.featureSize, actionSize: 1, layers: [32, 32], act: 'elu', minStd: 0.1 };
  const actor = new Actor({ device: cpu, seed: 5 }, spec.featureSize, 1, spec.layers, spec.act, spec.minStd);
  agent = new DeployedAgent(student, actor, { task: 'cartpole-balance', actor: spec, seed: 7 }, true);
  agent.rngOffset = 11;
  student.rssm.rngOffset = 1234;
  dir = tmp('deployed');
  await agent.save(dir, { note: 'fromFiles test' });
});
afterAll(() => agent?.dispose());

describe('DeployedAgent.fromFiles', () => {
  it('loads the files of a saved directory: the same actions on the same images as DeployedAgent.load', async () => {
    const fromDir = DeployedAgent.load(cpu, dir);
    const files = readFiles(dir);
    const fromBytes = BrowserAgent.fromFiles(cpu, { checkpoint: files.checkpoint, weights: files.weights.slice().buffer, name: 'http://x/agent' });
    const fromParsed = BrowserAgent.fromFiles(cpu, { checkpoint: JSON.parse(files.checkpoint), weights: files.weights });
    for (const a of [fromBytes, fromParsed]) {
      expect(a.meta).toEqual(fromDir.meta);
      expect(a.rngOffset).toBe(11);
      expect(a.student.rssm.rngOffset).toBe(1234);
      expect(a.imageSize).toBe(S);
    }
    const want = await actions(fromDir);
    expect(want.flat().every(Number.isFinite)).toBe(true);
    expect(await actions(fromBytes)).toEqual(want);
    expect(await actions(fromParsed)).toEqual(want);
    // and the agent that was saved acts the same (its sample offset advanced as the loaded ones' do)
    agent.rngOffset = 11;
    expect(await actions(agent)).toEqual(want);
    for (const a of [fromDir, fromBytes, fromParsed]) a.dispose();
  });

  it("a subclass's fromFiles builds that subclass (the Node agent can save what it loaded from bytes)", async () => {
    const a = DeployedAgent.fromFiles(cpu, readFiles(dir));
    expect(a).toBeInstanceOf(DeployedAgent);
    const again = tmp('again');
    await a.save(again);
    expect(readFiles(again).checkpoint.length).toBeGreaterThan(0);
    expect(await actions(DeployedAgent.load(cpu, again))).toEqual(await actions(a));
    a.dispose();
  });

  it('refuses damaged or foreign files, naming what is wrong', () => {
    const f = readFiles(dir);
    const load = (files: Partial<DeployedFiles>) => () => BrowserAgent.fromFiles(cpu, { ...f, name: 'agent/', ...files } as DeployedFiles);
    const flipped = f.weights.slice();
    flipped[flipped.length - 3] ^= 1;
    expect(load({ weights: flipped })).toThrow(/agent\/\/weights-.*\.safetensors is \d+ bytes with CRC-32 [0-9a-f]{8}, but checkpoint\.json records/);
    expect(load({ weights: f.weights.slice(0, 100) })).toThrow(/is 100 bytes/);
    expect(load({ checkpoint: '{"format": ' })).toThrow(/checkpoint\.json is not valid JSON/);
    expect(load({ checkpoint: { ...JSON.parse(f.checkpoint), format: 'twist-ts/checkpoint/1' } })).toThrow(/format "twist-ts\/checkpoint\/1", expected 'twist-ts\/checkpoint\/2'/);
    const m = JSON.parse(f.checkpoint);
    expect(load({ checkpoint: { ...m, config: { ...m.config, format: 'twist-ts/other' } } })).toThrow(/is not a deployed TWIST agent \(config format "twist-ts\/other"/);
    const wider = { ...m, config: { ...m.config, actor: { ...m.config.actor, layers: [48, 32] } } };
    expect(load({ checkpoint: wider })).toThrow(/does not match the model:\n {2}'actor\/.*': file has f32\[.*\], model has f32\[/);
  });
});


describe('DeployedAgent.executed', () => {
  const image = (t: number) => tensor(cpu, Uint8Array.from({ length: N * S * S * 3 }, (_, i) => (i * 31 + t * 97) % 256), [N, S, S, 3], 'u8');
  /** h after a second step on image 1, the filter having been told `told` (or nothing) after the first. */
  async function deterAfter(told: 'proposal' | Float32Array, via: 'agent' | 'filter'): Promise<number[]> {
    const a = DeployedAgent.load(cpu, dir);
    const [x0, x1] = [image(0), image(1)];
    try {
      if (via === 'filter') {
        a.filter.step(x0, [1, 1]);
        a.filter.setAction(told as Float32Array);
        return Array.from((await a.filter.step(x1, [0, 0]).deter.toArray()) as Float32Array);
      }
      await a.act(x0, [1, 1], 'mode');
      if (told !== 'proposal') a.executed(told);
      return Array.from((await (await a.actWithLatent(x1, [0, 0], 'mode')).deter.toArray()) as Float32Array);
    } finally {
      x0.dispose();
      x1.dispose();
      a.dispose();
    }
  }

  it("conditions the filter's next step on the executed actions instead of the proposed ones", async () => {
    const other = Float32Array.of(0.75, -0.5);
    const told = await deterAfter(other, 'agent');
    expect(told).toEqual(await deterAfter(other, 'filter'));
    expect(told).not.toEqual(await deterAfter('proposal', 'agent')); // the actions reach h: the check can fail
  });

  it('refuses actions of the wrong size, non-finite ones, and a call before any step', async () => {
    const a = DeployedAgent.load(cpu, dir);
    expect(() => a.executed(Float32Array.of(0, 0))).toThrow(/PosteriorFilter\.setAction: call step\(\) first/);
    const x = image(0);
    await a.act(x, [1, 1], 'mode');
    expect(() => a.executed(Float32Array.of(0, 0, 0))).toThrow(/the action must hold N x A = 2 x 1 = 2 values, got 3/);
    expect(() => a.executed(Float32Array.of(0, NaN))).toThrow(/action 1\[0\] is NaN, not a finite number/);
    x.dispose();
    a.dispose();
  });
});
