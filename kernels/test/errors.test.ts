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

describe('tensor creation accepts exactly the documented array types and dtypes', () => {
  it('refuses other typed arrays and unknown dtypes on both backends, naming them', async () => {
    const devs = hasGpu ? [cpu, await gpu()] : [cpu];
    for (const d of devs) {
      expect(() => tensor(d, new Float64Array([1, 2]) as never)).toThrow(/must be a Float32Array \(f32\), Int32Array \(i32\) or Uint8Array \(u8\), got Float64Array/);
      expect(() => tensor(d, new Int16Array([1, 2]) as never)).toThrow(/got Int16Array/);
      expect(() => tensor(d, new Uint8ClampedArray([1, 2]) as never)).toThrow(/got Uint8ClampedArray/);
      expect(() => tensor(d, [1, 2], [2], 'f64' as never)).toThrow(/tensor: dtype must be one of f32, i32, u8, got f64/);
      // the documented ones still work, with conversion to an explicit dtype
      expect(Array.from(await tensor(d, new Uint8Array([3, 4]), [2], 'f32').toArray())).toEqual([3, 4]);
      expect(Array.from(await tensor(d, new Int32Array([-3, 4])).toArray())).toEqual([-3, 4]);
    }
  });
});
