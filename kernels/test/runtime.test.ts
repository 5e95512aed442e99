import { describe, expect, it } from 'vitest';
import { affine, exp, scope, tensor } from '../src/index.js';
import { gpu, hasGpu, read } from './harness.js';

describe.runIf(hasGpu)('WebGPU runtime: batching, pooling and ordering', () => {
  it('reuses buffers freed in the same batch for kernel outputs, with correct results', async () => {
    const g = await gpu();
    await g.sync();
    const x = tensor(g, Float32Array.from({ length: 1000 }, (_, i) => i / 1000));
    const s0 = g.stats();
    let y = affine(x, 1, 0);
    for (let i = 0; i < 200; i++) {
      const next = affine(y, 1, 1); // y + 1, chained: each step frees the previous buffer
      y.dispose();
      y = next;
    }
    const s1 = g.stats();
    expect(s1.submits).toBe(s0.submits); // nothing was submitted while recording
    expect(s1.allocations - s0.allocations).toBe(201);
    expect(s1.poolHits - s0.poolHits).toBeGreaterThanOrEqual(199); // everything after the first two reused
    const out = await read(y);
    for (let i = 0; i < 1000; i += 97) expect(out[i]).toBeCloseTo(i / 1000 + 200, 3);
  });

  it('never uploads into a buffer that recorded work still reads', async () => {
    const g = await gpu();
    await g.sync();
    const a = tensor(g, new Float32Array(256).fill(1));
    const b = exp(a); // recorded, not submitted: reads a
    a.dispose(); // a's buffer is free, but the batch still reads it
    const c = tensor(g, new Float32Array(256).fill(5)); // an upload of the same size class
    expect((await read(b))[0]).toBeCloseTo(Math.E, 5); // b saw a's data, not c's
    expect((await read(c))[0]).toBe(5);
  });

  it('a scope of many ops records without submitting and frees everything', async () => {
    const g = await gpu();
    await g.sync();
    const before = g.stats();
    const x = tensor(g, new Float32Array(64).fill(0.5));
    const r = scope(() => {
      let y = x;
      for (let i = 0; i < 50; i++) y = exp(affine(y, 0.1, 0));
      return y;
    });
    expect(g.stats().submits).toBe(before.submits);
    expect(g.stats().liveBuffers).toBe(before.liveBuffers + 2);
    expect(Number.isFinite((await read(r))[0])).toBe(true);
  });

  it('throttle bounds submitted work in a loop that never reads back', async () => {
    const g = await gpu();
    await g.sync();
    const x = tensor(g, new Float32Array(4096).fill(0));
    let y = affine(x, 1, 0);
    const s0 = g.stats();
    for (let step = 0; step < 5; step++) {
      for (let i = 0; i < 1500; i++) {
        const next = affine(y, 1, 1);
        y.dispose();
        y = next;
      }
      await g.throttle(1); // at most one submitted batch unfinished after this
    }
    expect(g.stats().submits - s0.submits).toBeGreaterThanOrEqual(5 * 1); // batches were submitted as we went
    expect((await read(y))[0]).toBe(7500);
  });
});

