#!/usr/bin/env node
// Where a world-model training step's GPU time goes, kernel by kernel: GPU timestamps around every dispatch of
// WorldModelTrainer steps (GpuDevice.startProfile), after warm-up steps that compile the pipelines. A profile,
// not a benchmark: each dispatch gets its own compute pass, so the total is a little above a real step's
// (`node benchmarks/run.mjs rssm` measures those), and on software Vulkan the two CPU cores also run the
// JavaScript that records the step.
//   node benchmarks/profile.mjs [--preset quick|paper] [--modality state|image] [--steps 3] [--by-grid] [--top 30] [--md FILE]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as K from '@twist/kernels';
import * as R from '@twist/rssm';
import { randomData } from './src/ours.mjs';

const { values: o } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    modality: { type: 'string', default: 'state' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    'by-grid': { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
    md: { type: 'string' },
  },
});
const fail = (/** @type {string} */ m) => (console.error(`profile.mjs: ${m}`), process.exit(2));
if (!['quick', 'paper'].includes(o.preset)) fail(`--preset must be quick or paper, got '${o.preset}'`);
if (!['state', 'image'].includes(o.modality)) fail(`--modality must be state or image, got '${o.modality}'`);
const int = (/** @type {string} */ name, min = 1) => {
  const v = Number(o[name]);
  if (!(Number.isInteger(v) && v >= min)) fail(`--${name} must be an integer >= ${min}, got '${o[name]}'`);
  return v;
};
const [steps, warmup, top] = [int('steps'), int('warmup', 0), int('top')];

const device = await K.createDevice({ backend: 'webgpu' });
if (!(device instanceof K.GpuDevice)) fail('needs a WebGPU device');
const gd = /** @type {K.GpuDevice} */ (device);
const B = 16, T = 50;
const cfg = R.makeConfig(/** @type {'quick'|'paper'} */ (o.preset), { modality: /** @type {'state'|'image'} */ (o.modality) });
const wm = new R.WorldModel(device, cfg);
const trainer = new R.WorldModelTrainer(wm);
const isFirst = new Float32Array(B * T);
for (let b = 0; b < B; b++) isFirst[b * T] = 1;
const obs =
  cfg.modality === 'state'
    ? K.tensor(device, randomData(B * T * cfg.stateSize, 5), [B, T, cfg.stateSize])
    : K.tensor(device, Uint8Array.from(randomData(B * T * cfg.imageSize ** 2 * cfg.imageChannels, 5), (v) => Math.floor((v + 1) * 127.5)), [B, T, cfg.imageSize, cfg.imageSize, cfg.imageChannels], 'u8');
const batch = {
  obs,
  actions: K.tensor(device, randomData(B * T * cfg.actionSize, 6), [B, T, cfg.actionSize]),
  rewards: K.tensor(device, randomData(B * T, 7), [B, T]),
  isFirst: K.tensor(device, isFirst, [B, T]),
  isFirstHost: isFirst,
};
const step = async () => R.disposeMetrics((await trainer.trainStep(batch)).metrics);
for (let i = 0; i < warmup; i++) await step();
await device.sync();
const wall0 = performance.now();
let recordMs = 0;
gd.startProfile({ byGrid: o['by-grid'] });
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const out = trainer.record(batch);
  recordMs += performance.now() - t0;
  R.disposeMetrics(out.metrics);
  await device.throttle(1);
}
const rows = await gd.stopProfile();
const wallMs = (performance.now() - wall0) / steps;
const gpuMs = rows.reduce((s, r) => s + r.ms, 0) / steps;
const dispatches = rows.reduce((s, r) => s + r.dispatches, 0) / steps;

const title = `WorldModelTrainer step, ${o.preset} ${o.modality} B${B} T${T} (${device.label}), ${steps} profiled steps after ${warmup} warm-up`;
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {}
const lines = [
  `# ${title}`,
  '',
  `Taken ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${commit}, ${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}: \`node benchmarks/profile.mjs ${process.argv.slice(2).join(' ')}\`.`,
  '',
  `Per step: ${gpuMs.toFixed(1)} ms of GPU time in ${dispatches} dispatches; wall ${wallMs.toFixed(1)} ms with profiling on (a pass per dispatch); JS recording ${(recordMs / steps).toFixed(1)} ms.`,
  '',
  '| kernel | dispatches/step | GPU ms/step | share | us/dispatch |',
  '|---|---|---|---|---|',
  ...rows.slice(0, top).map((r) => `| ${r.name} | ${r.dispatches / steps} | ${(r.ms / steps).toFixed(2)} | ${(100 * r.share).toFixed(1)}% | ${((1000 * r.ms) / r.dispatches).toFixed(0)} |`),
];
if (rows.length > top) {
  const rest = rows.slice(top);
  lines.push(`| (${rest.length} more) | ${rest.reduce((s, r) => s + r.dispatches, 0) / steps} | ${(rest.reduce((s, r) => s + r.ms, 0) / steps).toFixed(2)} | ${(100 * rest.reduce((s, r) => s + r.share, 0)).toFixed(1)}% | |`);
}
console.log(lines.join('\n'));
if (o.md) writeFileSync(o.md, lines.join('\n') + '\n');
for (const [k, t] of Object.entries(batch)) if (k !== 'isFirstHost') /** @type {any} */ (t).dispose();
trainer.dispose();
wm.dispose();
device.destroy();
