/**
 * Size-class buffer pool. Classes are powers of two from 256 B to 1 MiB, then multiples of 1 MiB, so a
 * freed buffer serves later requests of similar size (the shapes of a training step repeat exactly).
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  if (bytes <= 1 << 20) return 2 ** Math.ceil(Math.log2(bytes));
  return Math.ceil(bytes / (1 << 20)) * (1 << 20);
}

export class BufferPool {
  readonly #free = new Map<number, GPUBuffer[]>();
  pooledBuffers = 0;
  pooledBytes = 0;

  take(cls: number): GPUBuffer | undefined {
    const b = this.#free.get(cls)?.pop();
    if (b) {
      this.pooledBuffers--;
      this.pooledBytes -= cls;
    }
    return b;
  }

  give(cls: number, b: GPUBuffer): void {
    let list = this.#free.get(cls);
    if (!list) this.#free.set(cls, (list = []));
    list.push(b);
    this.pooledBuffers++;
    this.pooledBytes += cls;
  }

  /** Moves every buffer into another pool. */
  drainInto(other: BufferPool): void {
    for (const [cls, list] of this.#free) for (const b of list) other.give(cls, b);
    this.#free.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }

  destroyAll(): void {
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }
}
