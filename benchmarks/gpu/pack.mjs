#!/usr/bin/env node
// Packs what `node benchmarks/run.mjs` needs on a GPU machine that has no network and none of our ignored
// build outputs: the Node binary, the BUILT @twist packages and the peers' packages, as one flat
// benchmarks/node_modules of real files (pnpm's symlinks dereferenced), linux-x64 only, into one tar.xz.
// Unpacked in the repository root it gives benchmarks/.gpu-bundle/node/node and benchmarks/node_modules.
// onnxruntime-node is left out by default (its 46 MB library alone would not fit a 64 MiB transfer): the ORT
// peers then report "unavailable". Usage: node benchmarks/gpu/pack.mjs <out.tar.xz> [--with-ort]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = resolve(process.argv[2] ?? join(root, 'benchmarks', '.gpu-bundle', 'bundle.tar.xz'));
const withOrt = process.argv.includes('--with-ort');
const stage = mkdtempSync(join(tmpdir(), 'twist-gpu-'));
const nm = join(stage, 'benchmarks', 'node_modules');

// Files no run needs, matched on "<package name>/<path in the package>": source maps, type declarations, tests,
// other platforms' binaries, TypeScript sources and browser bundles of tfjs.
const SKIP = [
  /\.map$/, /\.d\.ts$/, /_test\.js$/, /\/(test|tests|__tests__|docs|examples)\//,
  /^webgpu\/dist\/(?!linux-x64)/, /^webgpu\/(build|third_party)\//,
  /^onnxruntime-node\/bin\/napi-v\d+\/(?!linux\/x64)/,
  /^@tensorflow\/tfjs-[a-z-]+\/src\//,
  /^@tensorflow\/tfjs-[a-z-]+\/dist\/(tf-[a-z-]+\.(min\.js|js|esm\.js|fesm\.js|fesm\.min\.js|es2017\.js|es2017\.min\.js))$/,
  /^@tensorflow\/tfjs-[a-z-]+\/dist\/miniprogram\//, /^gpu\.js\/dist\//,
];
const keep = (/** @type {string} */ name, /** @type {string} */ dir, /** @type {string} */ src) => {
  const rel = `${name}/${relative(dir, src).replaceAll('\\', '/')}`;
  return !SKIP.some((re) => re.test(rel));
};

/** Node's lookup: the nearest node_modules/<name> above `from` (pnpm's layout puts a package's deps beside it). */
function findPkg(/** @type {string} */ from, /** @type {string} */ name) {
  for (let d = from; ; d = dirname(d)) {
    const c = join(d, 'node_modules', name);
    if (existsSync(join(c, 'package.json'))) return realpathSync(c);
    if (dirname(d) === d) return null;
  }
}

/** @type {Map<string, string>} name -> version copied */
const copied = new Map();
function copyPkg(/** @type {string} */ name, /** @type {string} */ dir) {
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (copied.has(name)) {
    if (copied.get(name) !== pj.version) console.error(`pack: ${name}@${pj.version} wanted too; keeping ${copied.get(name)}`);
    return;
  }
  copied.set(name, pj.version);
  cpSync(dir, join(nm, name), { recursive: true, dereference: true, filter: (src) => keep(name, dir, src) });
  // Optional dependencies are left out: the one here is gpu.js' headless-gl (a native build we do not use).
  for (const dep of Object.keys(pj.dependencies ?? {})) {
    if (dep.startsWith('@types/') || dep === '@webgpu/types' || copied.has(dep)) continue;
    const d = findPkg(dir, dep);
    if (d) copyPkg(dep, d);
    else console.error(`pack: ${name} needs ${dep}, not found (skipped)`);
  }
}

// Our packages: package.json + dist (tests import sources; the benchmarks run the builds).
for (const [name, dir] of [['@twist/kernels', 'kernels'], ['@twist/autograd', 'packages/autograd'], ['@twist/rssm', 'packages/rssm']]) {
  const src = join(root, dir);
  if (!existsSync(join(src, 'dist', 'index.js'))) throw new Error(`pack: ${dir}/dist is missing: run node scripts/bootstrap.mjs --build first`);
  mkdirSync(join(nm, name), { recursive: true });
  cpSync(join(src, 'package.json'), join(nm, name, 'package.json'));
  cpSync(join(src, 'dist'), join(nm, name, 'dist'), { recursive: true, filter: (s) => !s.endsWith('.map') });
  copied.set(name, 'workspace');
}
const bench = JSON.parse(readFileSync(join(root, 'benchmarks', 'package.json'), 'utf8'));
for (const dep of Object.keys(bench.dependencies)) {
  if (dep.startsWith('@twist/')) continue;
  if (dep === 'onnxruntime-node' && !withOrt) continue;
  const d = findPkg(join(root, 'benchmarks'), dep);
  if (!d) throw new Error(`pack: ${dep} is not installed (run pnpm install)`);
  copyPkg(dep, d);
}
// The Node binary that runs everything (the GPU machine may have none, or an older one).
mkdirSync(join(stage, 'benchmarks', '.gpu-bundle', 'node'), { recursive: true });
cpSync(process.execPath, join(stage, 'benchmarks', '.gpu-bundle', 'node', 'node'));

mkdirSync(dirname(out), { recursive: true });
const tar = spawnSync('tar', ['-C', stage, '-cJf', out, 'benchmarks'], { stdio: 'inherit', env: { ...process.env, XZ_OPT: '-6 -T0' } });
rmSync(stage, { recursive: true, force: true });
if (tar.status !== 0) throw new Error(`pack: tar failed (${tar.status})`);
console.log(`pack: ${basename(out)} ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB: node ${process.version}, ${[...copied].map(([n, v]) => `${n}@${v}`).join(', ')}`);
