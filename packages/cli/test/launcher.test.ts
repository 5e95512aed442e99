import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createGpuDevice } from '@twist/kernels';
import { dawnWarningFilter, DAWN_LIMIT_WARNING } from '../src/launcher.js';

const NOTICES = ['Uniform', 'Storage'].map(
  (k) => `Warning: maxDynamic${k}BuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.`,
);
const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(pkg, 'bin', 'twist.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'twist-launcher-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function filtered(chunks: string[]): { out: string; writes: string[] } {
  const writes: string[] = [];
  const f = dawnWarningFilter((s) => writes.push(s));
  for (const c of chunks) f.push(c);
  f.end();
  return { out: writes.join(''), writes };
}

describe('dawnWarningFilter', () => {
  it('drops exactly the two Dawn notices, whatever their numbers', () => {
    expect(NOTICES.every((n) => DAWN_LIMIT_WARNING.test(n))).toBe(true);
    expect(DAWN_LIMIT_WARNING.test(NOTICES[0].replace('1000000', '500000'))).toBe(true);
    expect(DAWN_LIMIT_WARNING.test(NOTICES[0].replace('Uniform', 'Sampled'))).toBe(false);
    expect(DAWN_LIMIT_WARNING.test('x' + NOTICES[0])).toBe(false);
    const text = `${NOTICES[0]}\n${NOTICES[1]}\nwrote out.png\nWarning: something else\n${NOTICES[1]} (and more)\n`;
    expect(filtered([text]).out).toBe('wrote out.png\nWarning: something else\n' + `${NOTICES[1]} (and more)\n`);
  });

  it('keeps every other byte, in order, however the stream is cut into chunks', () => {
    const line = fc.oneof(
      fc.constantFrom(...NOTICES, `${NOTICES[0]}\r`, 'Warning: maxDynamic', 'Warning: ', '', '\r[distil] 10/100', 'Warning: maxDynamicFoo'),
      fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, ' ')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (lines, cuts, trailingNewline) => {
        const text = lines.join('\n') + (trailingNewline && lines.length ? '\n' : '');
        const pos = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...pos, text.length].slice(1).map((p, i, a) => text.slice(i ? a[i - 1] : 0, p));
        const pieces = text.split('\n');
        const expected = pieces.map((l, i) => (i < pieces.length - 1 ? (DAWN_LIMIT_WARNING.test(l) ? '' : l + '\n') : DAWN_LIMIT_WARNING.test(l) ? '' : l)).join('');
        expect(filtered(chunks).out).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('writes a progress line at once, before its newline comes (or never comes)', () => {
    const writes: string[] = [];
    const f = dawnWarningFilter((s) => writes.push(s));
    f.push('\r\x1b[2K[distil] 10/100 updates');
    expect(writes).toEqual(['\r\x1b[2K[distil] 10/100 updates']);
    f.push('Warn'); // may still become a notice: held
    expect(writes.length).toBe(1);
    f.push('ing: maxDynamicUniform');
    expect(writes.length).toBe(1);
    f.push(NOTICES[0].slice('Warning: maxDynamicUniform'.length) + '\nok');
    expect(writes).toEqual(['\r\x1b[2K[distil] 10/100 updates', 'ok']);
  });
});

// The launcher as the bin uses it, run from source (tsx; launcher.ts imports only Node built-ins), so the test
// needs no build: the child script is bin/twist.mjs's shape with Dawn opening an adapter (it prints the notices)
// or a given exit code in place of the command.
const ROOT = resolve(pkg, '../..');
const launcherSrc = pathToFileURL(join(pkg, 'src', 'launcher.ts')).href;
const webgpuEntry = pathToFileURL(createRequire(join(ROOT, 'kernels', 'package.json')).resolve('webgpu')).href;
function childScript(name: string, work: string): string {
  const file = join(tmp, name);
  writeFileSync(
    file,
    `import { relaunchFilteringDawnWarnings } from ${JSON.stringify(launcherSrc)};
const argv = process.argv.slice(2);
const code = await relaunchFilteringDawnWarnings(${JSON.stringify(file)}, argv);
if (code !== null) process.exit(code);
${work}
`,
  );
  return file;
}
const nodeArgs = ['--import', 'tsx'];
const runChild = (file: string, args: string[] = [], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...nodeArgs, file, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

describe('relaunchFilteringDawnWarnings (the twist bin and npm start)', () => {
  it('both entry points relaunch through it before doing any work', () => {
    for (const f of [bin, join(ROOT, 'scripts', 'main.mjs')]) {
      const text = readFileSync(f, 'utf8');
      const call = text.indexOf('await relaunchFilteringDawnWarnings(');
      expect(call, f).toBeGreaterThan(0);
      expect(text.slice(call)).toMatch(/^await relaunchFilteringDawnWarnings\(.*\);\s*\nif \((\w+) !== null\) process\.exit\(\1\);/);
      expect(text.slice(0, call)).toMatch(/const (\w+) = $/);
      // the work (main / startPipeline) runs only after it
      expect(text.search(/await main\(|await startPipeline\(/), f).toBeGreaterThan(call);
    }
  });

  it('runs the work in a filtered child: its stdout, without the Dawn notices; TWIST_DAWN_WARNINGS=1 keeps them', async () => {
    const script = childScript(
      'dawn.mjs',
      `process.env.XDG_RUNTIME_DIR ??= '/tmp';
const { create, globals } = await import(${JSON.stringify(webgpuEntry)});
Object.assign(globalThis, globals);
const adapter = await create([]).requestAdapter();
const device = adapter ? await adapter.requestDevice() : null;
console.log('adapter ' + (adapter ? 'yes' : 'no'));
process.stderr.write('a real warning\\n');
device?.destroy();
process.exit(0);`,
    );
    const r = runChild(script);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^adapter (yes|no)\n$/);
    expect(r.stderr).toContain('a real warning\n');
    expect(r.stderr).not.toContain('artificially reduced');
    const raw = runChild(script, [], { TWIST_DAWN_WARNINGS: '1' });
    expect(raw.status, raw.stderr).toBe(0);
    expect(raw.stderr).toContain('a real warning\n');
    // Dawn prints the notices on every Vulkan adapter that reports more than 16 dynamic buffers (lavapipe does)
    const gpu = await createGpuDevice();
    if (gpu && (gpu.adapterInfo.description.includes('llvmpipe') || gpu.adapterInfo.vendor === 'mesa')) expect(raw.stderr).toContain('artificially reduced');
    gpu?.destroy();
  }, 120_000);

  it("passes the child's exit code and its other stderr lines through", () => {
    const script = childScript('exit.mjs', `process.stderr.write('twist: no-such-command\\n'); process.exit(Number(argv[0]));`);
    for (const code of [0, 2, 3]) {
      const r = runChild(script, [String(code)]);
      expect([r.status, r.stderr]).toEqual([code, 'twist: no-such-command\n']);
    }
  }, 60_000);

  it('passes a SIGTERM on to the child, and ends by the same signal', async () => {
    const script = childScript('sleeper.mjs', `process.stderr.write('child ' + process.pid + '\\n');\nsetInterval(() => {}, 1000);`);
    const p = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let err = '';
    const childPid = await new Promise<number>((res) =>
      p.stderr!.on('data', (d) => {
        err += d;
        const m = /child (\d+)\n/.exec(err);
        if (m) res(Number(m[1]));
      }),
    );
    expect(childPid).not.toBe(p.pid);
    p.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((res) => p.on('close', (c, s) => res([c, s])));
    expect([code, signal]).toEqual([null, 'SIGTERM']);
    const alive = (() => {
      try {
        process.kill(childPid, 0);
        return true;
      } catch {
        return false;
      }
    })();
    expect(alive).toBe(false);
  }, 60_000);
});
