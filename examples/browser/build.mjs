#!/usr/bin/env node
// Bundles examples/browser/main.ts into dist/main.js with esbuild for browsers:  node examples/browser/build.mjs
// then serve examples/browser/ over HTTP (WebGPU needs a secure context: http://localhost is one) and open index.html.
// In this workspace it bundles the packages' TypeScript sources (the `source` condition; WGSL files as text), so
// no build of the packages is needed; a project that installed the packages bundles their dist/ the same way.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export async function bundle() {
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(here, 'dist', 'main.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['source'],
    loader: { '.wgsl': 'text' },
    sourcemap: true,
    logLevel: 'warning',
  });
  return join(here, 'dist', 'main.js');
}
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(`wrote ${await bundle()}`);
