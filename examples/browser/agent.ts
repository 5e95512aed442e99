/**
 * The deployed-agent page: loads the deployed TWIST agent committed in ./agent/ (the student's image encoder and
 * RSSM posterior, the teacher's actor: whatever checkpoint.json there names) and runs it on cartpole-balance in
 * a held-out visual domain, acting from the rendered camera images alone; the camera view, the step and the
 * running return are drawn live. navigator.gpu where the browser has an adapter, else the CPU backend (said on
 * the page). URL parameters: steps (control steps of the episode, default the task's 1000), seed (default 0).
 * Built by build.mjs (esbuild); examples/test/browser-agent.test.ts runs it in headless Chromium and reads
 * #result (data-status, data-backend, data-return, data-steps, data-agent-steps, data-actions: the first 20).
 */
import { createDevice } from '@twist/kernels';
import { loadPhysics } from '@twist/envs';
import { DeployedAgent } from '@twist/distil';
import { runEpisode, type StepView } from './episode.js';

const $ = (id: string) => document.getElementById(id)!;
const result = $('result');
const params = new URLSearchParams(location.search);
const STEPS = params.has('steps') ? Number(params.get('steps')) : undefined;
const SEED = Number(params.get('seed') ?? 0);
const TASK = 'cartpole-balance';
const REPORTED_ACTIONS = 20;

async function adapterProblem(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  const adapter = await gpu.requestAdapter();
  return adapter ? null : 'navigator.gpu offered no adapter';
}

/** Fetches ./agent/checkpoint.json, then the weights file it names (so a newer checkpoint needs no code change). */
async function fetchAgentFiles(base: URL): Promise<{ checkpoint: string; weights: ArrayBuffer; name: string }> {
  const get = async (url: URL) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`fetch ${url}: HTTP ${r.status}`);
    return r;
  };
  const checkpoint = await (await get(new URL('checkpoint.json', base))).text();
  const file = (JSON.parse(checkpoint) as { weights?: { file?: string } }).weights?.file;
  if (typeof file !== 'string') throw new Error(`${base}checkpoint.json names no weights file`);
  return { checkpoint, weights: await (await get(new URL(file, base))).arrayBuffer(), name: String(base) };
}

/** Draws the RGB camera image on the canvas, scaled up with square pixels. */
function draw(canvas: HTMLCanvasElement, v: StepView): void {
  const ctx = canvas.getContext('2d')!;
  const rgba = new ImageData(v.size, v.size);
  for (let p = 0; p < v.size * v.size; p++) {
    rgba.data.set(v.image.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba.data[4 * p + 3] = 255;
  }
  const small = new OffscreenCanvas(v.size, v.size);
  small.getContext('2d')!.putImageData(rgba, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

async function main(): Promise<void> {
  const problem = await adapterProblem();
  const device = await createDevice({ backend: problem ? 'cpu' : 'webgpu' });
  const label = device.backend === 'webgpu' ? `WebGPU (${device.label})` : 'CPU (TypeScript reference kernels)';
  $('backend').textContent = label;
  result.dataset.backend = device.backend;
  if (problem) {
    $('notice').hidden = false;
    $('notice').textContent = `No WebGPU adapter: ${problem}. Running the agent and the renderer on the CPU backend instead (slower, same results).`;
  }
  // mujoco-js is not in the bundle (see @twist/envs' README): build.mjs copies its module next to main.js.
  await loadPhysics({ moduleUrl: new URL('./dist/mujoco_wasm.js', location.href) });
  const agent = DeployedAgent.fromFiles(device, await fetchAgentFiles(new URL('./agent/', location.href)));
  const src = agent.meta.source ?? {};
  $('agent').textContent = `${agent.meta.task}, ${agent.imageSize}x${agent.imageSize} camera, ${src.updates ?? '?'} distillation updates`;
  const canvas = $('camera') as HTMLCanvasElement;
  const t0 = performance.now();
  const r = await runEpisode(device, agent, { task: TASK, seed: SEED, episodeLength: STEPS }, async (v) => {
    draw(canvas, v);
    $('step').textContent = `${v.controlStep} control steps (${v.step} actions), action ${v.action[0].toFixed(3)}`;
    $('return').textContent = v.ret.toFixed(1);
    await new Promise((done) => setTimeout(done, 0)); // let the page repaint: live
  });
  const seconds = (performance.now() - t0) / 1000;
  agent.dispose();
  device.destroy();
  Object.assign(result.dataset, {
    return: String(r.ret),
    steps: String(r.controlSteps),
    agentSteps: String(r.agentSteps),
    actions: JSON.stringify(r.actions.slice(0, REPORTED_ACTIONS)),
    seconds: seconds.toFixed(2),
    status: 'done',
  });
  result.textContent = `return ${r.ret.toFixed(1)} over ${r.controlSteps} control steps (${r.agentSteps} actions, ${seconds.toFixed(1)} s on ${label})`;
}

main().catch((e: Error) => {
  result.dataset.status = 'error';
  result.textContent = `error: ${e.message}`;
  $('log').textContent += (e.stack ?? String(e)) + '\n';
});
