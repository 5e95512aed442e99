import { describe, it } from 'vitest';
import { tensor, type Device } from '@twist/kernels';
import * as A from '../src/index.js';
import { CASES } from './cases.js';
import { cpu, expectClose, gpu, hasGpu, randomArray } from './harness.js';

async function gradsOn(dev: Device, c: (typeof CASES)[number], seed: number): Promise<Float32Array[]> {
  const vars = c.shapes.map((s, i) => A.variable(tensor(dev, randomArray(s.reduce((a, d) => a * d, 1), seed + i, c.lo ?? -1.5, c.hi ?? 1.5), s)));
  const out = c.f(...vars);
  const r = A.constant(tensor(dev, randomArray(out.size, seed + 100), out.shape));
  const gs = A.grad(A.sum(A.mul(out, r)), vars);
  return Promise.all([out.value, ...gs].map((g) => g.toArray() as Promise<Float32Array>));
}

// f32 on both sides but different summation orders and transcendental implementations: 1e-4 absolute plus
// 1e-3 relative covers it for these small, O(1)-valued graphs.
describe.runIf(hasGpu)('WebGPU gradients equal CPU gradients for every rule', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const g = await gpu();
      const want = await gradsOn(cpu, c, 11);
      const got = await gradsOn(g, c, 11);
      want.forEach((w, i) => expectClose(got[i], w, { atol: 1e-4, rtol: 1e-3 }, `${c.name} ${i === 0 ? 'forward' : `grad ${i - 1}`}`));
    });
  }

  it('a composite graph through GRU, straight-through sampling, KL and conv', async () => {
    const run = async (dev: Device) => {
      const ctx = { device: dev, seed: 21 };
      const gru = new A.GRUCell(ctx, 6, 8);
      const head = new A.Linear(ctx, 8, 2 * 4, { name: 'head' });
      const conv = new A.Conv2d(ctx, 2, 6, 3, { stride: 2, name: 'conv' });
      const img = A.constant(tensor(dev, randomArray(2 * 3 * 3 * 2, 3), [2, 3, 3, 2])); // conv k3 s2 -> [2,1,1,6]
      const x = A.reshape(conv.forward(img), [2, 6]);
      let h = A.constant(tensor(dev, new Float32Array(16), [2, 8]));
      h = gru.forward(x, h);
      h = gru.forward(x, h);
      const logits = A.reshape(head.forward(h), [2, 2, 4]);
      const z = A.categoricalSample(logits, { seed: 5 }, 0.01);
      const prior = A.reshape(head.forward(A.tanh(h)), [2, 2, 4]);
      const { loss: kl } = A.klBalanced(logits, prior, { free: 0 });
      const loss = A.add(kl, A.mean(A.square(z)));
      const params = [gru, head, conv].flatMap((m) => m.parameters());
      return Promise.all(A.grad(loss, params).map((t) => t.toArray() as Promise<Float32Array>));
    };
    const g = await gpu();
    const want = await run(cpu);
    const got = await run(g);
    want.forEach((w, i) => expectClose(got[i], w, { atol: 2e-4, rtol: 2e-3 }, `param grad ${i}`));
  });
});
