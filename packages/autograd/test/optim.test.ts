import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as K from '@twist/kernels';
import { scope, tensor, type Device, type Tensor } from '@twist/kernels';
import * as A from '../src/index.js';
import * as AN from '../src/node.js';
import { cpu, gpu, hasGpu, randomArray } from './harness.js';

/**
 * Adam and non-finite gradients: a step whose global gradient norm is NaN or infinite is skipped on the device
 * (parameters and moments bit-identical, bias-correction step not advanced) and counted, without any readback.
 */
const devices = async (): Promise<Device[]> => (hasGpu ? [cpu, await gpu()] : [cpu]);

const bits = async (t: Tensor) => {
  const a = (await t.toArray()) as Float32Array;
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
};
const ints = async (t: Tensor) => Array.from((await t.toArray()) as Int32Array);

/** An MLP, its Adam (clipped or not), and a step from given gradient data. */
function setup(device: Device, clip?: number) {
  const net = new A.MLP({ device, seed: 11 }, 5, { hidden: [9, 7], out: 3 });
  const opt = new A.Adam(net.parameters(), { lr: 1e-2, eps: 1e-5, weightDecay: 1e-3, clip });
  const params = net.parameters();
  /** Deterministic gradients for step k; `poison` puts that value into one element of one of them. */
  const grads = (k: number, poison?: number) =>
    params.map((p, i) => {
      const g = randomArray(p.size, 1000 * k + i, -2, 2);
      if (poison !== undefined && i === k % params.length) g[(7 * k) % p.size] = poison;
      return g;
    });
  const step = (data: Float32Array[]) =>
    scope(() => opt.apply(data.map((g, i) => tensor(device, g, params[i].shape))));
  const snapshot = () => Promise.all([...params.map((p) => bits(p.value)), ...opt.m.map(bits), ...opt.v.map(bits)]);
  return { net, opt, params, grads, step, snapshot };
}

describe('Adam skips steps with non-finite gradients, on the device', () => {
  it('NaN, +Inf and -Inf gradients leave parameters and moments bit-identical and are counted (every backend)', async () => {
    for (const d of await devices()) {
      for (const clip of [undefined, 1]) {
        const what = `${d.backend}, clip ${clip}`;
        const s = setup(d, clip);
        s.step(s.grads(0));
        const before = await s.snapshot();
        const r0 = d.stats().readbacks;
        const norms = [NaN, Infinity, -Infinity].map((bad, k) => s.step(s.grads(k + 1, bad)));
        expect(d.stats().readbacks - r0, `${what}: no readback while stepping`).toBe(0);
        expect(await s.snapshot(), `${what}: state after three skipped steps`).toEqual(before);
        for (const n of norms) expect(await n.item(), `${what}: the returned norm shows the bad step`).not.toBeLessThan(Infinity);
        expect(s.opt.step, what).toBe(4); // apply() calls
        expect(await ints(s.opt.counters), what).toEqual([1, 3, 3]);
        expect(await ints(s.opt.skipped()), what).toEqual([3]);
        expect(await ints(s.opt.consecutiveSkips()), what).toEqual([3]);
        expect(await ints(s.opt.appliedSteps()), what).toEqual([1]);
        // A finite step after them is applied and resets the consecutive count (not the total).
        s.step(s.grads(5));
        expect(await s.snapshot(), `${what}: a finite step changes the state`).not.toEqual(before);
        expect(await ints(s.opt.skipped()), what).toEqual([3]);
        expect(await ints(s.opt.consecutiveSkips()), what).toEqual([0]);
        expect(await ints(s.opt.appliedSteps()), what).toEqual([2]);
        for (const p of s.params) expect((await p.value.toArray()).every(Number.isFinite), what).toBe(true);
        s.opt.dispose();
        s.net.dispose();
      }
    }
  });

  it('a skipped step is as if it never happened: the bias correction does not advance (bit-identical runs)', async () => {
    for (const d of await devices()) {
      const a = setup(d, 100);
      const b = setup(d, 100);
      for (let k = 0; k < 5; k++) {
        a.step(a.grads(k));
        if (k === 1 || k === 3) b.step(b.grads(k, NaN)); // extra skipped steps, also two in a row
        if (k === 3) b.step(b.grads(k, Infinity));
        b.step(b.grads(k));
      }
      expect(await b.snapshot(), d.backend).toEqual(await a.snapshot());
      expect(await ints(b.opt.counters), d.backend).toEqual([5, 3, 0]);
      expect(b.opt.step, d.backend).toBe(8);
      for (const s of [a, b]) {
        s.opt.dispose();
        s.net.dispose();
      }
    }
  });

  it('the skip counters persist through a checkpoint, and the resumed run continues bit-identically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twist-adam-ckpt-'));
    const a = setup(cpu, 10);
    a.step(a.grads(0));
    a.step(a.grads(1, NaN));
    a.step(a.grads(2));
    a.step(a.grads(3, -Infinity));
    a.step(a.grads(4, NaN));
    await AN.saveCheckpoint(dir, { modules: { net: a.net }, optimizers: { opt: a.opt } }, {});
    const b = setup(cpu, 10);
    AN.loadCheckpoint(dir, { modules: { net: b.net }, optimizers: { opt: b.opt } });
    expect(b.opt.step).toBe(5);
    expect(await ints(b.opt.skipped())).toEqual([3]);
    expect(await ints(b.opt.consecutiveSkips())).toEqual([2]);
    expect(await ints(b.opt.appliedSteps())).toEqual([2]);
    a.step(a.grads(5));
    b.step(b.grads(5));
    expect(await b.snapshot()).toEqual(await a.snapshot());
    expect(await ints(b.opt.counters)).toEqual([3, 3, 0]);
  });

  it('rejects a bad clip and an empty parameter list', () => {
    const l = new A.Linear({ device: cpu, seed: 1 }, 2, 2);
    expect(() => new A.Adam(l.parameters(), { lr: 1e-3, clip: -1 })).toThrow(/Adam: clip must be a finite number > 0 \(or 0\/undefined for no clipping\), got -1/);
    expect(() => new A.Adam([], { lr: 1e-3 })).toThrow(/Adam: params must be a non-empty list/);
  });

  it('checks every option when made, naming it (not at the first step)', () => {
    const ps = new A.Linear({ device: cpu, seed: 1 }, 2, 2).parameters();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ lr: NaN }, /Adam: lr must be a finite number > 0, got NaN/],
      [{ lr: Infinity }, /Adam: lr must be a finite number > 0, got Infinity/],
      [{ lr: '1e-3' }, /Adam: lr must be a finite number > 0, got "1e-3"/],
      [{ lr: 1e-3, beta1: 1 }, /Adam: beta1 must be a number in \[0, 1\), got 1/],
      [{ lr: 1e-3, beta2: -0.1 }, /Adam: beta2 must be a number in \[0, 1\), got -0.1/],
      [{ lr: 1e-3, eps: 0 }, /Adam: eps must be a finite number > 0, got 0/],
      [{ lr: 1e-3, weightDecay: -1 }, /Adam: weightDecay must be a finite number >= 0, got -1/],
      [{ lr: 1e-3, clip: Infinity }, /Adam: clip must be a finite number > 0/],
      [{ lr: 1e-3, learningRate: 1 }, /Adam: unknown option 'learningRate'; valid options: lr, beta1, beta2, eps, weightDecay, clip/],
    ];
    for (const [opts, re] of bad) expect(() => new A.Adam(ps, opts as never), JSON.stringify(opts)).toThrow(re);
    expect(() => new A.Adam(ps, null as never)).toThrow(/Adam: options must be an object/);
  });
});

