import { unaryGradCpu, unaryGradWgsl } from '../binary/binary-defs.js';
import unaryGradHelpers from '../binary/unary-grad-helpers.wgsl';
import ieeeSource from '../webgpu/ieee.wgsl';
import { assertDType } from '../core/dtype.js';
import { registerKernel } from '../core/registry.js';
import { fmt, sameShape } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { grid1d } from '../webgpu/grid.js';
import source from './epilogue-grad.wgsl';
import { MATMUL_ACTS, type MatmulAct } from './matmul-kernel.js';

/** The backward of matmulAct's epilogue over an [R, N] product (epilogue-grad.wgsl). */
export interface EpilogueGradParams {
  act: Exclude<MatmulAct, 'none'>;
  R: number;
  N: number;
  /** DB += the column sums instead of DB = */
  acc: boolean;
}

const TC = 64;
const TR = 4;

registerKernel({
  name: 'matmul_epilogue_grad',
  backend: 'cpu',
  run([dy, pre], [dpre, db], p: EpilogueGradParams) {
    const g = unaryGradCpu(p.act);
    const sums = new Float64Array(p.N);
    for (let r = 0; r < p.R; r++) {
      for (let c = 0; c < p.N; c++) {
        const i = r * p.N + c;
        dpre[i] = g(pre[i], dy[i], 1, 0);
        sums[c] += dpre[i];
      }
    }
    // the f32 column sums, added (in f32) to DB's values with acc, as add would
    for (let c = 0; c < p.N; c++) db[c] = p.acc ? db[c] + Math.fround(sums[c]) : sums[c];
  },
});

registerKernel({
  name: 'matmul_epilogue_grad',
  backend: 'webgpu',
  source: (p: EpilogueGradParams) => ieeeSource + unaryGradHelpers + source.replaceAll('{{EXPR}}', unaryGradWgsl(p.act)),
  variant: (p: EpilogueGradParams) => p.act,
  constants: () => ({ TC, TR }),
  uniforms: (p: EpilogueGradParams) => [
    ['u32', p.R],
    ['u32', p.N],
    ['u32', p.acc ? 1 : 0],
    ['u32', 0],
  ],
  dispatch: (p: EpilogueGradParams) => grid1d(Math.ceil(p.N / TC), 1),
});

/**
 * The gradients of matmulAct's epilogue y = act(pre), pre = A B + bias, from dy, in one dispatch:
 * dpre = dy * act'(pre) (elementwise as unaryGrad(pre, dy, act) computes it) and the bias gradient
 * dbias = sum of dpre over all rows (pre viewed as [rows, N]). With `biasInto` (an [N] tensor sharing memory
 * with neither input), dbias is added into it in place (the f32 sums added as add would) and it is returned.
 * act 'none' is not a kernel: dpre is dy, and the bias gradient is sumTo(dy, [N]).
 */
export function matmulActGrad(dy: Tensor, pre: Tensor, act: MatmulAct, biasInto: Tensor | null = null): { dpre: Tensor; dbias: Tensor } {
  const op = 'matmulActGrad';
  if (!MATMUL_ACTS.includes(act) || act === 'none') throw new Error(`${op}: act must be one of ${MATMUL_ACTS.filter((a) => a !== 'none').join(', ')}, got '${String(act)}'`);
  for (const [w, t] of [['dy', dy], ['pre', pre]] as const) {
    assertDType(op, w, 'f32', t.dtype);
    t.storage(op);
  }
  if (!sameShape(dy.shape, pre.shape)) throw new Error(`${op}: dy must have shape ${fmt(pre.shape)} (that of pre), got ${fmt(dy.shape)}`);
  if (dy.device !== pre.device) throw new Error(`${op}: dy and pre are on different devices (${dy.device.label} vs ${pre.device.label})`);
  if (pre.rank < 1) throw new Error(`${op}: pre must have rank >= 1 ([..., N]), got ${fmt(pre.shape)}`);
  const N = pre.shape[pre.rank - 1];
  const R = N === 0 ? 0 : pre.size / N;
  if (biasInto) {
    assertDType(op, 'biasInto', 'f32', biasInto.dtype);
    if (!sameShape(biasInto.shape, [N])) throw new Error(`${op}: biasInto must have shape [${N}], got ${fmt(biasInto.shape)}`);
    if (biasInto.device !== pre.device) throw new Error(`${op}: biasInto is on ${biasInto.device.label}, expected ${pre.device.label}`);
    const h = biasInto.storage(op).handle;
    if (h === dy.storage(op).handle || h === pre.storage(op).handle) throw new Error(`${op}: biasInto must not share memory with dy or pre`);
  }
  const dpre = empty(pre.device, pre.shape, 'f32');
  const dbias = biasInto ?? empty(pre.device, [N], 'f32');
  const p: EpilogueGradParams = { act, R, N, acc: !!biasInto };
  pre.device.run('matmul_epilogue_grad', [dy, pre], [dpre, dbias], p);
  return { dpre, dbias };
}
