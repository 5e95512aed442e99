import { describe, expect, it } from 'vitest';
import { tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import { cpu } from './harness.js';

describe('losses of two operands require equal shapes', () => {
  it('mse, gaussianNLL and categoricalLogProb refuse shapes that would broadcast, naming both', async () => {
    const pred = A.constant(tensor(cpu, new Float32Array(4), [4, 1]));
    const target = A.constant(tensor(cpu, new Float32Array(4), [4]));
    expect(() => A.mse(pred, target)).toThrow(/mse: pred and target must have the same shape, got pred \[4,1\] and target \[4\]/);
    expect(() => A.gaussianNLL(pred, target)).toThrow(/mse: pred and target must have the same shape/);
    expect(() => A.categoricalLogProb(A.constant(tensor(cpu, new Float32Array(6), [2, 3])), A.constant(tensor(cpu, new Float32Array(3), [1, 3])))).toThrow(/categoricalLogProb: pred and target must have the same shape/);
    // equal shapes still give the plain mean squared error
    const a = A.constant(tensor(cpu, Float32Array.from([1, 2, 3, 4]), [4]));
    expect(await A.mse(a, A.constant(tensor(cpu, new Float32Array(4), [4]))).item()).toBeCloseTo(7.5, 6);
  });
});
