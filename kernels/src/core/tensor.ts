import { allocArray, bytesPerElement, DTYPES, dtypeOfArray, type DType, type TypedArray } from './dtype.js';
import type { Device } from './registry.js';
import { track, type Disposable } from './scope.js';
import { checkShape, fmt, sizeOf, type Shape } from './shape.js';

/** Device storage shared by a tensor and its reshaped views; released when the last view is disposed. */
export class Storage {
  refs = 1;
  constructor(
    readonly device: Device,
    readonly handle: unknown,
    readonly bytes: number,
  ) {}
}

/**
 * An n-dimensional array on one device. Data are row-major and contiguous. Tensors are immutable from the
 * outside: ops make new tensors. `dispose()` (or the enclosing `scope`) returns the storage to the device pool.
 */
export class Tensor implements Disposable {
  readonly size: number;
  #storage: Storage | null;

  /** @internal use Device helpers (tensor, zeros, empty) or ops */
  constructor(
    readonly device: Device,
    readonly shape: readonly number[],
    readonly dtype: DType,
    storage: Storage,
  ) {
    this.size = sizeOf(shape);
    this.#storage = storage;
    Object.freeze(this.shape);
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }
  get disposed(): boolean {
    return this.#storage === null;
  }
  get byteLength(): number {
    return this.size * bytesPerElement(this.dtype);
  }

  /** @internal the storage; throws a clear error after dispose */
  storage(op = 'tensor'): Storage {
    if (this.#storage === null) throw new Error(`${op}: a tensor of shape ${fmt(this.shape)} was used after dispose()`);
    return this.#storage;
  }

  /** A view with another shape of the same size (no copy). */
  reshape(shape: Shape): Tensor {
    // One dim may be -1: it is inferred from the size.
    const target = [...shape];
    const infer = target.indexOf(-1);
    if (infer >= 0 && target.indexOf(-1, infer + 1) >= 0) throw new Error(`reshape: at most one dim may be -1, got ${fmt(shape)}`);
    if (infer >= 0) target[infer] = this.size / Math.max(1, sizeOf(target.filter((d) => d !== -1)));
    checkShape('reshape', 'shape', shape.filter((d) => d !== -1));
    if (sizeOf(target) !== this.size || !target.every(Number.isInteger)) {
      throw new Error(`reshape: cannot view ${fmt(this.shape)} (${this.size} elements) as ${fmt(shape)}`);
    }
    const s = this.storage('reshape');
    s.refs++;
    return new Tensor(this.device, target, this.dtype, s);
  }

  /** Overwrites the contents in place (checkpoint loading, optimiser resets); ordered after recorded work. */
  write(data: TypedArray): void {
    this.device.write(this, data);
  }

  /** Reads the data back (waits for the device). */
  async toArray(): Promise<TypedArray> {
    this.storage('toArray');
    return this.device.read(this);
  }

  /** Reads a scalar (size-1 tensor) back. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: expected a tensor with 1 element, got shape ${fmt(this.shape)}`);
    return (await this.toArray())[0];
  }

  dispose(): void {
    const s = this.#storage;
    if (s === null) return;
    this.#storage = null;
    if (--s.refs === 0) s.device.release(s.handle, s.bytes);
  }

  toString(): string {
    return `Tensor(${this.dtype}${fmt(this.shape)} on ${this.device.backend}${this.disposed ? ', disposed' : ''})`;
  }
}

/** Storage bytes for a tensor (u8 rounded up to whole 4-byte words, which is how WGSL reads it). */
export function storageBytes(dtype: DType, size: number): number {
  const b = size * bytesPerElement(dtype);
  return Math.max(4, Math.ceil(b / 4) * 4);
}

/** Makes a tensor with undefined contents. */
export function empty(device: Device, shape: Shape, dtype: DType = 'f32'): Tensor {
  checkShape('empty', 'shape', shape);
  const bytes = storageBytes(dtype, sizeOf(shape));
  return new Tensor(device, [...shape], dtype, new Storage(device, device.allocate(bytes), bytes));
}

/** Makes a tensor from data (a typed array or numbers; dtype inferred from the array, f32 for numbers). */
export function tensor(device: Device, data: TypedArray | readonly number[], shape?: Shape, dtype?: DType): Tensor {
  let arr: TypedArray;
  if (dtype !== undefined && !DTYPES.includes(dtype)) throw new Error(`tensor: dtype must be one of ${DTYPES.join(', ')}, got ${String(dtype)}`);
  if (ArrayBuffer.isView(data)) {
    arr = data as TypedArray;
    dtypeOfArray(arr); // refuses Float64Array, Int16Array, DataView... naming them
    if (dtype && dtypeOfArray(arr) !== dtype) {
      const conv = allocArray(dtype, arr.length);
      conv.set(arr);
      arr = conv;
    }
  } else {
    if (!Array.isArray(data)) throw new Error(`tensor: data must be a typed array or an array of numbers, got ${typeof data}`);
    arr = allocArray(dtype ?? 'f32', data.length);
    arr.set(data as number[]);
  }
  const shp = shape ?? [arr.length];
  checkShape('tensor', 'shape', shp);
  if (sizeOf(shp) !== arr.length) {
    throw new Error(`tensor: shape ${fmt(shp)} needs ${sizeOf(shp)} elements, data has ${arr.length}`);
  }
  const dt = dtypeOfArray(arr);
  const bytes = storageBytes(dt, arr.length);
  return new Tensor(device, [...shp], dt, new Storage(device, device.allocate(bytes, arr), bytes));
}

/** Validates an in-place write: same element count and dtype. */
export function checkWrite(t: Tensor, data: TypedArray): void {
  const dt = dtypeOfArray(data);
  if (dt !== t.dtype) throw new Error(`write: data has dtype ${dt}, tensor ${fmt(t.shape)} has ${t.dtype}`);
  if (data.length !== t.size) throw new Error(`write: data has ${data.length} elements, tensor ${fmt(t.shape)} has ${t.size}`);
  t.storage('write');
}
