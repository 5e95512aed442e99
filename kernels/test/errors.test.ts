import { describe, expect, it } from 'vitest';
import { createDevice, empty, registerKernel, tensor, unary } from '../src/index.js';
import { cpu, gpu, hasGpu } from './harness.js';

describe.runIf(hasGpu)('WebGPU errors name the kernel', () => {
  it('a WGSL compile error names the kernel (compile and at the next readback)', async () => {
    registerKernel({
      name: 'test_broken_shader',
      backend: 'webgpu',
      source: '@group(0) @binding(0) var<storage, read_write> Y: array<f32>;\n@compute @workgroup_size(1) fn main() { Y[0] = undefined_thing; }',
      dispatch: () => [1],
    });
    const g = await gpu();
    await expect(g.compile('test_broken_shader', {}, 0, 1)).rejects.toThrow(/kernel 'test_broken_shader': WGSL does not compile: .*undefined_thing/);
    const y = empty(g, [1]);
    g.run('test_broken_shader', [], [y], {});
    await expect(y.toArray()).rejects.toThrow(/test_broken_shader/);
  });

  it('a tensor past the adapter binding limit is rejected with both sizes', async () => {
    const g = await gpu();
    const max = g.limits().maxBufferBytes;
    expect(() => empty(g, [max / 4 + 1])).toThrow(new RegExp(`a tensor of ${max + 4} bytes exceeds this adapter's maxStorageBufferBindingSize of ${max} bytes`));
  });

  it('ops refuse tensors from two devices', async () => {
    const g = await gpu();
    const { add } = await import('../src/index.js');
    expect(() => add(tensor(g, [1]), tensor(cpu, [1]))).toThrow(/add: inputs must be on one device/);
  });
});

describe('device selection', () => {
  it('TWIST_BACKEND must be a known value', async () => {
    const old = process.env.TWIST_BACKEND;
    process.env.TWIST_BACKEND = 'metal';
    try {
      await expect(createDevice()).rejects.toThrow(/TWIST_BACKEND must be one of cpu, webgpu, auto; got 'metal'/);
    } finally {
      if (old === undefined) delete process.env.TWIST_BACKEND;
      else process.env.TWIST_BACKEND = old;
    }
  });

  it('backend cpu gives the reference device', async () => {
    const d = await createDevice({ backend: 'cpu' });
    expect(d.backend).toBe('cpu');
    expect(await unary(tensor(d, [0]), 'exp').toArray()).toEqual(new Float32Array([1]));
  });
});
