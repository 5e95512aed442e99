import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import source from './unary.wgsl';
import { UNARY, type UnaryOp } from './unary-defs.js';

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
    const f = UNARY[p.op].cpu;
    for (let i = 0; i < p.n; i++) y[i] = f(x[i], p.p0, p.p1);
  },
});

registerKernel({
  name: 'unary',
  backend: 'webgpu',
  source: (p: UnaryParams) => source.replaceAll('{{EXPR}}', UNARY[p.op].wgsl),
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