/**
 * The multi-tensor Adam (parameters, gradients and moments in flat buffers, a constant number of dispatches per
 * step) against the per-tensor composition it replaced, kept here as the reference: sumOfSquares over the
 * gradients, adamGate, and one adamStepGated per parameter on separate tensors.
 */
describe('Adam is one multi-tensor step, bit-identical to the per-tensor composition', () => {
  /** The per-tensor reference optimiser over copies of the parameters. */
  function reference(device: Device, values: Float32Array[], shapes: (readonly number[])[], opts: A.AdamOptions) {
    const p = values.map((x, i) => tensor(device, x, shapes[i]));
    const m = shapes.map((s) => K.zeros(device, s));
    const v = shapes.map((s) => K.zeros(device, s));
    const counters = tensor(device, new Int32Array(3), [3]);
    const cfg = { lr: opts.lr, beta1: opts.beta1, beta2: opts.beta2, eps: opts.eps, weightDecay: opts.weightDecay };
    const step = (grads: Float32Array[]) =>
      scope(() => {
        const gs = grads.map((g, i) => tensor(device, g, shapes[i]));
        const sumSq = K.sumOfSquares(gs);
        const gate = K.adamGate(sumSq, counters, { maxNorm: opts.clip || null, beta1: opts.beta1, beta2: opts.beta2 });
        p.forEach((t, i) => K.adamStepGated(t, gs[i], m[i], v[i], gate, cfg));
        return K.sqrt(sumSq);
      });
    return { p, m, v, counters, step };
  }

  it('over steps with NaN and Inf gradients, with and without clipping, a parameter that cannot move included (every backend)', async () => {
    for (const d of await devices()) {
      for (const clip of [undefined, 0.5]) {
        const what = `${d.backend}, clip ${clip}`;
        const net = new A.MLP({ device: d, seed: 3 }, 70, { hidden: [65, 9], out: 4097 });
        const params = net.parameters();
        // A reshaped view of one parameter exists: it cannot become a window, so it is copied in and out.
        const pinned = params[1].value.reshape([params[1].size]);
        const values = await Promise.all(params.map(async (p) => (await p.value.toArray()) as Float32Array));
        const opts = { lr: 1e-2, eps: 1e-5, weightDecay: 1e-3, clip, beta1: 0.9, beta2: 0.99 };
        const opt = new A.Adam(params, opts);
        const ref = reference(d, values, params.map((p) => p.shape), opts);
        for (let k = 0; k < 5; k++) {
          const grads = params.map((p, i) => randomArray(p.size, 100 * k + i, -2, 2));
          if (k === 1) grads[2][3] = NaN;
          if (k === 3) grads[0][0] = -Infinity;
          const n0 = d.stats().dispatches;
          const norm = scope(() => opt.apply(grads.map((g, i) => tensor(d, g, params[i].shape))));
          // pack (7 per dispatch), partials, sum + gate, adam; the pinned parameter's copy in and out
          expect(d.stats().dispatches - n0, what).toBe(Math.ceil(params.length / 7) + 3 + 2);
          const refNorm = ref.step(grads);
          expect(await bits(norm), `${what}: norm of step ${k}`).toEqual(await bits(refNorm));
        }
        for (let i = 0; i < params.length; i++) {
          expect(await bits(params[i].value), `${what}: p ${i}`).toEqual(await bits(ref.p[i]));
          expect(await bits(opt.m[i]), `${what}: m ${i}`).toEqual(await bits(ref.m[i]));
          expect(await bits(opt.v[i]), `${what}: v ${i}`).toEqual(await bits(ref.v[i]));
        }
        expect(await bits(pinned), `${what}: the view of the pinned parameter sees the updates`).toEqual(await bits(ref.p[1].reshape([params[1].size])));
        expect(await ints(opt.counters), what).toEqual(await ints(ref.counters));
        pinned.dispose();
        opt.dispose();
        net.dispose();
      }
    }
  });

  it("a second Adam over parameters an earlier one moved into its buffer (disposed, or alive over others) steps them as the reference does (every backend)", async () => {
    for (const d of await devices()) {
      const net = new A.MLP({ device: d, seed: 4 }, 6, { hidden: [5, 5, 5], out: 3 }); // 8 parameters
      const params = net.parameters();
      const opts = { lr: 1e-2, eps: 1e-5, weightDecay: 0, clip: 0, beta1: 0.9, beta2: 0.99 };
      const first = new A.Adam(params, opts);
      scope(() => first.apply(params.map((p, i) => tensor(d, randomArray(p.size, 7 + i, -1, 1), p.shape)))).dispose();
      // every parameter is now a window of first's flat buffer: the next optimisers cannot move them
      for (const what of ['first alive', 'first disposed'] as const) {
        const values = await Promise.all(params.map(async (p) => (await p.value.toArray()) as Float32Array));
        const second = new A.Adam(params, opts);
        const ref = reference(d, values, params.map((p) => p.shape), opts);
        for (let k = 0; k < 3; k++) {
          const grads = params.map((p, i) => randomArray(p.size, 50 * k + i, -2, 2));
          scope(() => second.apply(grads.map((g, i) => tensor(d, g, params[i].shape)))).dispose();
          ref.step(grads).dispose();
        }
        for (let i = 0; i < params.length; i++) expect(await bits(params[i].value), `${d.backend}, ${what}: p ${i}`).toEqual(await bits(ref.p[i]));
        second.dispose();
        if (what === 'first alive') first.dispose();
      }
      net.dispose();
    }
  });

  it('moves the parameters into one buffer: a step is a constant number of dispatches, and disposing releases it all', async () => {
    for (const d of await devices()) {
      const live0 = d.stats().liveBuffers;
      const net = new A.MLP({ device: d, seed: 5 }, 6, { hidden: [5, 5, 5, 5, 5, 5, 5, 5], out: 2 }); // 18 parameters
      const params = net.parameters();
      const opt = new A.Adam(params, { lr: 1e-3, clip: 100 });
      const x = A.constant(tensor(d, randomArray(12, 1), [2, 6]));
      const output = async () => {
        const y = scope(() => A.noGrad(() => net.forward(x).value));
        const a = await y.toArray();
        y.dispose();
        return a;
      };
      const before = await output();
      const n0 = d.stats().dispatches;
      scope(() => opt.apply(A.grad(A.mean(A.square(net.forward(x))), params))).dispose();
      const n1 = d.stats().dispatches;
      scope(() => void A.grad(A.mean(A.square(net.forward(x))), params));
      const gradOnly = d.stats().dispatches - n1;
      expect(n1 - n0 - gradOnly, d.backend).toBe(Math.ceil(18 / 7) + 3);
      expect(await output(), `${d.backend}: the step moved the output`).not.toEqual(before);
      opt.dispose();
      net.dispose();
      x.value.dispose();
      expect(d.stats().liveBuffers, d.backend).toBe(live0);
    }
  });
});
