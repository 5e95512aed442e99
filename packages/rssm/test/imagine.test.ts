// RSSM.imagine with given actions (Eq. 4's replay in the student): the fused scan (the default path) against
// the per-step imgStep loop (the tested reference): the same samples and RNG counter, the same latents and
// gradients within float rounding, in far fewer dispatches; a policy keeps the per-step loop.
import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { CpuDevice, scope, tensor, type Device, type Tensor } from '@twist/kernels';
import { makeConfig, RSSM, type ImaginedLatents } from '../src/index.js';
import { cpu, expectClose, gpuOrNull, randomArray } from './harness.js';

const gpuDev = await gpuOrNull();
const devices: Device[] = gpuDev ? [cpu, gpuDev] : [cpu];
const cfg = makeConfig('debug', { rssm: { deter: 24, hidden: 20, stoch: 4, classes: 5 } }).rssm;
const [E, NA] = [7, 3];

const CASES = [
  { name: '3 starts, horizon 5', n: 3, H: 5, extra: 0 },
  { name: '1 start, horizon 1', n: 1, H: 1, extra: 0 },
  { name: '7 starts, horizon 4 of 6 given steps', n: 7, H: 4, extra: 2 },
];

/** Imagines along `path`, then the gradients of a random projection of every output wrt the parameters, starts and actions. */
async function run(dev: Device, c: (typeof CASES)[number], path: 'fused' | 'unfused', rssmCfg = cfg) {
  const rssm = new RSSM({ device: dev, seed: 5 }, rssmCfg, NA, E);
  rssm.rngOffset = 23;
  const { n, H, extra } = c;
  const out = scope(() => {
    const deter = A.variable(tensor(dev, randomArray(n * cfg.deter, 3), [n, cfg.deter]));
    // a one-hot-like start (as posterior samples are) with some mass elsewhere, so z W_z matters
    const stoch = A.variable(tensor(dev, randomArray(n * cfg.stoch * cfg.classes, 4, 0, 1), [n, cfg.stoch, cfg.classes]));
    const actions = A.variable(tensor(dev, randomArray((H + extra) * n * NA, 2, -1, 1), [H + extra, n, NA]));
    const d0 = dev.stats().dispatches;
    const im: ImaginedLatents = rssm.imagine({ deter, stoch }, actions, H, { path });
    const outs = [im.deter, im.stoch, im.priorLogits];
    const loss = A.weightedSum(outs.map((o, i) => [A.sum(A.mul(o, A.constant(tensor(dev, randomArray(o.size, 10 + i), o.shape)))), 1] as [A.Var, number]));
    const grads = A.grad(loss, [...rssm.parameters(), deter, stoch, actions]);
    return { latents: [im.deter.value, im.stoch.value, im.priorLogits.value, im.actions.value], shapes: outs.map((o) => o.shape), grads, dispatches: dev.stats().dispatches - d0 };
  });
  const read = (ts: Tensor[]) => Promise.all(ts.map(async (t) => Float32Array.from(await t.toArray())));
  const res = { latents: await read(out.latents), shapes: out.shapes, grads: await read(out.grads), rngOffset: rssm.rngOffset, dispatches: out.dispatches };
  [...out.latents, ...out.grads].forEach((t) => t.dispose());
  rssm.dispose();
  return res;
}

