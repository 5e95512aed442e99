// The PyTorch CPU peer of the world-model cases: benchmarks/peers/torch_world_model.py in a child Python process,
// driven one JSON line per command (setup, step, quit), so that its steps interleave with ours in one case. It
// runs with OMP_WAIT_POLICY=PASSIVE (with spin-waiting OpenMP threads and a busy neighbour, a 2-thread step
// swung 25x) and 2 threads, on OpenBLAS through LD_LIBRARY_PATH (Debian's python3-torch links the reference
// BLAS, ~40x slower; node scripts/bootstrap.mjs --bench-peers unpacks OpenBLAS into benchmarks/peers/.openblas/).
// See ../shared/SETUP-NOTES.md, "PyTorch on the CPU, as a benchmark peer".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const peers = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'peers');
const SCRIPT = join(peers, 'torch_world_model.py');
const OPENBLAS = process.env.TWIST_OPENBLAS_DIR ?? join(peers, '.openblas', 'usr', 'lib', 'x86_64-linux-gnu', 'openblas-pthread');
const INSTALL = 'node scripts/bootstrap.mjs --bench-peers';

/** @type {{ python: string } | { reason: string } | null} */
let found = null;

/**
 * A Python that imports torch: $TWIST_PYTHON (only it, when set), else Debian's /usr/bin/python3 (where python3-torch installs; a
 * pyenv or venv python3 first on PATH would not see it), else python3 on PATH. Looked up once per process.
 * @returns {{ python: string } | { reason: string }}
 */
export function findTorch() {
  if (found) return found;
  const all = process.env.TWIST_PYTHON ? [process.env.TWIST_PYTHON] : ['/usr/bin/python3', 'python3'];
  const candidates = all.filter((p) => !p.includes('/') || existsSync(p));
  const tried = all.filter((p) => !candidates.includes(p)).map((p) => `${p}: not found`);
  for (const python of /** @type {string[]} */ (candidates)) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (found = { python });
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`);
  }
  return (found = { reason: `no Python with torch (${tried.join('; ')}); install it with \`${INSTALL}\`` });
}

