/**
 * The main entries of kernels, autograd, rssm, agent, envs and distil bundle for a browser, with no extra
 * bundler options: esbuild with platform 'browser' fails on any Node built-in (node:fs, worker_threads, ...)
 * reachable from them, on Dawn's `webgpu` package unless the kernels' `browser` field keeps it out, and on
 * mujoco-js's `import('module')` unless the envs' `browser` field keeps mujoco-js out (a page loads it by URL:
 * loadPhysics({ moduleUrl })). (packed.test.ts bundles the packed builds too.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from './run.js';

const wgsl: Plugin = {
  name: 'wgsl-text',
  setup(b) {
    b.onLoad({ filter: /\.wgsl$/ }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

const BROWSER_ENTRIES = ['@twist/kernels', '@twist/autograd', '@twist/rssm', '@twist/agent', '@twist/envs', '@twist/distil'];

describe('browser bundles of the main entries (from source)', () => {
  for (const pkg of BROWSER_ENTRIES) {
    it(pkg, async () => {
      const r = await build({
        stdin: { contents: `export * from '${pkg}';`, resolveDir: join(ROOT, 'examples'), loader: 'js' },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        conditions: ['source'],
        plugins: [wgsl],
        logLevel: 'silent',
      }).catch((e: { errors?: { text: string; location?: { file: string } | null }[] }) => {
        throw new Error(`${pkg} does not bundle for a browser:\n${(e.errors ?? []).map((m) => `  ${m.text} (${m.location?.file ?? '?'})`).join('\n')}`);
      });
      const js = r.outputFiles[0].text;
      expect(js).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
      expect(js).not.toMatch(/dawn\.node/);
      expect(js).not.toMatch(/ENVIRONMENT_IS_NODE/); // mujoco-js's Emscripten glue stays out
    });
  }
});

describe("@twist/envs' browser bundle gets mujoco-js from loadPhysics's source", () => {
  it('without a source it says how to give one; with moduleUrl it loads MuJoCo (here in Node, by file URL)', async () => {
    const r = await build({
      stdin: { contents: `export { loadPhysics, makeEnv } from '@twist/envs';`, resolveDir: join(ROOT, 'examples'), loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      conditions: ['source'],
      plugins: [wgsl],
      logLevel: 'silent',
    });
    const load = async () => (await import(`data:text/javascript;base64,${Buffer.from(r.outputFiles[0].text).toString('base64')}`)) as typeof import('@twist/envs');
    const a = await load();
    await expect(a.loadPhysics()).rejects.toThrow(/mujoco-js is not in this bundle .*loadPhysics\(\{ moduleUrl \}\)/);
    // a failed load is not cached: the same bundle then loads from the URL (mujoco-js's module, as a page serves it)
    const mujoco = createRequire(join(ROOT, 'packages', 'envs', 'package.json')).resolve('mujoco-js');
    await a.loadPhysics({ moduleUrl: pathToFileURL(mujoco) });
    const env = await a.makeEnv('cartpole-balance');
    expect(env.reset(1).state).toHaveLength(5);
    env.close();
  });
});
