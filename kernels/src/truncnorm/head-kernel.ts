import { registerKernel } from '../core/registry.js';
import type { TypedArray } from '../core/dtype.js';
import { grid1d } from '../webgpu/grid.js';
import headSource from './truncnorm-head.wgsl';
import entropyGradSource from './truncnorm-head-entropy-grad.wgsl';
import entropySource from './truncnorm-head-entropy.wgsl';
import sampleGradSource from './truncnorm-head-sample-grad.wgsl';
import sampleSource from './truncnorm-head-sample.wgsl';
import mathSource from './truncnorm-math.wgsl';
import * as S from './special.js';
import ieeeSource from '../webgpu/ieee.wgsl';

/**
 * The truncnorm kernels with the actor head fused in (truncnorm-head.wgsl): mean = tanh(m), std = span *
 * sigmoid(s / 2) + minStd from OUT [rows, 2A] = [m | s]; gradients go to OUT's two halves.
 */
export interface HeadParams {
  /** elements rows * A (sample, grads) or rows (entropy) */
  n: number;
  A: number;
  lo: number;
  hi: number;
  clip: number;
  minStd: number;
  /** maxStd - minStd, in double (the unfused affine's scale) */
  span: number;
  /** grads: add into DOUT's values */
  acc: boolean;
}

const WG = 64;
const f = Math.fround;
const withMath = (src: string) => ieeeSource + src.replace('{{TRUNCNORM_MATH}}', mathSource.replace('{{TRUNCNORM_CONSTANTS}}', S.TRUNCNORM_CONSTANTS_WGSL) + '\n' + headSource);
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

// CPU: the unfused ops' f32 results step by step (tanh; scale 0.5; sigmoid; affine span, minStd), and their
// gradients in unary_grad's order.
const headMean = (m: number) => f(Math.tanh(m));
const headStd = (s: number, p: HeadParams) => f(p.span * f(sigmoid(f(0.5 * s + 0))) + p.minStd);
const headDm = (m: number, d: number) => f(d * (1 - Math.tanh(m) ** 2));
const headDs = (s: number, d: number, p: HeadParams) => {
  const x = f(0.5 * s + 0);
  return f(f(f(d * p.span) * sigmoid(x) * (1 - sigmoid(x))) * 0.5);
};
const hm = (i: number, A: number) => Math.floor(i / A) * 2 * A + (i % A);
const store = (y: TypedArray, k: number, v: number, acc: boolean) => (y[k] = acc ? y[k] + v : v);
const uniforms = (p: HeadParams) =>
  [
    ['u32', p.n],
    ['u32', p.A],
    ['f32', p.lo],
    ['f32', p.hi],
    ['f32', p.clip],
    ['f32', p.minStd],
    ['f32', p.span],
    ['u32', p.acc ? 1 : 0],
  ] as const;

registerKernel({
  name: 'truncnorm_head_sample',
  backend: 'cpu',
  run([u, out], [x], p: HeadParams) {
    const [lo, hi] = [f(p.lo), f(p.hi)];
    const [xlo, xhi] = [f(lo + f(p.clip)), f(hi - f(p.clip))];
    for (let i = 0; i < p.n; i++) {
      const k = hm(i, p.A);
      const [m, s] = [headMean(out[k]), headStd(out[k + p.A], p)];
      const [a, b] = S.standardise(lo, hi, m, s);
      x[i] = S.clampF(f(m + f(s * S.sampleXi(a, b, u[i]))), xlo, xhi);
    }
  },
});

registerKernel({
  name: 'truncnorm_head_sample_grad',
  backend: 'cpu',
  run([dy, u, out], [dout], p: HeadParams) {
    const [lo, hi] = [f(p.lo), f(p.hi)];
    for (let i = 0; i < p.n; i++) {
      const k = hm(i, p.A);
      const [m, s] = [headMean(out[k]), headStd(out[k + p.A], p)];
      const [a, b] = S.standardise(lo, hi, m, s);
      const [jm, js] = S.sampleJacobian(a, b, u[i]);
      store(dout, k, headDm(out[k], f(dy[i] * jm)), p.acc);
      store(dout, k + p.A, headDs(out[k + p.A], f(dy[i] * js), p), p.acc);
    }
  },
});

registerKernel({
  name: 'truncnorm_head_entropy',
  backend: 'cpu',
  run([out], [h], p: HeadParams) {
    const [lo, hi] = [f(p.lo), f(p.hi)];
    for (let r = 0; r < p.n; r++) {
      let acc = 0;
      for (let c = 0; c < p.A; c++) {
        const k = r * 2 * p.A + c;
        acc = f(acc + S.entropyElem(headMean(out[k]), headStd(out[k + p.A], p), lo, hi)[0]);
      }
      h[r] = acc;
    }
  },
});

registerKernel({
  name: 'truncnorm_head_entropy_grad',
  backend: 'cpu',
  run([dh, out], [dout], p: HeadParams) {
    const [lo, hi] = [f(p.lo), f(p.hi)];
    for (let i = 0; i < p.n; i++) {
      const k = hm(i, p.A);
      const [, gm, gs] = S.entropyElem(headMean(out[k]), headStd(out[k + p.A], p), lo, hi);
      const dy = dh[Math.floor(i / p.A)];
      store(dout, k, headDm(out[k], f(dy * gm)), p.acc);
      store(dout, k + p.A, headDs(out[k + p.A], f(dy * gs), p), p.acc);
    }
  },
});

for (const [name, src] of [
  ['truncnorm_head_sample', sampleSource],
  ['truncnorm_head_sample_grad', sampleGradSource],
  ['truncnorm_head_entropy', entropySource],
  ['truncnorm_head_entropy_grad', entropyGradSource],
] as const) {
  registerKernel({
    name,
    backend: 'webgpu',
    source: withMath(src),
    constants: () => ({ WG }),
    uniforms,
    dispatch: (p: HeadParams) => grid1d(p.n, WG),
  });
}
