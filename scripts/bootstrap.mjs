#!/usr/bin/env node
// Idempotent bootstrap for `npm start` and `npm test` on a fresh Debian/Ubuntu machine with only Node >= 20:
//   1. pnpm 12 (npm i -g) if missing;
//   2. the workspace's packages (pnpm install --frozen-lockfile);
//   3. a Vulkan driver for Dawn when no WebGPU adapter is found: as root on Debian 12 Mesa 25 from
//      bookworm-backports (Debian's own Mesa 22 lavapipe is too old for Dawn), elsewhere mesa-vulkan-drivers;
//      not root: a notice, and the CPU backend is used;
//   4. with --browser, Debian's chromium package (for the browser example's test), when missing and we are root;
//   4b. with --bench-peers (`pnpm bench`, `pnpm bench:rssm` only; never npm test or the gate): the PyTorch CPU
//      peer, Debian's python3-torch, and OpenBLAS unpacked into benchmarks/peers/.openblas/ (git-ignored) so
//      torch can use it through LD_LIBRARY_PATH without changing the system's BLAS;
//   5. with --build, the packages' dist/ (tsup).
// Each step is skipped when already done, so running it again costs about a second.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

// 4b. with --bench-peers: the PyTorch peer of `pnpm bench:rssm` (benchmarks/peers/). Debian's python3-torch links
// the reference BLAS (~40x slower for a matmul than OpenBLAS); OpenBLAS is unpacked next to the peer, not
// installed, so the system's BLAS stays as it is (see ../shared/SETUP-NOTES.md, "PyTorch on the CPU").
// benchmarks/src/peers/torch.mjs finds both; when either is missing the torch case is skipped with a notice.
function installBenchPeers() {
  const py = '/usr/bin/python3';
  const hasTorch = () => existsSync(py) && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  const blasDir = join(root, 'benchmarks', 'peers', '.openblas');
  const blasLib = join(blasDir, 'usr', 'lib', 'x86_64-linux-gnu', 'openblas-pthread');
  if (hasTorch() && existsSync(blasLib)) return;
  if (!(isRoot && has('apt-get') && process.arch === 'x64')) {
    log('no PyTorch benchmark peer (needs root, apt and x86-64): the rssm suite will skip the torch case');
    return;
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (!hasTorch()) {
    log('installing the PyTorch benchmark peer (apt-get install python3-torch)');
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', 'python3-torch'], { env });
  }
  if (!existsSync(blasLib)) {
    log(`unpacking OpenBLAS for the PyTorch peer into ${blasDir} (apt-get download libopenblas0-pthread; dpkg -x)`);
    mkdirSync(blasDir, { recursive: true });
    run('apt-get', ['download', 'libopenblas0-pthread'], { cwd: blasDir, env });
    const deb = readdirSync(blasDir).find((f) => /^libopenblas0-pthread.*\.deb$/.test(f));
    if (!deb) throw new Error(`bootstrap: apt-get download libopenblas0-pthread left no .deb in ${blasDir}`);
    run('dpkg', ['-x', join(blasDir, deb), blasDir]);
    rmSync(join(blasDir, deb));
  }
}
if (process.argv.includes('--bench-peers')) {
  try {
    installBenchPeers();
  } catch (e) {
    // A benchmark peer must not stop the benchmark: its case is skipped with the reason instead.
    log(`the PyTorch benchmark peer could not be installed (${e.message}): the rssm suite will skip the torch case`);
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
