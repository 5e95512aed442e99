import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('relaunchFilteringDawnWarnings (the twist bin)', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

  it('runs the command in a filtered child: the same output and exit code, without the Dawn notices', async () => {
    const sheet = join(tmp, 'sheet.png');
    const args = ['render', '--task', 'cartpole-balance', '--episodes', '1', '--frames', '1', '--out', sheet];
    const r = run(args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${sheet}`);
    expect(r.stderr).not.toContain('artificially reduced');
    const gpu = await createGpuDevice();
    const raw = run(args, { TWIST_DAWN_WARNINGS: '1' });
    expect(raw.status, raw.stderr).toBe(0);
    // Dawn prints the notices on every Vulkan adapter that reports more than 16 dynamic buffers (lavapipe does)
    if (gpu && (gpu.adapterInfo.description.includes('llvmpipe') || gpu.adapterInfo.vendor === 'mesa')) expect(raw.stderr).toContain('artificially reduced');
    gpu?.destroy();
  }, 120_000);

  it("passes the child's exit code and its other stderr lines through", () => {
    const r = run(['no-such-command']);
    expect(r.status).not.toBe(0);
    expect(r.status).toBe(run(['no-such-command'], { TWIST_STDERR_FILTERED: '1' }).status);
    expect(r.stderr).toContain('no-such-command');
  }, 60_000);

  it('passes a SIGTERM on to the child, and ends by the same signal', async () => {
    const script = join(tmp, 'sleeper.mjs');
    const launcher = pathToFileURL(join(pkg, 'dist', 'launcher.js')).href;
    writeFileSync(
      script,
      `import { relaunchFilteringDawnWarnings } from ${JSON.stringify(launcher)};
const c = await relaunchFilteringDawnWarnings(${JSON.stringify(script)}, []);
if (c !== null) process.exit(c);
process.stderr.write('child ' + process.pid + '\\n');
setInterval(() => {}, 1000);
`,
    );
    const p = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
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
