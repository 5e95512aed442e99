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

/**
 * The dtype of a typed array: Float32Array f32, Int32Array i32, Uint8Array u8. Any other view (Float64Array,
 * Int16Array, Uint8ClampedArray, DataView, ...) is refused, naming it: it would otherwise be read as raw bytes.
 */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint8Array && !(a instanceof Uint8ClampedArray)) return 'u8';
  const name = (a as { constructor?: { name?: string } })?.constructor?.name ?? typeof a;
  throw new Error(`tensor data must be a Float32Array (f32), Int32Array (i32) or Uint8Array (u8), got ${name}`);
}

export function assertDType(op: string, what: string, expected: DType | readonly DType[], actual: DType): void {
  const ok = typeof expected === 'string' ? actual === expected : expected.includes(actual);
  if (!ok) {
    const exp = typeof expected === 'string' ? expected : expected.join(' or ');
    throw new Error(`${op}: ${what} must have dtype ${exp}, got ${actual}`);
  }
}
