/** Element types a tensor can hold: f32 for everything numeric, u8 for images, i32 for indices. */
export type DType = 'f32' | 'i32' | 'u8';
export type TypedArray = Float32Array | Int32Array | Uint8Array;

export type ArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint8Array;

export const DTYPES: readonly DType[] = ['f32', 'i32', 'u8'];

export function bytesPerElement(dtype: DType): number {
  return dtype === 'u8' ? 1 : 4;
}

export function allocArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(size);
    case 'i32':
      return new Int32Array(size);
    case 'u8':
      return new Uint8Array(size);
  }
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  return 'u8';
}

export function assertDType(op: string, what: string, expected: DType | readonly DType[], actual: DType): void {
  const ok = typeof expected === 'string' ? actual === expected : expected.includes(actual);
  if (!ok) {
    const exp = typeof expected === 'string' ? expected : expected.join(' or ');
    throw new Error(`${op}: ${what} must have dtype ${exp}, got ${actual}`);
  }
}
