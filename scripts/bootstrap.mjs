#!/usr/bin/env node
// Idempotent bootstrap for `npm start` and `npm test` on a fresh Debian/Ubuntu machine with only Node >= 20:
//   1. pnpm 12 (npm i -g) if missing;
//   2. the workspace's packages (pnpm install --frozen-lockfile);
//   3. a Vulkan driver for Dawn when no WebGPU adapter is found: as root on Debian 12 Mesa 25 from
//      bookworm-backports (Debian's own Mesa 22 lavapipe is too old for Dawn), elsewhere mesa-vulkan-drivers;
//      not root: a notice, and the CPU backend is used;
//   4. with --browser, Debian's chromium package (for the browser example's test), when missing and we are root;
//   5. with --build, the packages' dist/ (tsup).
// Each step is skipped when already done, so running it again costs about a second.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = process.argv.includes('--build');
const log = (msg) => console.error(`bootstrap: ${msg}`);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts, env: { ...process.env, ...opts.env } });
  if (r.status !== 0) throw new Error(`bootstrap: \`${cmd} ${args.join(' ')}\` failed with exit code ${r.status}`);
}
function has(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) throw new Error(`bootstrap: Node >= 20 is required, this is ${process.versions.node}`);

// 1. pnpm
if (!has('pnpm')) {
  log('installing pnpm 12 (npm i -g pnpm@12)');
  run('npm', ['i', '-g', 'pnpm@12']);
}

// 2. workspace install (skipped when the lockfile has not changed since the last install)
const stamp = join(root, 'node_modules', '.twist-install-stamp');
const lock = readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lock) {
  log('pnpm install');
  run('pnpm', ['install', '--frozen-lockfile'], { env: { ONNXRUNTIME_NODE_INSTALL: 'skip', CI: process.env.CI ?? '' } });
  writeFileSync(stamp, lock);
}

// 3. WebGPU adapter (Vulkan driver)
function adapterName() {
  const probe = `
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const a = await gpu.requestAdapter();
    console.log(a ? (a.info.description || a.info.vendor || 'adapter') : '');
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: join(root, 'kernels'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return (r.stdout ?? '').trim();
}
let adapter = process.env.TWIST_BACKEND === 'cpu' ? 'skipped (TWIST_BACKEND=cpu)' : adapterName();
if (!adapter) {
  if (isRoot && has('apt-get')) {
    const os = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
    const bookworm = /VERSION_CODENAME=bookworm/.test(os);
    log(`no WebGPU adapter: installing Mesa's software Vulkan driver (lavapipe)${bookworm ? ' from bookworm-backports' : ''}`);
    if (bookworm) {
      writeFileSync(
        '/etc/apt/sources.list.d/twist-backports.sources',
        'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\n' +
          'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
      );
    }
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...(bookworm ? ['-t', 'bookworm-backports'] : []), 'mesa-vulkan-drivers'], {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
    adapter = adapterName();
  }
  if (!adapter) log('no WebGPU adapter found (not root, or no apt): the CPU backend will be used');
}
if (adapter) log(`WebGPU adapter: ${adapter}`);

// 3b. with --browser (npm test): Chromium for the browser example's test (examples/test/browser-page.test.ts),
// Debian's package, never a test tool's browser download. Root with apt only; otherwise that test says it skipped.
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (process.argv.includes('--browser') && !chromium) {
  if (isRoot && has('apt-get')) {
    log('installing Chromium (apt-get install chromium) for the browser example test');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    log('no Chromium (not root, or no apt): the browser example test will be skipped');
  }
}

// 5. build (only what is older than its sources)
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
if (build) {
  const pkgs = ['kernels', ...readdirSync(join(root, 'packages')).map((p) => join('packages', p))];
  for (const p of pkgs) {
    const dir = join(root, p);
    if (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'src'))) continue;
    const dist = join(dir, 'dist', 'index.js');
    if (existsSync(dist) && statSync(dist).mtimeMs >= newest(join(dir, 'src'))) continue;
    log(`building ${p}`);
    run('pnpm', ['--filter', `./${p}`, 'run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
