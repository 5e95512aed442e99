import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import source from './unary.wgsl';
import { unaryCpu, unaryWgsl, type UnaryOp } from './unary-defs.js';

export interface UnaryParams {
  op: UnaryOp;
  n: number;
  p0: number;
  p1: number;
}

const WG = 256;

registerKernel({
  name: 'unary',
  backend: 'cpu',
  run([x], [y], p: UnaryParams) {
    const f = unaryCpu(p.op);
    for (let i = 0; i < p.n; i++) y[i] = f(x[i], p.p0, p.p1);
  },
});

registerKernel({
  name: 'unary',
  backend: 'webgpu',
  source: (p: UnaryParams) => ieeeSource + source.replaceAll('{{EXPR}}', unaryWgsl(p.op)),
  variant: (p: UnaryParams) => p.op,
  constants: () => ({ WG }),
  uniforms: (p: UnaryParams) => [
    ['u32', p.n],
    ['f32', p.p0],
    ['f32', p.p1],
    ['u32', 0],
  ],
  dispatch: (p: UnaryParams) => grid1d(p.n, WG),
});
