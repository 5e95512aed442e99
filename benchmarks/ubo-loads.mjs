#!/usr/bin/env node
// The cost of a lane-varying vec4 load inside a loop on llvmpipe, read from a storage buffer against the same data
// bound as a uniform buffer (64 KiB): 8 lanes x 4096 k x 16 multiply-adds per load, raw Dawn, a diagnostic for the
// kernels README (What llvmpipe makes of a load). `node benchmarks/ubo-loads.mjs`.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
const src = (ybind) => `
@group(0) @binding(0) var<storage, read> X: array<f32>;
${ybind}
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
struct U { K: u32, a: u32, b: u32, c: u32 }
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  let x0 = X[lid.x]; let x1 = X[lid.x + 8u]; let x2 = X[lid.x + 16u]; let x3 = X[lid.x + 24u];
  for (var k = 0u; k < u.K; k++) {
    let y = Y[(k * 8u + lid.x + wid.x) & 4095u];
    a0 = fma(vec4(x0), y, a0); a1 = fma(vec4(x1), y, a1); a2 = fma(vec4(x2), y, a2); a3 = fma(vec4(x3), y, a3);
  }
  C[wid.x * 8u + lid.x] = dot(a0 + a1 + a2 + a3, vec4(1.0));
}`;
const S = GPUBufferUsage.STORAGE;
const mk = (n, u) => device.createBuffer({ size: n, usage: u });
const pb = mk(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
device.queue.writeBuffer(pb, 0, new Uint32Array([4096, 0, 0, 0]));
const x = mk(65536, S), c = mk(65536 * 4, S);
for (const [name, ybind, usage] of [['ssbo', '@group(0) @binding(1) var<storage, read> Y: array<vec4<f32>>;', S], ['ubo', '@group(0) @binding(1) var<uniform> Y: array<vec4<f32>, 4096>;', GPUBufferUsage.UNIFORM]]) {
  const m = device.createShaderModule({ code: src(ybind) });
  const p = device.createComputePipeline({ layout: 'auto', compute: { module: m, entryPoint: 'main' } });
  const y = mk(65536, usage);
  const bg = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: x } }, { binding: 1, resource: { buffer: y } }, { binding: 2, resource: { buffer: c } }, { binding: 3, resource: { buffer: pb } }] });
  const run = async (n) => { const enc = device.createCommandEncoder(); const pass = enc.beginComputePass(); pass.setPipeline(p); pass.setBindGroup(0, bg); for (let i = 0; i < n; i++) pass.dispatchWorkgroups(256); pass.end(); device.queue.submit([enc.finish()]); await device.queue.onSubmittedWorkDone(); };
  await run(1);
  const ts = [];
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); await run(4); ts.push((performance.now() - t0) / 4); }
  ts.sort((a, b) => a - b);
  const flops = 256 * 8 * 4096 * 4 * 4 * 2;
  console.log(`${name}: ${ts[2].toFixed(2)} ms per dispatch, ${(flops / ts[2] / 1e6).toFixed(2)} GFLOP/s`);
}
process.exit(0);
