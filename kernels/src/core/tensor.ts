import { allocArray, bytesPerElement, DTYPES, dtypeOfArray, type DType, type TypedArray } from './dtype.js';
import type { Device } from './registry.js';
import { track, type Disposable } from './scope.js';
import { checkShape, fmt, sizeOf, type Shape } from './shape.js';

/**
 * Device storage shared by a tensor and its reshaped views; released when the last view is disposed.
 * A storage may also be a window of `bytes` bytes at byte `offset` into a parent's memory (see `viewAt`): it
 * shares the parent's handle, holds one reference to the parent, and frees nothing of its own.
 */
export class Storage {
  refs = 1;
  constructor(
    readonly device: Device,
    readonly handle: unknown,
    readonly bytes: number,
    /** Byte offset into `handle` (0 unless a window of a parent). */
    readonly offset = 0,
    readonly parent: Storage | null = null,
  ) {}

  /** Drops one reference; the last one returns the memory to the device (a window drops its parent's instead). */
  unref(): void {
    if (--this.refs !== 0) return;
    if (this.parent) this.parent.unref();
    else this.device.release(this.handle, this.bytes);
  }
}

/**
 * Byte alignment of a window's offset (WebGPU's minStorageBufferOffsetAlignment is at most 256), so any window
 * made by viewAt can be bound to a kernel like a tensor of its own.
 */
export const VIEW_ALIGN_BYTES = 256;

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
    s.unref();
  }

  /**
   * @internal Moves this tensor onto another storage of the same size (see moveInto): the old one is released.
   * Only for a tensor that is the sole holder of its storage (no reshaped views), else views would diverge.
   */
  rehome(storage: Storage): void {
    const s = this.storage('rehome');
    if (s.refs !== 1) throw new Error(`rehome: the tensor ${fmt(this.shape)} shares its storage with ${s.refs - 1} other view(s)`);
    if (storage.bytes !== s.bytes || storage.device !== this.device) throw new Error(`rehome: the new storage must have ${s.bytes} bytes on ${this.device.label}, got ${storage.bytes}`);
    this.#storage = storage;
    s.unref();
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

/**
 * A tensor of `shape` over x's memory from element `offset` on (a window, no copy): writes through either are
 * seen by the other, and the memory lives until both are disposed. offset * bytes per element must be a
 * multiple of VIEW_ALIGN_BYTES (so the window can be bound to kernels), and the window must lie inside x.
 * f32 and i32 only.
 */
export function viewAt(x: Tensor, offset: number, shape: Shape): Tensor {
  checkShape('viewAt', 'shape', shape);
  return new Tensor(x.device, [...shape], x.dtype, windowOf('viewAt', x, offset, sizeOf(shape)));
}

/** A new window storage of n elements of x at element offset (one more reference to x's storage). */
function windowOf(op: string, x: Tensor, offset: number, n: number): Storage {
  const s = x.storage(op);
  if (x.dtype === 'u8') throw new Error(`${op}: x must be f32 or i32, got u8`);
  const eb = bytesPerElement(x.dtype);
  if (!Number.isInteger(offset) || offset < 0 || (offset * eb) % VIEW_ALIGN_BYTES !== 0) {
    throw new Error(`${op}: offset must be a non-negative multiple of ${VIEW_ALIGN_BYTES / eb} elements, got ${offset}`);
  }
  if (offset + n > x.size) throw new Error(`${op}: a window of ${n} elements at ${offset} does not fit x ${fmt(x.shape)} (${x.size} elements)`);
  s.refs++;
  return new Storage(x.device, s.handle, storageBytes(x.dtype, n), s.offset + offset * eb, s);
}

/**
 * Makes t a window of flat at element `offset` (as viewAt would make one), releasing t's own memory, when t is
 * the sole holder of its storage (no reshaped views) and not a window already; returns whether it did. The
 * same Tensor object lives on, so whoever holds it (a module's parameter) sees the window from then on. Nothing
 * is copied: put t's data at offset first (packInto). A multi-tensor optimiser uses this to keep its
 * parameters in one buffer.
 */
export function moveToWindow(t: Tensor, flat: Tensor, offset: number): boolean {
  const op = 'moveToWindow';
  const s = t.storage(op);
  if (s.refs !== 1 || s.parent) return false;
  if (t.dtype !== flat.dtype || t.device !== flat.device) throw new Error(`${op}: t (${t.dtype} on ${t.device.label}) must have the dtype and device of flat (${flat.dtype} on ${flat.device.label})`);
  t.rehome(windowOf(op, flat, offset, t.size));
  return true;
}

/** Makes a tensor with undefined contents. */
/** Throws unless `device` is a Device (every path that makes a tensor passes here, so `null` is named, not a TypeError). */
export function checkDevice(op: string, device: unknown): asserts device is Device {
  const d = device as Partial<Device> | null;
  if (d === null || typeof d !== 'object' || typeof d.allocate !== 'function' || typeof d.run !== 'function') {
    throw new Error(`${op}: device must be a Device (await createDevice(), new CpuDevice()), got ${device === null ? 'null' : typeof device}`);
  }
}

export function empty(device: Device, shape: Shape, dtype: DType = 'f32'): Tensor {
  checkDevice('empty', device);
  checkShape('empty', 'shape', shape);
  const bytes = storageBytes(dtype, sizeOf(shape));
  return new Tensor(device, [...shape], dtype, new Storage(device, device.allocate(bytes), bytes));
}

/** Makes a tensor from data (a typed array or numbers; dtype inferred from the array, f32 for numbers). */
export function tensor(device: Device, data: TypedArray | readonly number[], shape?: Shape, dtype?: DType): Tensor {
  checkDevice('tensor', device);
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
    if (!Array.isArray(data)) throw new Error(`tensor: data must be a typed array or an array of numbers, got ${data === null ? 'null' : typeof data}`);
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
