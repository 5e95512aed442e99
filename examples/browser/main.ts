/**
 * The browser example: builds a state world model on navigator.gpu (the CPU backend when the browser offers no
 * WebGPU adapter, said on the page), trains it a few steps on a noisy oscillator and shows the loss.
 * Built by build.mjs (esbuild); examples/test/browser-page.test.ts runs it in headless Chromium.
 * The result is also left on #result (data-status, data-backend, data-losses) for the test to read.
 */
import { createDevice, tensor, type Device } from '@twist/kernels';
import { WorldModel, WorldModelTrainer, makeConfig, readMetrics, disposeMetrics, type Batch } from '@twist/rssm';

const $ = (id: string) => document.getElementById(id)!;
const result = $('result');
const log = (line: string) => ($('log').textContent += line + '\n');
const STEPS = Number(new URLSearchParams(location.search).get('steps') ?? 20);

/** Why there is no adapter, asked the way createDevice asks (it falls back to the CPU backend silently otherwise). */
async function adapterProblem(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  const adapter = await gpu.requestAdapter();
  return adapter ? null : 'navigator.gpu offered no adapter';
}

// s' = 0.97 R(0.3) s + 0.3 a + noise, observed as [x, y, x^2 - y^2, 2xy]; reward -|s|^2 (as examples/world-model-oscillator.mjs).
let seed = 1;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
function batch(device: Device, B: number, T: number): Batch {
  const obs = new Float32Array(B * T * 4);
  const act = new Float32Array(B * T * 2);
  const rew = new Float32Array(B * T);
  const first = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let [x, y] = [gauss(), gauss()];
    first[b * T] = 1;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (t > 0) {
        const a = [Math.tanh(gauss()), Math.tanh(gauss())];
        act.set(a, 2 * i);
        [x, y] = [0.97 * (Math.cos(0.3) * x - Math.sin(0.3) * y) + 0.3 * a[0] + 0.02 * gauss(), 0.97 * (Math.sin(0.3) * x + Math.cos(0.3) * y) + 0.3 * a[1] + 0.02 * gauss()];
      }
      obs.set([x, y, x * x - y * y, 2 * x * y], 4 * i);
      rew[i] = -(x * x + y * y);
    }
  }
  return { obs: tensor(device, obs, [B, T, 4]), actions: tensor(device, act, [B, T, 2]), rewards: tensor(device, rew, [B, T]), isFirst: tensor(device, first, [B, T]) };
}

async function main(): Promise<void> {
  const problem = await adapterProblem();
  const device = await createDevice({ backend: problem ? 'cpu' : 'webgpu' });
  const label = device.backend === 'webgpu' ? `WebGPU (${device.label})` : 'CPU (TypeScript reference kernels)';
  $('backend').textContent = label;
  result.dataset.backend = device.backend;
  if (problem) {
    $('notice').hidden = false;
    $('notice').textContent = `No WebGPU adapter: ${problem}. Training on the CPU backend instead (slower, same results).`;
  }
  const model = new WorldModel(device, makeConfig('debug', { stateSize: 4, actionSize: 2, rssm: { deter: 64, hidden: 64, stoch: 8, classes: 8 }, mlpLayers: [64, 64], opt: { lr: 2e-3 }, kl: { free: 0.1 } }));
  const trainer = new WorldModelTrainer(model);
  const losses: number[] = [];
  const t0 = performance.now();
  for (let step = 1; step <= STEPS; step++) {
    const b = batch(device, 8, 24);
    const { metrics } = await trainer.trainStep(b);
    const m = await readMetrics(metrics);
    disposeMetrics(metrics);
    for (const t of Object.values(b)) t.dispose();
    losses.push(m.loss);
    log(`step ${step}: loss ${m.loss.toFixed(3)}  recon ${m.reconLoss.toFixed(3)}  reward ${m.rewardLoss.toFixed(3)}  KL ${m.meanKL.toFixed(3)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  log(`${STEPS} steps in ${seconds.toFixed(1)} s on ${label}`);
  trainer.dispose();
  device.destroy();
  result.dataset.losses = JSON.stringify(losses);
  result.dataset.status = 'done';
  result.textContent = `loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`;
}

main().catch((e: Error) => {
  result.dataset.status = 'error';
  result.textContent = `error: ${e.message}`;
  log(e.stack ?? String(e));
});
