import type { UnaryOp } from '../elementwise/unary-defs.js';
import { registerKernel, type UniformField } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import { BINARY, unaryGradCpu, unaryGradWgsl, type BinaryOp } from './binary-defs.js';
import { broadcastFields, forEachOffset, type Broadcast } from './broadcast.js';
import binarySource from './binary.wgsl';
import whereSource from './where.wgsl';
import unaryGradHelpers from './unary-grad-helpers.wgsl';
import unaryGradSource from './unary-grad.wgsl';

const WG = 256;

export interface BinaryParams {
  op: BinaryOp;
  bc: Broadcast;
}

export interface WhereParams {
  bc: Broadcast;
}

export interface UnaryGradParams {
  op: UnaryOp;
  n: number;
  p0: number;
  p1: number;
}

const u32 = (v: number): UniformField => ['u32', v];

registerKernel({
  name: 'binary',
  backend: 'cpu',
  run([a, b], [y], p: BinaryParams) {
    const f = BINARY[p.op].cpu;
    const bc = p.bc;
    if (bc.dims.length === 1) {
      const [sa, sb] = [bc.strides[0][0], bc.strides[1][0]];
      for (let i = 0; i < bc.n; i++) y[i] = f(a[i * sa], b[i * sb]);
      return;
    }
    forEachOffset(bc, (i, [ia, ib]) => {
      y[i] = f(a[ia], b[ib]);
    });
  },
});

registerKernel({
  name: 'binary',
  backend: 'webgpu',
  source: (p: BinaryParams) => ieeeSource + binarySource.replaceAll('{{EXPR}}', BINARY[p.op].wgsl),
  variant: (p: BinaryParams) => p.op,
  constants: () => ({ WG }),
  uniforms: (p: BinaryParams) => {
    const f = broadcastFields(p.bc);
    return [
      u32(p.bc.n),
      u32(f.rank),
      u32(f.outer[0]),
      u32(f.outer[1]),
      ...f.inner.map(u32),
      ...f.innerStrides[0].map(u32),
      ...f.innerStrides[1].map(u32),
      u32(0),
    ];
  },
  dispatch: (p: BinaryParams) => grid1d(p.bc.n, WG),
});

registerKernel({
  name: 'where',
  backend: 'cpu',
  run([k, a, b], [y], p: WhereParams) {
    forEachOffset(p.bc, (i, [ik, ia, ib]) => {
      y[i] = k[ik] !== 0 ? a[ia] : b[ib];
    });
  },
});

registerKernel({
  name: 'where',
  backend: 'webgpu',
  source: whereSource,
  constants: () => ({ WG }),
  uniforms: (p: WhereParams) => {
    const f = broadcastFields(p.bc);
    return [
      u32(p.bc.n),
      u32(f.rank),
      ...f.outer.map(u32),
      ...f.inner.map(u32),
      ...f.innerStrides[0].map(u32),
      ...f.innerStrides[1].map(u32),
      ...f.innerStrides[2].map(u32),
      u32(0),
      u32(0),
      u32(0),
    ];
  },
  dispatch: (p: WhereParams) => grid1d(p.bc.n, WG),
});

registerKernel({
  name: 'unary_grad',
  backend: 'cpu',
  run([x, dy], [dx], p: UnaryGradParams) {
    const g = unaryGradCpu(p.op);
    for (let i = 0; i < p.n; i++) dx[i] = g(x[i], dy[i], p.p0, p.p1);
  },
});

registerKernel({
  name: 'unary_grad',
  backend: 'webgpu',
  source: (p: UnaryGradParams) => ieeeSource + unaryGradHelpers + unaryGradSource.replaceAll('{{EXPR}}', unaryGradWgsl(p.op)),
  variant: (p: UnaryGradParams) => p.op,
  constants: () => ({ WG }),
  uniforms: (p: UnaryGradParams) => [u32(p.n), ['f32', p.p0], ['f32', p.p1], u32(0)],
  dispatch: (p: UnaryGradParams) => grid1d(p.n, WG),
});
