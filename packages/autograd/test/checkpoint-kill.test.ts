import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CpuDevice } from '@twist/kernels';
import * as A from '../src/index.js';
import * as AN from '../src/node.js';

/**
 * Checkpoints survive SIGKILL: a child process saves in a loop (save k writes every weight, moment and
 * counter equal to k, optimiser step k, config.k = info.k = k) and is killed with SIGKILL at random moments.
 * After every kill the checkpoint must load, all of it from one save, no older than the last save the child
 * reported finished; what the killed save left behind must be gone after the next load or save.
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const KILLS = 20;

/** The child: plain ESM run by `node --conditions source --import tsx`, plus a hook that loads .wgsl as text. */
function writeChild(work: string): { script: string; register: string } {
  writeFileSync(
    join(work, 'wgsl-hooks.mjs'),
    `import { readFile } from 'node:fs/promises';
export async function load(url, context, next) {
  if (url.endsWith('.wgsl')) return { format: 'module', shortCircuit: true, source: 'export default ' + JSON.stringify(await readFile(new URL(url), 'utf8')) + ';' };
  return next(url, context);
}
`,
  );
  writeFileSync(join(work, 'register.mjs'), `import { register } from 'node:module';\nregister('./wgsl-hooks.mjs', import.meta.url);\n`);
  writeFileSync(
    join(work, 'save-loop.mjs'),
    `import { CpuDevice } from ${JSON.stringify(pathToFileURL(join(root, 'kernels/src/index.ts')).href)};
import * as A from ${JSON.stringify(pathToFileURL(join(root, 'packages/autograd/src/index.ts')).href)};
import * as AN from ${JSON.stringify(pathToFileURL(join(root, 'packages/autograd/src/node.ts')).href)};
const [dir, base] = [process.argv[2], Number(process.argv[3])];
const device = new CpuDevice();
const net = new A.MLP({ device, seed: 1 }, ${MODEL.inputs}, { hidden: ${JSON.stringify(MODEL.hidden)}, out: ${MODEL.out} });
const opt = new A.Adam(net.parameters(), { lr: 1e-3 });
for (let k = base; ; k++) {
  const t0 = performance.now();
  for (const p of net.parameters()) p.value.write(new Float32Array(p.size).fill(k));
  for (const t of [...opt.m, ...opt.v]) t.write(new Float32Array(t.size).fill(k));
  opt.counters.write(new Int32Array([k, k % 5, k % 3]));
  opt.step = k;
  await AN.saveCheckpoint(dir, { modules: { net }, optimizers: { opt } }, { k }, { k, rngOffset: 3 * k });
  process.stdout.write('saved ' + k + ' ' + (performance.now() - t0).toFixed(2) + '\\n');
}
`,
  );
  return { script: join(work, 'save-loop.mjs'), register: pathToFileURL(join(work, 'register.mjs')).href };
}

/** The model of the test, built the same way in the child: ~83k parameters, a ~1 MB weights file with Adam's moments. */
const MODEL = { inputs: 32, hidden: [256, 256], out: 32 };
function parts(device: CpuDevice) {
  const net = new A.MLP({ device, seed: 1 }, MODEL.inputs, { hidden: MODEL.hidden, out: MODEL.out });
  const opt = new A.Adam(net.parameters(), { lr: 1e-3 });
  return { net, opt };
}

interface Run {
  acked: number; // the last k the child reported saved
  saveMs: number;
}

/** Starts a child saving from k = base, kills it with SIGKILL `delay(saveMs)` ms after its first finished save. */
function killedRun(child: { script: string; register: string }, dir: string, base: number, delay: (saveMs: number) => number): Promise<Run> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, ['--conditions', 'source', '--import', 'tsx', '--import', child.register, child.script, dir, String(base)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let armed = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      fail(new Error(`the save-loop child made no save in 20 s; stderr:\n${err}`));
    }, 20_000);
    p.stderr.on('data', (b) => (err += b));
    p.stdout.on('data', (b) => {
      out += b;
      const m = /saved (\d+) ([\d.]+)\n/.exec(out);
      if (m && !armed) {
        armed = true;
        clearTimeout(timer);
        setTimeout(() => p.kill('SIGKILL'), delay(Number(m[2])));
      }
    });
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return fail(new Error(`the save-loop child exited by itself (code ${code}); stderr:\n${err}`));
      const saves = [...out.matchAll(/saved (\d+) ([\d.]+)\n/g)];
      done({ acked: Number(saves.at(-1)![1]), saveMs: Math.min(...saves.map((s) => Number(s[2]))) });
    });
  });
}

describe('checkpoints under SIGKILL', () => {
  it(`${KILLS} kills of a child in a save loop: every checkpoint loads, all from one save, and leftovers are cleaned`, { timeout: 120_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'twist-kill-'));
    const dir = join(work, 'ckpt');
    const child = writeChild(work);
    const device = new CpuDevice();
    const { net, opt } = parts(device);
    const files = () => readdirSync(dir).sort();
    const committed = () => ['checkpoint.json', JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).weights.file].sort();
    let leftovers = 0;
    let unacked = 0;

    const verify = async (run: Run, what: string) => {
      const { config, info } = AN.loadCheckpoint(dir, { modules: { net }, optimizers: { opt } });
      const k = Number(info.k);
      // Committed before the child printed it; at most the save in flight at the kill is newer.
      expect([run.acked, run.acked + 1], what).toContain(k);
      if (k === run.acked + 1) unacked++;
      expect(config, what).toEqual({ k });
      expect(info, what).toEqual({ k, rngOffset: 3 * k });
      expect(opt.step, what).toBe(k);
      expect(Array.from(await opt.counters.toArray()), what).toEqual([k, k % 5, k % 3]);
      for (const t of [...net.parameters().map((p) => p.value), ...opt.m, ...opt.v]) {
        const a = await t.toArray();
        expect(a.every((x) => x === k), `${what}: every value of every tensor is ${k}`).toBe(true);
      }
    };

    for (let i = 0; i < KILLS; i++) {
      const base = (i + 1) * 100_000;
      // Kill anywhere in the next ~3 saves: before, inside and between the disk writes.
      const run = await killedRun(child, dir, base, (ms) => Math.random() * 3 * ms);
      if (files().join() !== committed().join()) leftovers++;
      await verify(run, `kill ${i} (child from k = ${base}, last acknowledged ${run.acked}, ${run.saveMs.toFixed(1)} ms a save)`);
      expect(files(), `after kill ${i}, the load removed what the killed save left`).toEqual(committed());
    }

    // The next save cleans up too: kill until a kill leaves something behind (or 10 tries), then save here.
    let left = false;
    let last: Run | null = null;
    for (let i = 0; i < 10 && !left; i++) {
      last = await killedRun(child, dir, (KILLS + 1 + i) * 100_000, (ms) => Math.random() * 3 * ms);
      left = files().join() !== committed().join();
    }
    const stale = files();
    await AN.saveCheckpoint(dir, { modules: { net }, optimizers: { opt } }, { k: -1 }, { k: -1 });
    expect(files(), `after the next save (before it: ${stale.join(', ')})`).toEqual(committed());
    expect(AN.loadCheckpoint(dir, { modules: { net }, optimizers: { opt } }).info).toEqual({ k: -1 });
    console.log(`${KILLS} kills: ${leftovers} left a temp or uncommitted file, ${unacked} had committed a save the child had not yet reported; last run ${JSON.stringify(last)}`);
  });
});
