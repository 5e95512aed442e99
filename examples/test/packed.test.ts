/**
 * What a downstream user gets: every package is packed (`pnpm pack` of its build), the tarballs are checked
 * (dist, README, LICENSE, package.json; no tests, no sources) and installed with npm into a fresh project in the
 * system temp folder, outside the workspace (dependencies from the npm registry). There an example runs on the
 * installed builds (also without an adapter, where the notice must give library advice), strict TypeScript
 * consumers and the README programs type-check (tsc --strict, no skipLibCheck), and the main entries bundle
 * for a browser (a deployed agent loaded from fetched files included). Skipped, saying why, only where pnpm is missing (nothing can be packed).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programBlocks } from './readme.js';
import { ROOT } from './run.js';

const PACKAGES = ['kernels', 'packages/autograd', 'packages/rssm', 'packages/envs', 'packages/agent', 'packages/distil', 'packages/cli'];
const hasPnpm = spawnSync('pnpm', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPnpm) console.warn('packed.test.ts: skipped: pnpm is not on PATH, so the packages cannot be packed (npm test bootstraps it: run npm test)');

interface Out {
  code: number | null;
  out: string;
}
/** Runs a command to completion; out is stdout and stderr together. */
function sh(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<Out> {
  // A user's shell: none of the npm_* variables that `npm test` puts around this process (workspace config).
  const env = Object.fromEntries(Object.entries({ ...process.env, ...opts.env }).filter(([k, v]) => v !== undefined && !/^npm_/i.test(k)));
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    p.on('error', fail);
    p.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}
const ok = (what: string, r: Out) => expect(r.code, `${what} failed:\n${r.out.slice(-6000)}`).toBe(0);

const work = mkdtempSync(join(tmpdir(), 'twist-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const tarOf: Record<string, string> = {};

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!hasPnpm)('packed packages installed outside the workspace', () => {
  beforeAll(async () => {
    // The tarballs hold dist/: build what is older than its sources (a no-op after npm start / npm run build).
    ok('node scripts/bootstrap.mjs --build', await sh(process.execPath, ['scripts/bootstrap.mjs', '--build'], { cwd: ROOT, timeoutMs: 600_000 }));
    mkdirSync(tarballs);
    for (const p of PACKAGES) {
      ok(`pnpm pack in ${p}`, await sh('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(ROOT, p) }));
    }
    for (const f of readdirSync(tarballs)) tarOf[`@twist/${/^twist-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(f)![1]}`] = join(tarballs, f);
    mkdirSync(app);
    const files = Object.fromEntries(Object.entries(tarOf).map(([n, f]) => [n, `file:${f}`]));
    writeFileSync(
      join(app, 'package.json'),
      // overrides: the packages' dependencies on each other resolve to these tarballs, never to the registry.
      JSON.stringify({ name: 'twist-consumer', private: true, type: 'module', dependencies: files, overrides: files, devDependencies: { '@types/node': '20.19.43' } }, null, 2),
    );
    ok('npm install', await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app, timeoutMs: 300_000 }));
    // The consumer's own sources: an example and two strict TypeScript programs (in the project, so that every
    // import resolves to the installed packages, never to the workspace).
    mkdirSync(join(app, 'src'));
    copyFileSync(join(ROOT, 'examples', 'world-model-oscillator.mjs'), join(app, 'world-model-oscillator.mjs'));
    for (const f of ['node-consumer.ts', 'browser-consumer.ts']) copyFileSync(join(ROOT, 'examples', 'test', 'consumer', f), join(app, 'src', f));
  }, 900_000);

  it('tarballs hold the build, README, LICENSE and package.json only (no tests, no sources)', async () => {
    expect(Object.keys(tarOf).sort()).toEqual(['@twist/agent', '@twist/autograd', '@twist/cli', '@twist/distil', '@twist/envs', '@twist/kernels', '@twist/rssm']);
    for (const [name, tgz] of Object.entries(tarOf)) {
      const list = await sh('tar', ['tzf', tgz], { cwd: work });
      ok(`tar tzf ${tgz}`, list);
      const entries = list.out.split('\n').filter(Boolean);
      expect(entries, name).toContain('package/LICENSE');
      if (name !== '@twist/cli') expect(entries, name).toContain('package/README.md'); // the cli has none (the root README documents it)
      expect(entries, name).toContain('package/dist/index.js');
      expect(entries, name).toContain('package/dist/index.d.ts');
      const stray = entries.filter((e) => !/^package\/(package\.json|README\.md|LICENSE|dist\/.+|bin\/twist\.mjs)$/.test(e));
      expect(stray, `${name}: files outside dist/, README, LICENSE`).toEqual([]);
    }
  });

  it('installed package.json: license, repository, engines, keywords; workspace: ranges replaced by versions', async () => {
    const { readFileSync } = await import('node:fs');
    for (const name of Object.keys(tarOf)) {
      const pj = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'));
      expect(pj.license, name).toBe('Apache-2.0');
      expect(pj.repository?.url, name).toMatch(/^git\+https:/);
      expect(pj.engines?.node, name).toBe('>=20');
      expect(pj.keywords?.length, name).toBeGreaterThan(0);
      expect(JSON.stringify(pj.dependencies ?? {}), name).not.toMatch(/workspace:/);
    }
  });

  it('an example runs on the installed builds; without an adapter the notice gives library advice', async () => {
    const r = await sh(process.execPath, ['world-model-oscillator.mjs', '50'], { cwd: app, timeoutMs: 240_000 });
    ok('node world-model-oscillator.mjs 50', r);
    expect(r.out).toMatch(/step 50: loss [\d.-]+/);
    expect(r.out).toMatch(/15-step open-loop squared error: [\d.]+%/);
    // No Vulkan driver (an ICD file that does not exist): the CPU backend, and one notice that says what to do.
    const cpu = await sh(process.execPath, ['world-model-oscillator.mjs', '10'], { cwd: app, env: { VK_ICD_FILENAMES: join(work, 'none.json'), VK_DRIVER_FILES: join(work, 'none.json') } });
    ok('the example without an adapter', cpu);
    expect(cpu.out).toMatch(/device: cpu/);
    expect(cpu.out).toMatch(/twist: no WebGPU adapter \(.+\), using the CPU backend; to get WebGPU: install a Vulkan driver .+ or set TWIST_BACKEND=cpu/);
    expect(cpu.out).not.toMatch(/npm start/);
  }, 300_000);

  it('strict TypeScript consumers and the README programs type-check against the installed .d.ts (no skipLibCheck)', async () => {
    const src = join(app, 'src');
    const readmes: string[] = [];
    for (const p of PACKAGES) {
      let blocks;
      try {
        blocks = programBlocks(join(ROOT, p, 'README.md'));
      } catch {
        continue; // no README
      }
      for (const b of blocks.filter((b) => !b.notRun && (b.lang === 'ts' || b.lang === 'typescript'))) {
        const name = `readme-${p.replace(/\//g, '-')}-${b.line}.ts`;
        writeFileSync(join(src, name), `${b.code}export {};\n`);
        readmes.push(name);
      }
    }
    expect(readmes.length).toBeGreaterThanOrEqual(6);
    const strict = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noUncheckedIndexedAccess: false };
    // The WebGPU types (@webgpu/types, which @twist/kernels' declarations reference) use DOM types such as
    // BufferSource and ImageBitmap: TypeScript's default lib has them; a tsconfig that lists `lib` needs "DOM".
    writeFileSync(join(app, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...strict, lib: ['ES2022', 'DOM'], types: ['node'] }, include: ['src/node-consumer.ts', ...readmes.map((f) => `src/${f}`)] }));
    writeFileSync(join(app, 'tsconfig.browser.json'), JSON.stringify({ compilerOptions: { ...strict, lib: ['ES2022', 'DOM'], types: [] }, include: ['src/browser-consumer.ts'] }));
    ok('tsc -p tsconfig.node.json', await sh(process.execPath, [tsc, '-p', 'tsconfig.node.json'], { cwd: app }));
    ok('tsc -p tsconfig.browser.json', await sh(process.execPath, [tsc, '-p', 'tsconfig.browser.json'], { cwd: app }));
  }, 300_000);

  it('the installed main entries of kernels, autograd, rssm, agent, envs and distil bundle for a browser (no bundler options)', async () => {
    const { build } = await import('esbuild');
    const r = await build({
      entryPoints: [join(app, 'src', 'browser-consumer.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const js = r.outputFiles[0].text;
    expect(js).toMatch(/WorldModelTrainer|trainStep/);
    expect(js).toMatch(/fromFiles/);
    expect(js).not.toMatch(/from\s*["']node:|dawn\.node/);
    expect(js).not.toMatch(/ENVIRONMENT_IS_NODE/); // mujoco-js stays out: the page gives loadPhysics its URL
  });
});
