import { CpuDevice, tensor, type Device } from '@twist/kernels';
import { grad } from './grad.js';
import { mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { constant, noGrad, variable, type Var } from './var.js';

export interface GradcheckInput {
  data: Float32Array;
  shape: readonly number[];
}

export interface GradcheckOptions {
  /** Finite-difference step (central differences: error O(h^2) + f32 rounding / h). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random projection r: the checked scalar is sum(f(x) * r). */
  seed?: number;
  device?: Device;
}

export interface GradcheckResult {
  maxAbsErr: number;
  maxRelErr: number;
  checked: number;
}

function projection(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    r[i] = (s / 2 ** 32) * 2 - 1;
  }
  return r;
}

/**
 * Compares the analytic gradient of sum(f(x) * r) (r a fixed random projection, so the whole Jacobian is
 * exercised) with central finite differences, element by element, on the CPU backend. The scalar is summed in
 * float64 from f's f32 output, so only f's own f32 rounding limits the precision. Throws naming the input, the
 * element, both values and the tolerance when they differ.
 */
export async function gradcheck(f: (...xs: Var[]) => Var, inputs: readonly GradcheckInput[], opts: GradcheckOptions = {}): Promise<GradcheckResult> {
  const dev = opts.device ?? new CpuDevice();
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rtol = opts.rtol ?? 2e-2;
  const vars = inputs.map((x) => variable(tensor(dev, x.data.slice(), x.shape)));
  const out = f(...vars);
  const r = projection(out.size, opts.seed ?? 1);
  const loss = sum(mul(out, constant(tensor(dev, r, out.shape))));
  const analytic = await Promise.all(grad(loss, vars).map((g) => g.toArray()));

  const evalAt = async (which: number, data: Float32Array): Promise<number> => {
    const y = noGrad(() => f(...inputs.map((x, i) => constant(tensor(dev, i === which ? data : x.data, x.shape)))));
    const v = await y.toArray();
    let acc = 0;
    for (let i = 0; i < v.length; i++) acc += v[i] * r[i];
    return acc;
  };

  let maxAbsErr = 0;
  let maxRelErr = 0;
  let checked = 0;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i].data.slice();
    for (let j = 0; j < x.length; j++) {
      const x0 = x[j];
      x[j] = x0 + eps;
      const fp = await evalAt(i, x);
      x[j] = x0 - eps;
      const fm = await evalAt(i, x);
      x[j] = x0;
      const num = (fp - fm) / (2 * eps);
      const ana = analytic[i][j];
      const err = Math.abs(num - ana);
      maxAbsErr = Math.max(maxAbsErr, err);
      maxRelErr = Math.max(maxRelErr, err / Math.max(1e-12, Math.abs(num)));
      checked++;
      if (!(err <= atol + rtol * Math.abs(num))) {
        throw new Error(`gradcheck: input ${i} element ${j}: analytic ${ana}, numeric ${num} (|diff| ${err} > atol ${atol} + rtol ${rtol} * |numeric|)`);
      }
    }
  }
  return { maxAbsErr, maxRelErr, checked };
}
