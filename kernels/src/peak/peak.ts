import { registerKernel, type Device } from '../core/registry.js';
import { empty, type Tensor } from '../core/tensor.js';
import { grid1d } from '../webgpu/grid.js';
import copySource from './copy.wgsl';
import fmaSource from './fma.wgsl';

/**
 * Device-peak probes for the benchmarks: each figure of ours is shown as a fraction of what the device can do.
 * Both have CPU references so the WGSL is tested like every other kernel.
 */
interface FmaParams {
  n: number;
  iters: number;
}
const WG = 256;

/** f32 rounding of the same fma chain the shader runs (fma rounds once; this is exact enough for the test). */
function fmaChain(i: number, iters: number): number {
  const f = Math.fround;
  const s = f((i % 7) * 0.001);
  const m = [0.9999, 0.9998, 0.9997, 0.9996].map(f);
  const c = [0.0001, 0.0002, 0.0003, 0.0004].map(f);
  let total = 0;
  const lanes = [0, 0, 0, 0];
  for (let r = 0; r < 8; r++) {
    for (let l = 0; l < 4; l++) {
      let a = f(s + f(r * 0.1));
      for (let k = 0; k < iters; k++) a = f(a * m[l] + c[l]);
      lanes[l] = f(lanes[l] + a);
    }
  }
  total = f(f(f(lanes[0] + lanes[1]) + lanes[2]) + lanes[3]);
  return total;
}

registerKernel({
  name: 'peak_fma',
  backend: 'cpu',
  run(_in, [y], p: FmaParams) {
    for (let i = 0; i < p.n; i++) y[i] = fmaChain(i, p.iters);
  },
});
registerKernel({
  name: 'peak_fma',
  backend: 'webgpu',
  source: fmaSource,
  constants: () => ({ WG }),
  uniforms: (p: FmaParams) => [['u32', p.n], ['u32', p.iters], ['u32', 0], ['u32', 0]],
  dispatch: (p: FmaParams) => grid1d(p.n, WG),
});

registerKernel({
  name: 'peak_copy',
  backend: 'cpu',
  run([x], [y], p: { n4: number }) {
    y.set(x.subarray(0, p.n4 * 4) as any);
  },
});
registerKernel({
  name: 'peak_copy',
  backend: 'webgpu',
  source: copySource,
  constants: () => ({ WG }),
  uniforms: (p: { n4: number }) => [['u32', p.n4], ['u32', 0], ['u32', 0], ['u32', 0]],
  dispatch: (p: { n4: number }) => grid1d(p.n4, WG),
});

/** Runs the FMA probe over n invocations x iters rounds; FLOPs = n * iters * 64. */
export function peakFma(device: Device, n: number, iters: number): Tensor {
  if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(iters) || iters <= 0) {
    throw new Error(`peakFma: n and iters must be positive integers, got n=${n}, iters=${iters}`);
  }
  const y = empty(device, [n], 'f32');
  device.run('peak_fma', [], [y], { n, iters });
  return y;
}

/** Copies x (f32, size a multiple of 4) with vec4 loads and stores; bytes moved = 2 * 4 * x.size. */
export function peakCopy(x: Tensor): Tensor {
  if (x.dtype !== 'f32' || x.size % 4 !== 0) throw new Error(`peakCopy: x must be f32 with a size that is a multiple of 4, got ${x.dtype} of ${x.size}`);
  const y = empty(x.device, x.shape, 'f32');
  x.device.run('peak_copy', [x], [y], { n4: x.size / 4 });
  return y;
}
