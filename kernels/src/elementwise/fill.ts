import { registerKernel, type Device } from '../core/registry.js';
import { empty, type Tensor } from '../core/tensor.js';
import type { Shape } from '../core/shape.js';
import { grid1d } from '../webgpu/grid.js';
import source from './fill.wgsl';

interface FillParams {
  n: number;
  value: number;
}
const WG = 256;

registerKernel({
  name: 'fill',
  backend: 'cpu',
  run(_in, [y], p: FillParams) {
    y.fill(p.value, 0, p.n);
  },
});

registerKernel({
  name: 'fill',
  backend: 'webgpu',
  source,
  constants: () => ({ WG }),
  uniforms: (p: FillParams) => [
    ['u32', p.n],
    ['f32', p.value],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: FillParams) => grid1d(p.n, WG),
});

/** An f32 tensor filled with `value`. */
export function full(device: Device, shape: Shape, value: number): Tensor {
  const t = empty(device, shape, 'f32');
  device.run('fill', [], [t], { n: t.size, value });
  return t;
}

export const zeros = (device: Device, shape: Shape) => full(device, shape, 0);
export const ones = (device: Device, shape: Shape) => full(device, shape, 1);
