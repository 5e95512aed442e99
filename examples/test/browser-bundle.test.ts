/**
 * The main entries of kernels, autograd, rssm and agent bundle for a browser: esbuild with platform 'browser'
 * fails on any Node built-in (node:fs, worker_threads, ...) reachable from them, and on Dawn's `webgpu`
 * package unless the kernels' `browser` field keeps it out. (packed.test.ts bundles the packed builds too.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from './run.js';

const wgsl: Plugin = {
  name: 'wgsl-text',
  setup(b) {
    b.onLoad({ filter: /\.wgsl$/ }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

const BROWSER_ENTRIES = ['@twist/kernels', '@twist/autograd', '@twist/rssm', '@twist/agent'];

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
    });
  }
});
