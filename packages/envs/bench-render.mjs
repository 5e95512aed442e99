#!/usr/bin/env node
// Renderer throughput: frames per second for a batch of scenes on WebGPU (one dispatch + one readback per
// batch, including packing and upload) and on the CPU reference.
//
//   node packages/envs/bench-render.mjs [--batch 16] [--size 64] [--seconds 3] [--backends webgpu,cpu]
//
// Scenes: the demo scene (floor + one geom of each type, shadows on) under train-split visual DR, a new
// domain per frame. Runs the TypeScript sources (scripts/register.mjs: tsx + .wgsl as text).
import { cpus, loadavg } from 'node:os';
import './scripts/register.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const batch = Number(opt('batch', '16'));
const size = Number(opt('size', '64'));
const seconds = Number(opt('seconds', '3'));
const backends = opt('backends', 'webgpu,cpu').split(',');

const envs = await import(new URL('./src/index.ts', import.meta.url).href);
const { createGpuDevice } = await import('@twist/kernels');

const rng = envs.createRng(1);
const batches = Array.from({ length: 8 }, (_, b) =>
  Array.from({ length: batch }, (_, i) => envs.applyVisualDomain(envs.demoScene(0.1 * (b * batch + i)), envs.sampleVisualDomain(rng, 'train'))),
);
const sz = { width: size, height: size };

async function measure(label, renderBatch) {
  const t0 = performance.now();
  await renderBatch(batches[0]); // warm-up: pipeline compile, pools
  const warm = performance.now() - t0;
  let frames = 0;
  let k = 0;
  const c0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await renderBatch(batches[k++ % batches.length]);
    frames += batch;
  }
  const s = (performance.now() - start) / 1000;
  const cu = process.cpuUsage(c0);
  const cpuMs = (cu.user + cu.system) / 1000;
  console.log(
    `${label.padEnd(34)} ${(frames / s).toFixed(1).padStart(8)} frames/s  ${((1000 * s * batch) / frames).toFixed(1).padStart(7)} ms/batch` +
      `  ${((cpuMs * batch) / frames).toFixed(1).padStart(7)} CPU-ms/batch  (warm-up ${warm.toFixed(0)} ms)`,
  );
}

console.log(`batch ${batch}, ${size}x${size}, ${seconds} s per backend; ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
if (backends.includes('webgpu')) {
  const dev = await createGpuDevice();
  if (!dev) console.log('webgpu: no adapter, skipped');
  else {
    const render = envs.createRenderer(dev, sz);
    await measure(`webgpu (${dev.label.replace(/^webgpu: /, '').split(/[:(]/)[0].trim()})`, render);
    dev.destroy();
  }
}
if (backends.includes('cpu')) await measure('cpu reference (renderScenesCpu)', async (scenes) => envs.renderScenesCpu(scenes, sz));
