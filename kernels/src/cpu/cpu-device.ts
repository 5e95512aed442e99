import { allocArray, type TypedArray } from '../core/dtype.js';
import { getKernel, type Device, type DeviceLimits, type DeviceStats } from '../core/registry.js';
import { checkWrite, type Tensor } from '../core/tensor.js';

/** A typed view of the right dtype over a CPU tensor's storage. */
export function cpuView(t: Tensor, op = 'cpu'): TypedArray {
  const s = t.storage(op);
  const buf = s.handle as ArrayBuffer;
  switch (t.dtype) {
    case 'f32':
      return new Float32Array(buf, s.offset, t.size);
    case 'i32':
      return new Int32Array(buf, s.offset, t.size);
    case 'u8':
      return new Uint8Array(buf, s.offset, t.size);
  }
}

/**
 * The CPU backend: plain TypeScript over typed arrays. It runs each kernel's CPU reference, so it defines the
 * semantics every other backend is tested against. Storage is an ArrayBuffer per tensor (the GC pools for us).
 */
export class CpuDevice implements Device {
  readonly backend = 'cpu' as const;
  readonly label = 'cpu: TypeScript reference kernels';
  #live = 0;
  #liveBytes = 0;
  #allocations = 0;
  #dispatches = 0;
  #readbacks = 0;

  allocate(bytes: number, init?: TypedArray): ArrayBuffer {
    const buf = new ArrayBuffer(bytes);
    if (init) new Uint8Array(buf).set(new Uint8Array(init.buffer, init.byteOffset, init.byteLength));
    this.#live++;
    this.#liveBytes += bytes;
    this.#allocations++;
    return buf;
  }

  release(_storage: unknown, bytes: number): void {
    this.#live--;
    this.#liveBytes -= bytes;
  }

  run(name: string, inputs: Tensor[], outputs: Tensor[], params: unknown): void {
    const k = getKernel(name, 'cpu');
    k.run(
      inputs.map((t) => cpuView(t, name)),
      outputs.map((t) => cpuView(t, name)),
      params,
    );
    this.#dispatches++;
  }

  write(t: Tensor, data: TypedArray): void {
    checkWrite(t, data);
    (cpuView(t, 'write') as TypedArray).set(data as any);
  }

  async read(t: Tensor): Promise<TypedArray> {
    this.#readbacks++;
    const out = allocArray(t.dtype, t.size);
    out.set(cpuView(t, 'toArray') as any);
    return out;
  }

  flush(): void {}
  async throttle(): Promise<void> {}
  async sync(): Promise<void> {}

  stats(): DeviceStats {
    return {
      liveBuffers: this.#live,
      liveBytes: this.#liveBytes,
      pooledBuffers: 0,
      pooledBytes: 0,
      poolHits: 0,
      allocations: this.#allocations,
      dispatches: this.#dispatches,
      submits: 0,
      readbacks: this.#readbacks,
      pipelines: 0,
    };
  }

  limits(): DeviceLimits {
    return {
      maxBufferBytes: 2 ** 31 - 1,
      maxWorkgroupsPerDimension: Infinity,
      maxWorkgroupStorageBytes: Infinity,
      maxInvocationsPerWorkgroup: Infinity,
      maxStorageBuffersPerKernel: Infinity,
    };
  }

  destroy(): void {}
}