/** The environment of the child: passive OpenMP, 2 threads, OpenBLAS first on the library path when unpacked. */
function childEnv(/** @type {number} */ threads) {
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = [OPENBLAS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}

/**
 * The reference BLAS (Debian's libblas.so.3 from /usr/lib/<arch>/blas/) makes torch's matmuls ~40x slower than
 * OpenBLAS: a ratio against it would say nothing about ours.
 */
export const isReferenceBlas = (/** @type {string} */ mapped) => /\/blas\/libblas\.so/.test(mapped) && !/openblas|mkl|blis/i.test(mapped);

/** A short name of the BLAS the child mapped: "OpenBLAS (libopenblasp-r0.3.21.so)", or torch's BLAS_INFO. */
export function blasName(/** @type {{ blas?: string, blasInfo?: string }} */ info) {
  const libs = (info.blas ?? '').split(', ').filter(Boolean);
  const open = libs.find((l) => /openblas/i.test(/** @type {string} */ (l.split('/').pop())));
  if (open) return `OpenBLAS (${open.split('/').pop()})`;
  if (isReferenceBlas(info.blas ?? '')) return `reference BLAS (${libs[0]})`;
  return `BLAS_INFO=${info.blasInfo ?? 'unknown'}${libs.length ? ` (${libs.map((l) => l.split('/').pop()).join(', ')})` : ''}`;
}

/**
 * A child Python running the torch world model, one command at a time.
 * @param {string} python
 * @param {number} threads
 */
function startChild(python, threads) {
  const child = spawn(python, [SCRIPT], { env: childEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
  /** @type {{ resolve: (v: any) => void, reject: (e: Error) => void }[]} */
  const waiting = [];
  let buf = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (!w) continue;
      try {
        const msg = JSON.parse(line);
        if (msg.ok) w.resolve(msg);
        else w.reject(new Error(`torch peer: ${msg.error}`));
      } catch {
        w.reject(new Error(`torch peer: unreadable reply ${JSON.stringify(line.slice(0, 200))}`));
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
  const fail = (/** @type {string} */ why) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`torch peer: ${why}${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}`));
  };
  child.on('exit', (code, signal) => fail(`python exited (${signal ?? code})`));
  child.on('error', (e) => fail(e.message));
  /** @param {Record<string, unknown>} msg @returns {Promise<any>} */
  const send = (msg) =>
    new Promise((resolve, reject) => {
      if (child.exitCode != null) return reject(new Error(`torch peer: python has exited (${child.exitCode})`));
      waiting.push({ resolve, reject });
      child.stdin.write(JSON.stringify(msg) + '\n');
    });
  const close = async () => {
    if (child.exitCode != null) return;
    child.stdin.write(JSON.stringify({ cmd: 'quit' }) + '\n');
    child.stdin.end();
    await new Promise((res) => {
      const t = setTimeout(() => (child.kill(), res(null)), 5000);
      child.on('exit', () => (clearTimeout(t), res(null)));
    });
  };
  return { send, close };
}

/**
 * A child Python with the torch world model (torch_world_model.py), for other drivers than the benchmark
 * (peers/check-torch.mjs). Throws with the reason when no Python with torch is found.
 * @param {number} [threads]
 */
export function torchChild(threads = 2) {
  const t = findTorch();
  if ('reason' in t) throw new Error(t.reason);
  return startChild(t.python, threads);
}

/**
 * The torch peer of a WorldModelTrainer step as a benchmark implementation. Setup checks that the torch model
 * has `expect.params` parameters and `expect.flops` FLOP per step (its own count, from hooks on what runs) and
 * that torch does not run on the reference BLAS; any of these failing makes the peer unavailable, with the reason.
 * `info` after timing: the child's own seconds per step, its BLAS, threads and a 256^3 matmul's GFLOP/s.
 * @param {{ cfg: any, B: number, T: number, expect: { params: number, flops: number }, threads?: number }} o
 * @returns {import('../case.mjs').Impl}
 */
export function torchWorldModelImpl(o) {
  const threads = o.threads ?? Number(process.env.TWIST_TORCH_THREADS ?? 2);
  return {
    device: 'cpu',
    note: `PyTorch CPU, ${threads} threads, OMP_WAIT_POLICY=PASSIVE (benchmarks/peers/torch_world_model.py)`,
    setup: async () => {
      const t = findTorch();
      if ('reason' in t) throw new Error(t.reason);
      const child = startChild(t.python, threads);
      /** @type {any} */
      let info;
      try {
        info = await child.send({ cmd: 'setup', cfg: o.cfg, B: o.B, T: o.T, threads });
        if (isReferenceBlas(info.blas)) throw new Error(`torch runs on the reference BLAS (${info.blas}): unpack OpenBLAS with \`${INSTALL}\``);
        if (info.params !== o.expect.params) throw new Error(`parameter counts differ: ours ${o.expect.params}, torch ${info.params}`);
        if (Math.abs(info.flops / o.expect.flops - 1) > 1e-9) throw new Error(`model FLOPs differ: ours (analytic) ${o.expect.flops}, torch (counted) ${info.flops}`);
      } catch (e) {
        await child.close();
        throw e;
      }
      /** @type {number[]} */
      const own = [];
      return {
        run: async () => own.push((await child.send({ cmd: 'step' })).s),
        sync: async () => {},
        info: () => ({
          params: info.params,
          flops: info.flops,
          torch: info.torch,
          threads: info.threads,
          blas: blasName(info),
          matmul256GFlops: Math.round(info.matmul256GFlops * 10) / 10,
          childMsPerStep: own.length ? (1000 * [...own].sort((a, b) => a - b)[Math.floor(own.length / 2)]) : null,
        }),
        dispose: () => child.close(),
      };
    },
  };
}
