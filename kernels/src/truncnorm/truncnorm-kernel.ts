import { registerKernel } from '../core/registry.js';
import { grid1d } from '../webgpu/grid.js';
import entropyGradSource from './truncnorm-entropy-grad.wgsl';
import entropySource from './truncnorm-entropy.wgsl';
import logProbGradSource from './truncnorm-logprob-grad.wgsl';
import logProbSource from './truncnorm-logprob.wgsl';
import mathSource from './truncnorm-math.wgsl';
import sampleGradSource from './truncnorm-sample-grad.wgsl';
import sampleSource from './truncnorm-sample.wgsl';
import specialSource from './truncnorm-special.wgsl';
import * as S from './special.js';
import ieeeSource from '../webgpu/ieee.wgsl';

/** Threads per workgroup (one element or one row per thread). */
const WG = 64;
const f = Math.fround;

export interface SampleParams {
  n: number;
  lo: number;
  hi: number;
  clip: number;
}

export interface ElemParams {
  /** Elements (the grads) or rows (logprob, entropy). */
  n: number;
  /** The last axis (independent dimensions summed over). */
  A: number;
  lo: number;
  hi: number;
}

/** The special functions of the 'truncnorm_special' kernel; the number is the shader's FN override. */
export const SPECIAL_FNS = { erf: 0, erfc: 1, erfcx: 2, ndtr: 3, logNdtr: 4, ndtri: 5, ndtriLog: 6 } as const;
export type SpecialFn = keyof typeof SPECIAL_FNS;

export interface SpecialParams {
  n: number;
  fn: SpecialFn;
}

const CPU_SPECIAL: Record<SpecialFn, (x: number) => number> = {
  erf: S.erf,
  erfc: S.erfc,
  erfcx: S.erfcxPos,
  ndtr: S.ndtr,
  logNdtr: S.logNdtr,
  ndtri: S.ndtri,
  ndtriLog: S.ndtriLog,
};

/** A shader with the shared math (and its constants) spliced in. */
const withMath = (src: string) => ieeeSource + src.replace('{{TRUNCNORM_MATH}}', mathSource.replace('{{TRUNCNORM_CONSTANTS}}', S.TRUNCNORM_CONSTANTS_WGSL));

const elemUniforms = (p: ElemParams) =>
  [
    ['u32', p.n],
    ['u32', p.A],
    ['f32', p.lo],
    ['f32', p.hi],
  ] as const;

// ---- truncnorm_sample / truncnorm_sample_grad ------------------------------------------------------------------

registerKernel({
  name: 'truncnorm_sample',
  backend: 'cpu',
  run([u, m, s], [x], p: SampleParams) {
    const lo = f(p.lo);
    const hi = f(p.hi);
    const xlo = f(lo + f(p.clip));
    const xhi = f(hi - f(p.clip));
    for (let i = 0; i < p.n; i++) {
      const [a, b] = S.standardise(lo, hi, m[i], s[i]);
      x[i] = S.clampF(f(m[i] + f(s[i] * S.sampleXi(a, b, u[i]))), xlo, xhi);
    }
  },
});

registerKernel({
  name: 'truncnorm_sample',
  backend: 'webgpu',
  source: withMath(sampleSource),
  constants: () => ({ WG }),
  uniforms: (p: SampleParams) => [
    ['u32', p.n],
    ['f32', p.lo],
    ['f32', p.hi],
    ['f32', p.clip],
  ],
  dispatch: (p: SampleParams) => grid1d(p.n, WG),
});

registerKernel({
  name: 'truncnorm_sample_grad',
  backend: 'cpu',
  run([dy, u, m, s], [dm, ds], p: SampleParams) {
    const lo = f(p.lo);
    const hi = f(p.hi);
    for (let i = 0; i < p.n; i++) {
      const [a, b] = S.standardise(lo, hi, m[i], s[i]);
      const [jm, js] = S.sampleJacobian(a, b, u[i]);
      dm[i] = dy[i] * jm;
      ds[i] = dy[i] * js;
    }
  },
});

registerKernel({
  name: 'truncnorm_sample_grad',
  backend: 'webgpu',
  source: withMath(sampleGradSource),
  constants: () => ({ WG }),
  uniforms: (p: SampleParams) => [
    ['u32', p.n],
    ['f32', p.lo],
    ['f32', p.hi],
    ['u32', 0],
  ],
  dispatch: (p: SampleParams) => grid1d(p.n, WG),
});

