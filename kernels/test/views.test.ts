import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { concat, copyInto, matmul, packInto, scope, stridesOf, tensor, unpackFrom, unary, viewAt, zeros, type Device, type Tensor } from '../src/index.js';
import { cpu, gpu, hasGpu, randomArray } from './harness.js';

/**
 * Windows of one storage (viewAt), and the many-tensor copies (packInto, unpackFrom, concat of up to 7 inputs
 * per dispatch): against plain-array oracles on every backend, bit for bit (they only move 32-bit words).
 */
const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);
const bitsOf = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const read = async (t: Tensor) => Array.from((await t.toArray()) as Float32Array);

describe('viewAt: a window of a tensor is a tensor of its own', () => {
  it('reads, writes, binds to kernels and copies through its window; the memory lives until both are disposed', async () => {
    for (const d of await devices()) {
      const live0 = d.stats().liveBuffers;
      const flat = tensor(d, Float32Array.from({ length: 200 }, (_, i) => i), [200]);
      const v = viewAt(flat, 64, [2, 3]);
      expect(await read(v), d.backend).toEqual([64, 65, 66, 67, 68, 69]);
      v.write(Float32Array.of(-1, -2, -3, -4, -5, -6));
      const all = await read(flat);
      expect(all.slice(62, 72), d.backend).toEqual([62, 63, -1, -2, -3, -4, -5, -6, 70, 71]);
      // bound as an input and as an output (in place) of kernels
      const y = scope(() => unary(v, 'neg'));
      expect(await read(y), d.backend).toEqual([1, 2, 3, 4, 5, 6]);
      copyInto(v, y);
      expect((await read(flat)).slice(64, 70), d.backend).toEqual([1, 2, 3, 4, 5, 6]);
      const w = viewAt(flat, 128, [3, 2]);
      const mm = matmul(v, w); // two windows of one buffer, both read
      expect((await read(mm)).length, d.backend).toBe(4);
      expect(d.stats().liveBuffers, d.backend).toBe(live0 + 3); // flat, y, mm: windows own no buffer
      flat.dispose();
      expect(await read(v), `${d.backend}: the window keeps the memory`).toEqual([1, 2, 3, 4, 5, 6]);
      v.dispose();
      w.dispose();
      y.dispose();
      mm.dispose();
      expect(d.stats().liveBuffers, d.backend).toBe(live0);
    }
  });

  it('refuses unaligned offsets, windows past the end, u8, and a kernel writing a buffer it also reads', async () => {
    const flat = zeros(cpu, [100]);
    expect(() => viewAt(flat, 3, [2])).toThrow(/viewAt: offset must be a non-negative multiple of 64 elements, got 3/);
    expect(() => viewAt(flat, 64, [40])).toThrow(/viewAt: a window of 40 elements at 64 does not fit x \[100\] \(100 elements\)/);
    expect(() => viewAt(tensor(cpu, new Uint8Array(8), [8], 'u8'), 0, [4])).toThrow(/viewAt: x must be f32 or i32, got u8/);
    if (hasGpu) {
      const g = await gpu();
      const f = zeros(g, [256]);
      const a = viewAt(f, 0, [64]);
      const b = viewAt(f, 64, [64]);
      expect(() => copyInto(b, a)).toThrow(/layout_copy: output 0 shares its device buffer with binding 0 \(windows of one buffer/);
      for (const t of [f, a, b]) t.dispose();
    }
  });

  it.skipIf(!hasGpu)('windows at one offset with other sizes bind their own ranges (bind groups are cached per offset and size)', async () => {
    const g = await gpu();
    const data = Float32Array.from({ length: 1024 }, (_, i) => i + 1);
    const flat = tensor(g, data, [1024]);
    const out = zeros(g, [1024]);
    for (const n of [64, 512, 1024]) {
      // the same two buffers at the same offsets each time: only the windows' sizes tell the dispatches apart
      const w = viewAt(flat, 0, [n]);
      const o = viewAt(out, 0, [n]);
      copyInto(o, w);
      expect(Array.from((await out.toArray()) as Float32Array).slice(0, n)).toEqual(Array.from(data.subarray(0, n)));
      w.dispose();
      o.dispose();
    }
    flat.dispose();
    out.dispose();
  });
});

/** Random shapes for many-tensor copies: up to 17 parts (three dispatches), sizes 0, 1, primes, odd. */
const partsArb = fc.array(fc.array(fc.constantFrom<number>(0, 1, 2, 3, 5, 7, 13, 64, 100), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 17 });

describe('many-tensor copies equal plain-array oracles, bit for bit (every backend)', () => {
  test.prop([partsArb, fc.integer()], { numRuns: 25 })('packInto then unpackFrom (slots at aligned offsets, the rest untouched)', async (shapes, seed) => {
    const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    const offsets: number[] = [];
    let at = 0;
    for (const n of sizes) {
      offsets.push(at);
      at += Math.ceil(Math.max(n, 1) / 64) * 64;
    }
    const data = sizes.map((n, i) => randomArray(n, seed + i, -1e30, 1e30));
    const base = randomArray(at, seed - 1);
    const want = Float32Array.from(base);
    data.forEach((x, i) => want.set(x, offsets[i]));
    for (const d of await devices()) {
      const flat = tensor(d, base, [at]);
      const xs = data.map((x, i) => tensor(d, x, shapes[i]));
      const n0 = d.stats().dispatches;
      packInto(flat, xs, offsets);
      expect(d.stats().dispatches - n0, d.backend).toBe(Math.ceil(sizes.filter((n) => n > 0).length / 7));
      expect(bitsOf(await read(flat)), `${d.backend}: packInto`).toEqual(bitsOf(want));
      const outs = shapes.map((s) => zeros(d, s));
      unpackFrom(flat, outs, offsets);
      for (let i = 0; i < outs.length; i++) expect(bitsOf(await read(outs[i])), `${d.backend}: unpackFrom part ${i}`).toEqual(bitsOf(data[i]));
      for (const t of [flat, ...xs, ...outs]) t.dispose();
    }
  });

  test.prop([fc.array(fc.constantFrom<number>(1, 2, 3, 5), { minLength: 1, maxLength: 3 }), fc.nat(), fc.array(fc.constantFrom<number>(0, 1, 2, 3, 7), { minLength: 1, maxLength: 17 }), fc.integer()], { numRuns: 25 })(
    'concat of up to 17 inputs along any axis (ceil(non-empty / 7) dispatches)',
    async (shape, axisSeed, lens, seed) => {
      const ax = axisSeed % shape.length;
      const shapes = lens.map((l) => shape.map((dd, k) => (k === ax ? l : dd)));
      const xs = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), seed + i));
      const A = lens.reduce((a, b) => a + b, 0);
      const out = shape.map((dd, k) => (k === ax ? A : dd));
      const os = stridesOf(out);
      const want = new Float32Array(out.reduce((a, b) => a * b, 1));
      let off = 0;
      xs.forEach((x, i) => {
        const st = stridesOf(shapes[i]);
        for (let e = 0; e < x.length; e++) {
          let r = e;
          let dst = 0;
          for (let k = 0; k < shapes[i].length; k++) {
            const c = Math.floor(r / st[k]);
            r -= c * st[k];
            dst += (k === ax ? c + off : c) * os[k];
          }
          want[dst] = x[e];
        }
        off += lens[i];
      });
      for (const d of await devices()) {
        const ts = xs.map((x, i) => tensor(d, x, shapes[i]));
        const n0 = d.stats().dispatches;
        const y = concat(ts, ax);
        const nonEmpty = ts.filter((t) => t.size > 0).length;
        expect(d.stats().dispatches - n0, d.backend).toBe(want.length === 0 ? 0 : Math.ceil(nonEmpty / 7));
        expect(bitsOf(await read(y)), `${d.backend}: concat [${shapes.map((s) => `[${s}]`)}] axis ${ax}`).toEqual(bitsOf(want));
        for (const t of [y, ...ts]) t.dispose();
      }
    },
  );

  it('refuses mismatched lists, slots outside flat and parts that are windows of flat', () => {
    const flat = zeros(cpu, [128]);
    const x = zeros(cpu, [10]);
    expect(() => packInto(flat, [x], [0, 64])).toThrow(/packInto: xs and offsets must be arrays of the same length, got 1 and 2/);
    expect(() => packInto(flat, [x], [120])).toThrow(/packInto: xs\[0\] \[10\] at offset 120 must lie inside flat \[128\]/);
    expect(() => unpackFrom(flat, [viewAt(flat, 64, [10])], [0])).toThrow(/unpackFrom: xs\[0\] shares its memory with flat/);
    expect(() => packInto(flat, [tensor(cpu, new Int32Array(2), [2])], [0])).toThrow(/packInto: xs\[0\] must have dtype f32, got i32/);
  });
});
