import type { UniformField } from '../core/registry.js';

const CHUNK = 64 * 1024;
const ALIGN = 256; // minUniformBufferOffsetAlignment on every adapter we target

/**
 * Uniform blocks of all dispatches in one batch share a few 64 KiB buffers: each dispatch takes a 256-byte
 * aligned slot in a CPU mirror, and the mirror is written with one queue.writeBuffer per chunk just before
 * the batch is submitted (queue writes are ordered before the submit that follows them).
 */
export class UniformArena {
  readonly #chunks: { buf: GPUBuffer; mirror: ArrayBuffer }[] = [];
  #chunk = 0;
  #offset = 0;

  constructor(private readonly device: GPUDevice) {}

  /**
   * Packs the fields into the next slot. The binding has a fixed size (the block rounded up to 256 bytes) and
   * is addressed by a dynamic offset, so one bind group per (buffers, chunk) serves every slot of a chunk.
   */
  push(fields: readonly UniformField[]): { buffer: GPUBuffer; offset: number; size: number } {
    const block = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
    const size = Math.ceil(block / ALIGN) * ALIGN;
    if (size > CHUNK) throw new Error(`uniforms: block of ${block} bytes exceeds the ${CHUNK}-byte arena chunk`);
    if (this.#offset + size > CHUNK) {
      this.#chunk++;
      this.#offset = 0;
    }
    if (this.#chunk === this.#chunks.length) {
      const buf = this.device.createBuffer({ size: CHUNK, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniform-arena' });
      this.#chunks.push({ buf, mirror: new ArrayBuffer(CHUNK) });
    }
    const { buf, mirror } = this.#chunks[this.#chunk];
    const dv = new DataView(mirror, this.#offset, block);
    fields.forEach(([type, v], i) => {
      if (type === 'f32') dv.setFloat32(i * 4, v, true);
      else if (type === 'i32') dv.setInt32(i * 4, v, true);
      else dv.setUint32(i * 4, v, true);
    });
    const binding = { buffer: buf, offset: this.#offset, size };
    this.#offset += size;
    return binding;
  }

  /** Chunks in use in this batch. */
  get used(): number {
    return this.#offset === 0 && this.#chunk === 0 ? 0 : this.#chunk + 1;
  }

  /** Writes the used part of every chunk to the GPU and starts a new batch. */
  upload(queue: GPUQueue): void {
    for (let i = 0; i <= this.#chunk && i < this.#chunks.length; i++) {
      const len = i === this.#chunk ? this.#offset : CHUNK;
      if (len > 0) queue.writeBuffer(this.#chunks[i].buf, 0, this.#chunks[i].mirror, 0, len);
    }
    this.#chunk = 0;
    this.#offset = 0;
  }

  destroy(): void {
    for (const c of this.#chunks) c.buf.destroy();
    this.#chunks.length = 0;
  }
}
