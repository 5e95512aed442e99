import * as A from '@twist/autograd';
import * as K from '@twist/kernels';
import { SplitMix } from '../rng.js';

/**
 * DrQ's `utils.weight_init` on a module: every Linear weight orthogonal (gain 1), every conv weight orthogonal
 * over (fan-in x out channels) with ReLU's gain sqrt(2), biases zero; LayerNorm gains stay 1. Computed on the
 * host in float64 from a SplitMix stream keyed by (seed, parameter name), so every backend starts from the same
 * weights. Call before an optimiser takes the parameters.
 *
 * Orthogonal (PyTorch `orthogonal_`): a Gaussian matrix of the weight's 2-D shape, Gram-Schmidt on its longer
 * side's vectors, so its columns (rows when it is wide) are orthonormal.
 */
export function orthogonalInit(module: A.Module, seed: number): void {
  for (const [name, p] of module.namedParameters()) {
    const shape = p.shape;
    if (shape.length === 1) continue; // biases and LayerNorm betas are made zero, LayerNorm gains one
    // Linear [in, out]; conv [KH, KW, Cin, Cout]: rows = fan-in, columns = output units.
    const cols = shape[shape.length - 1];
    const rows = p.size / cols;
    const gain = shape.length === 4 ? Math.SQRT2 : 1;
    const w = orthogonal(rows, cols, new SplitMix(mixName(seed, name)));
    const data = Float32Array.from(w, (x) => gain * x);
    const t = K.tensor(p.device, data, shape);
    K.copyInto(p.value, t);
    t.dispose();
  }
}

/** A rows x cols matrix (row-major) with orthonormal columns (rows >= cols) or orthonormal rows (rows < cols). */
export function orthogonal(rows: number, cols: number, rng: SplitMix): Float64Array {
  const n = Math.max(rows, cols); // length of the vectors made orthonormal
  const m = Math.min(rows, cols); // their number
  const v = new Float64Array(m * n);
  for (let i = 0; i < v.length; i += 2) {
    // Box-Muller
    const u1 = 1 - rng.next();
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    v[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < v.length) v[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  // Modified Gram-Schmidt over the m vectors of length n (a Gaussian matrix is well conditioned enough for one
  // pass in f64 to be orthonormal far below f32 precision).
  for (let j = 0; j < m; j++) {
    const vj = v.subarray(j * n, (j + 1) * n);
    for (let k = 0; k < j; k++) {
      const vk = v.subarray(k * n, (k + 1) * n);
      let d = 0;
      for (let i = 0; i < n; i++) d += vj[i] * vk[i];
      for (let i = 0; i < n; i++) vj[i] -= d * vk[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += vj[i] * vj[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) vj[i] /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      // tall: vector j is column j; wide: vector j is row j
      if (rows >= cols) out[i * cols + j] = v[j * n + i];
      else out[j * cols + i] = v[j * n + i];
    }
  }
  return out;
}

function mixName(seed: number, name: string): number {
  return (A.hashName(`${seed}:${name}`) ^ 0x5bd1e995) >>> 0;
}
