#!/usr/bin/env node
// Bundles the pages' scripts with esbuild for browsers:  node examples/browser/build.mjs
//   main.ts  -> dist/main.js   (index.html: a world model trained in the page)
//   agent.ts -> dist/agent.js  (agent.html: the deployed agent of ./agent/ on a held-out visual domain)
// and copies mujoco-js's module (the MuJoCo wasm inlined) to dist/mujoco_wasm.js, which agent.js imports by URL
// (@twist/envs leaves mujoco-js out of browser bundles: loadPhysics({ moduleUrl })). Then serve
// examples/browser/ over HTTP (WebGPU needs a secure context: http://localhost is one) and open a page.
// In this workspace it bundles the packages' TypeScript sources (the `source` condition; WGSL files as text), so
// no build of the packages is needed; a project that installed the packages bundles their dist/ the same way.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** mujoco-js as @twist/envs resolves it (the examples do not depend on it themselves). */
const mujocoModule = () => createRequire(join(here, '..', 'node_modules', '@twist', 'envs', 'package.json')).resolve('mujoco-js');

export async function bundle() {
  const dist = join(here, 'dist');
  await build({
    entryPoints: { main: join(here, 'main.ts'), agent: join(here, 'agent.ts') },
    outdir: dist,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['source'],
    loader: { '.wgsl': 'text' },
    sourcemap: true,
    logLevel: 'warning',
  });
  mkdirSync(dist, { recursive: true });
  copyFileSync(mujocoModule(), join(dist, 'mujoco_wasm.js'));
  return join(dist, 'main.js');
}
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle();
  console.log(`wrote ${join(here, 'dist')}/main.js, agent.js and mujoco_wasm.js`);
}