describe.each(devices.map((d) => [d.backend, d] as const))('RSSM.imagine with given actions (%s)', (_, dev) => {
  for (const c of CASES) {
    it(`the fused scan equals the per-step imgStep loop within float rounding (same samples, same RNG counter), in fewer dispatches: ${c.name}`, async () => {
      const ref = await run(dev, c, 'unfused');
      const got = await run(dev, c, 'fused');
      expect(got.shapes).toEqual([
        [c.H, c.n, cfg.deter],
        [c.H, c.n, cfg.stoch, cfg.classes],
        [c.H, c.n, cfg.stoch, cfg.classes],
      ]);
      expect(got.rngOffset).toBe(ref.rngOffset);
      expect(got.rngOffset).toBe(23 + c.n * cfg.stoch * c.H);
      expect(got.latents[1]).toEqual(ref.latents[1]); // the one-hot samples
      expect(got.latents[3]).toEqual(ref.latents[3]); // the actions, as given (the first H steps)
      const close = (x: Float32Array, y: Float32Array, what: string) => expectClose(x, y, { atol: 2e-5, rtol: 1e-4 }, what);
      got.latents.forEach((x, i) => close(x, ref.latents[i], `latent ${i}`));
      got.grads.forEach((x, i) => close(x, ref.grads[i], `gradient ${i}`));
      // the gradients reach the start state and the actions (Eq. 4's starts when not detached)
      expect(got.grads.at(-3)!.some((g) => Math.abs(g) > 1e-6)).toBe(true);
      expect(got.grads.at(-1)!.some((g) => Math.abs(g) > 1e-6)).toBe(true);
      if (c.H >= 4) expect(got.dispatches * 2).toBeLessThan(ref.dispatches);
    });
  }

  it('with an action embedding (rssm.actionEmbed) too', async () => {
    const withEmbed = { ...cfg, actionEmbed: 6 };
    const ref = await run(dev, CASES[0], 'unfused', withEmbed);
    const got = await run(dev, CASES[0], 'fused', withEmbed);
    expect(got.latents[1]).toEqual(ref.latents[1]);
    got.latents.forEach((x, i) => expectClose(x, ref.latents[i], { atol: 2e-5, rtol: 1e-4 }, `latent ${i}`));
    got.grads.forEach((x, i) => expectClose(x, ref.grads[i], { atol: 2e-5, rtol: 1e-4 }, `gradient ${i}`));
  });
});

describe('RSSM.imagine paths', () => {
  it('a policy keeps the per-step loop (its actions depend on each state): fused and unfused are bit-identical', async () => {
    const go = async (path: 'fused' | 'unfused') => {
      const rssm = new RSSM({ device: cpu, seed: 5 }, cfg, NA, E);
      const t = scope(() => {
        const start = rssm.initial(cpu, 2);
        const w = A.constant(tensor(cpu, randomArray((cfg.deter + cfg.stoch * cfg.classes) * NA, 9), [cfg.deter + cfg.stoch * cfg.classes, NA]));
        return rssm.imagine(start, (f) => A.tanh(A.matmul(f, w)), 3, { path }).deter.value;
      });
      const v = Float32Array.from(await t.toArray());
      t.dispose();
      rssm.dispose();
      return v;
    };
    expect(await go('fused')).toEqual(await go('unfused'));
  });

  it("defaults to the per-step loop (imaginePath 'unfused': the scan was slower on lavapipe at these start counts); imaginePath selects the scan", async () => {
    const count = async (set?: 'fused') => {
      const rssm = new RSSM({ device: cpu, seed: 5 }, cfg, NA, E);
      if (set) rssm.imaginePath = set;
      const d0 = cpu.stats().dispatches;
      scope(() => void rssm.imagine(rssm.initial(cpu, 2), A.constant(tensor(cpu, new Float32Array(4 * 2 * NA), [4, 2, NA])), 4));
      rssm.dispose();
      return cpu.stats().dispatches - d0;
    };
    const fresh = new RSSM({ device: cpu, seed: 5 }, cfg, NA, E);
    expect(fresh.imaginePath).toBe('unfused');
    fresh.dispose();
    expect(await count('fused')).toBeLessThan(await count());
  });

  it('refuses an unknown path, naming it', () => {
    const rssm = new RSSM({ device: cpu, seed: 5 }, cfg, NA, E);
    const start = rssm.initial(cpu, 2);
    const acts = A.constant(tensor(cpu, new Float32Array(2 * 2 * NA), [2, 2, NA]));
    expect(() => rssm.imagine(start, acts, 2, { path: 'fast' as 'fused' })).toThrow("RSSM.imagine: path must be 'fused' or 'unfused', got fast");
    rssm.dispose();
  });

  it('falls back to the per-step ops on a device that allows fewer storage buffers than the scan binds', async () => {
    class Narrow extends CpuDevice {
      override limits() {
        return { ...super.limits(), maxStorageBuffersPerKernel: 8 };
      }
    }
    const narrow = new Narrow();
    const c = CASES[0];
    const ref = await run(cpu, c, 'unfused');
    const got = await run(narrow, c, 'fused');
    expect(got.latents).toEqual(ref.latents);
    expect(got.grads).toEqual(ref.grads);
  });
});