// ---- truncnorm_logprob / truncnorm_logprob_grad ----------------------------------------------------------------

registerKernel({
  name: 'truncnorm_logprob',
  backend: 'cpu',
  run([x, m, s], [lp], p: ElemParams) {
    const lo = f(p.lo);
    const hi = f(p.hi);
    for (let r = 0; r < p.n; r++) {
      let acc = 0;
      for (let c = 0; c < p.A; c++) {
        const i = r * p.A + c;
        acc = f(acc + S.logProbElem(x[i], m[i], s[i], lo, hi)[0]);
      }
      lp[r] = acc;
    }
  },
});

registerKernel({
  name: 'truncnorm_logprob',
  backend: 'webgpu',
  source: withMath(logProbSource),
  constants: () => ({ WG }),
  uniforms: elemUniforms,
  dispatch: (p: ElemParams) => grid1d(p.n, WG),
});

registerKernel({
  name: 'truncnorm_logprob_grad',
  backend: 'cpu',
  run([dlp, x, m, s], [dm, ds], p: ElemParams) {
    const lo = f(p.lo);
    const hi = f(p.hi);
    for (let i = 0; i < p.n; i++) {
      const dy = dlp[Math.floor(i / p.A)];
      const [, gm, gs] = S.logProbElem(x[i], m[i], s[i], lo, hi);
      dm[i] = dy * gm;
      ds[i] = dy * gs;
    }
  },
});

registerKernel({
  name: 'truncnorm_logprob_grad',
  backend: 'webgpu',
  source: withMath(logProbGradSource),
  constants: () => ({ WG }),
  uniforms: elemUniforms,
  dispatch: (p: ElemParams) => grid1d(p.n, WG),
});

// ---- truncnorm_entropy / truncnorm_entropy_grad ----------------------------------------------------------------

registerKernel({
  name: 'truncnorm_entropy',
  backend: 'cpu',
  run([m, s], [h], p: ElemParams) {
    const lo = f(p.lo);
    const hi = f(p.hi);
    for (let r = 0; r < p.n; r++) {
      let acc = 0;
      for (let c = 0; c < p.A; c++) acc = f(acc + S.entropyElem(m[r * p.A + c], s[r * p.A + c], lo, hi)[0]);
      h[r] = acc;
    }
  },
});

registerKernel({
  name: 'truncnorm_entropy',
  backend: 'webgpu',
  source: withMath(entropySource),
  constants: () => ({ WG }),
  uniforms: elemUniforms,
  dispatch: (p: ElemParams) => grid1d(p.n, WG),
});

registerKernel({
  name: 'truncnorm_entropy_grad',
  backend: 'cpu',
  run([dh, m, s], [dm, ds], p: ElemParams) {
    const lo = f(p.lo);
    const hi = f(p.hi);
    for (let i = 0; i < p.n; i++) {
      const dy = dh[Math.floor(i / p.A)];
      const [, gm, gs] = S.entropyElem(m[i], s[i], lo, hi);
      dm[i] = dy * gm;
      ds[i] = dy * gs;
    }
  },
});

registerKernel({
  name: 'truncnorm_entropy_grad',
  backend: 'webgpu',
  source: withMath(entropyGradSource),
  constants: () => ({ WG }),
  uniforms: elemUniforms,
  dispatch: (p: ElemParams) => grid1d(p.n, WG),
});

// ---- truncnorm_special -------------------------------------------------------------------------------------------

registerKernel({
  name: 'truncnorm_special',
  backend: 'cpu',
  run([x], [y], p: SpecialParams) {
    const fn = CPU_SPECIAL[p.fn];
    for (let i = 0; i < p.n; i++) y[i] = fn(x[i]);
  },
});

registerKernel({
  name: 'truncnorm_special',
  backend: 'webgpu',
  source: withMath(specialSource),
  constants: (p: SpecialParams) => ({ WG, FN: SPECIAL_FNS[p.fn] }),
  uniforms: (p: SpecialParams) => [
    ['u32', p.n],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: SpecialParams) => grid1d(p.n, WG),
});
