import type { TypedArray } from '../core/dtype.js';
import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import concatManySource from './concat-many.wgsl';
import splitManySource from './split-many.wgsl';

const WG = 256;

/** Tensors one dispatch of layout_concat_many / layout_split_many binds besides the other side (8 storage bindings, WebGPU's minimum). */
export const MANY = 7;

/**
 * Part j of a many-tensor copy: a run of n words (the tensor) read as rows of c words, row r at r * row + o of
 * the other side (the concatenation, or the tensor split from).
 */
export interface ManyPart {
  n: number;
  c: number;
  o: number;
}

/** Up to MANY parts, and the other side's row length in words. */
export interface ManyParams {
  row: number;
  parts: ManyPart[];
}

const total = (p: ManyParams) => p.parts.reduce((a, q) => a + q.n, 0);

function uniforms(p: ManyParams) {
  const n = total(p);
  const starts: number[] = [];
  let s = 0;
  for (let j = 0; j < MANY; j++) {
    starts.push(j < p.parts.length ? s : n);
    if (j < p.parts.length) s += p.parts[j].n;
  }
  const field = (f: (q: ManyPart) => number) => Array.from({ length: MANY }, (_, j) => ['u32', j < p.parts.length ? f(p.parts[j]) : 0] as const);
  return [
    ['u32', n],
    ['u32', p.row],
    ['u32', 0],
    ['u32', 0],
    ...starts.map((v) => ['u32', v] as const),
    ['u32', 0],
    ...field((q) => q.c),
    ['u32', 0],
    ...field((q) => q.o),
    ['u32', 0],
  ] as const;
}

/** The same memory as 32-bit words, so f32 data (NaN payloads included) are copied bit for bit. */
const words = (a: TypedArray) => new Uint32Array(a.buffer, a.byteOffset, a.length);

const rep = (k: number, f: (j: number) => string) => Array.from({ length: k }, (_, j) => f(j)).join('\n');

registerKernel({
  name: 'layout_concat_many',
  backend: 'cpu',
  run(xs, [yt], p: ManyParams) {
    const y = words(yt);
    p.parts.forEach((q, j) => {
      const x = words(xs[j]);
      for (let e = 0; e < q.n; e++) y[Math.floor(e / q.c) * p.row + q.o + (e % q.c)] = x[e];
    });
  },
});

registerKernel({
  name: 'layout_concat_many',
  backend: 'webgpu',
  source: (p: ManyParams) => {
    const k = p.parts.length;
    return concatManySource
      .replaceAll('{{DECL}}', rep(k, (j) => `@group(0) @binding(${j}) var<storage, read> X${j}: array<u32>;`))
      .replaceAll('{{READ}}', rep(k, (j) => `    case ${j}u: { v = X${j}[e]; }`))
      .replaceAll('{{K}}', String(k))
      .replaceAll('{{K1}}', String(k + 1));
  },
  variant: (p: ManyParams) => String(p.parts.length),
  constants: () => ({ WG }),
  uniforms,
  dispatch: (p: ManyParams) => grid1d(total(p), WG),
});

registerKernel({
  name: 'layout_split_many',
  backend: 'cpu',
  run([xt], ys, p: ManyParams) {
    const x = words(xt);
    p.parts.forEach((q, j) => {
      const y = words(ys[j]);
      for (let e = 0; e < q.n; e++) y[e] = x[Math.floor(e / q.c) * p.row + q.o + (e % q.c)];
    });
  },
});

registerKernel({
  name: 'layout_split_many',
  backend: 'webgpu',
  source: (p: ManyParams) => {
    const k = p.parts.length;
    return splitManySource
      .replaceAll('{{DECL}}', rep(k, (j) => `@group(0) @binding(${j + 1}) var<storage, read_write> Y${j}: array<u32>;`))
      .replaceAll('{{WRITE}}', rep(k, (j) => `    case ${j}u: { Y${j}[e] = v; }`))
      .replaceAll('{{K}}', String(k))
      .replaceAll('{{K1}}', String(k + 1));
  },
  variant: (p: ManyParams) => String(p.parts.length),
  constants: () => ({ WG }),
  uniforms,
  dispatch: (p: ManyParams) => grid1d(total(p), WG),
});
