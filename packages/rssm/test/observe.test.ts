// RSSM.observe's cheaper paths against the straightforward one: the isFirstHost hint (bit-identical), the
// step-by-step reference loop over obsStep that observe was before it was restructured (within float rounding),
// and the fused scan (the default path) against the unfused per-step ops (within float rounding, same samples).
import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { CpuDevice, scope, tensor, type Device, type Tensor } from '@twist/kernels';
import { makeConfig, RSSM, WorldModel, type Batch, type SequenceLatents } from '../src/index.js';
import { cpu, expectClose, gpuOrNull, randomArray } from './harness.js';

const gpuDev = await gpuOrNull();
const devices: Device[] = gpuDev ? [cpu, gpuDev] : [cpu];

const cfg = makeConfig('debug', { rssm: { deter: 24, hidden: 20, stoch: 4, classes: 5 } }).rssm;
const [E, NA] = [7, 3];

/** The observe loop as it was written first: obsStep at every step, reset masks at every step. */
function referenceObserve(rssm: RSSM, embeds: A.Var, actions: A.Var, isFirst: Tensor, start?: { deter: A.Var; stoch: A.Var }): SequenceLatents {
  const [B, T] = embeds.shape;
  const firstMask = A.constant(isFirst);
  let state: { deter: A.Var; stoch: A.Var } = start ?? rssm.initial(embeds.device, B);
  const deters: A.Var[] = [];
  const stochs: A.Var[] = [];
  const posts: A.Var[] = [];
  const priors: A.Var[] = [];
  for (let t = 0; t < T; t++) {
    const keep = A.affine(A.slice(firstMask, [0, t], [B, 1]), -1, 1);
    const prev = { deter: A.mul(state.deter, keep), stoch: A.mul(state.stoch, A.reshape(keep, [B, 1, 1])) };
    const a = A.mul(A.reshape(A.slice(actions, [0, t, 0], [B, 1, NA]), [B, NA]), keep);
    const e = A.reshape(A.slice(embeds, [0, t, 0], [B, 1, E]), [B, E]);
    const { post, prior } = rssm.obsStep(prev, a, e);
    deters.push(post.deter);
    stochs.push(post.stoch);
    posts.push(post.logits);
    priors.push(prior.logits);
    state = post;
  }
  return { deter: A.stack(deters, 1), stoch: A.stack(stochs, 1), postLogits: A.stack(posts, 1), priorLogits: A.stack(priors, 1) };
}

interface Case {
  name: string;
  B: number;
  T: number;
  /** isFirst [B, T] */
  first: (b: number, t: number) => number;
  start?: boolean;
}

const CASES: Case[] = [
  { name: 'episode starts at t = 0 only (replay windows)', B: 3, T: 7, first: (_, t) => (t === 0 ? 1 : 0) },
  { name: 'starts inside the sequence for some rows', B: 4, T: 9, first: (b, t) => (t === 0 || (b === 1 && t === 4) || (b > 1 && t === 6) ? 1 : 0) },
  { name: 'no start at all, from a given state', B: 2, T: 5, first: () => 0, start: true },
  { name: 'no start at all, from zeros', B: 2, T: 4, first: () => 0 },
  { name: 'starts at t = 0 and 2, from a given state', B: 3, T: 5, first: (b, t) => (t === 0 || (t === 2 && b === 0) ? 1 : 0), start: true },
];

interface Out {
  latents: Float32Array[];
  grads: Float32Array[];
  rngOffset: number;
  dispatches: number;
}

/** Observes with `how`, then the gradients of a random projection of every output wrt the parameters and inputs. */
async function run(dev: Device, c: Case, how: (rssm: RSSM, e: A.Var, a: A.Var, first: Tensor, host: Float32Array, start?: { deter: A.Var; stoch: A.Var }) => SequenceLatents, rssmCfg = cfg): Promise<Out> {
  const rssm = new RSSM({ device: dev, seed: 5 }, rssmCfg, NA, E);
  rssm.rngOffset = 17;
  const { B, T } = c;
  const host = new Float32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) host[b * T + t] = c.first(b, t);
  const out = scope(() => {
    const embeds = A.variable(tensor(dev, randomArray(B * T * E, 1), [B, T, E]));
    const actions = A.variable(tensor(dev, randomArray(B * T * NA, 2), [B, T, NA]));
    const first = tensor(dev, host, [B, T]);
    const start = c.start
      ? {
          deter: A.variable(tensor(dev, randomArray(B * cfg.deter, 3), [B, cfg.deter])),
          stoch: A.variable(tensor(dev, randomArray(B * cfg.stoch * cfg.classes, 4, 0, 1), [B, cfg.stoch, cfg.classes])),
        }
      : undefined;
    const d0 = dev.stats().dispatches;
    const lat = how(rssm, embeds, actions, first, host, start);
    const outs = [rssm.feature(lat), lat.postLogits, lat.priorLogits];
    const loss = A.weightedSum(outs.map((o, i) => [A.sum(A.mul(o, A.constant(tensor(dev, randomArray(o.size, 10 + i), o.shape)))), 1] as [A.Var, number]));
    const wrt = [...rssm.parameters(), embeds, actions, ...(start ? [start.deter, start.stoch] : [])];
    const grads = A.grad(loss, wrt);
    return { latents: [lat.deter.value, lat.stoch.value, lat.postLogits.value, lat.priorLogits.value], grads, dispatches: dev.stats().dispatches - d0 };
  });
  const read = (ts: Tensor[]) => Promise.all(ts.map(async (t) => Float32Array.from(await t.toArray())));
  const res = { latents: await read(out.latents), grads: await read(out.grads), rngOffset: rssm.rngOffset, dispatches: out.dispatches };
  [...out.latents, ...out.grads].forEach((t) => t.dispose());
  rssm.dispose();
  return res;
}

describe.each(devices.map((d) => [d.backend, d] as const))('RSSM.observe (%s)', (_, dev) => {
  for (const c of CASES) {
    for (const path of ['unfused', 'fused'] as const) {
      it(`isFirstHost hint (${path}): bit-identical latents and gradients, fewer dispatches where no sequence starts: ${c.name}`, async () => {
        const plain = await run(dev, c, (r, e, a, f, _h, s) => r.observe(e, a, f, s, { path }));
        const hinted = await run(dev, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h, path }));
        expect(hinted.latents).toEqual(plain.latents);
        expect(hinted.grads).toEqual(plain.grads);
        expect(hinted.rngOffset).toBe(plain.rngOffset);
        const startsAt = (t: number) => Array.from({ length: c.B }, (_, b) => c.first(b, t)).some((v) => v !== 0);
        const quiet = Array.from({ length: c.T }, (_, t) => t).filter((t) => !startsAt(t)).length;
        // the fused scan masks inside its one dispatch; only the action mask (any start at all) is skippable
        if (path === 'unfused' ? quiet > 0 : quiet === c.T) expect(hinted.dispatches).toBeLessThan(plain.dispatches);
        else expect(hinted.dispatches).toBeLessThanOrEqual(plain.dispatches);
      });
    }
  }

  for (const c of CASES) {
    it(`the fused scan equals the unfused per-step ops within float rounding (same samples, same RNG counter), in far fewer dispatches: ${c.name}`, async () => {
      const ref = await run(dev, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h, path: 'unfused' }));
      const got = await run(dev, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h, path: 'fused' }));
      expect(got.rngOffset).toBe(ref.rngOffset);
      expect(got.latents[1]).toEqual(ref.latents[1]);
      const close = (x: Float32Array, y: Float32Array, what: string) => expectClose(x, y, { atol: 2e-5, rtol: 1e-4 }, what);
      got.latents.forEach((x, i) => close(x, ref.latents[i], `latent ${i}`));
      got.grads.forEach((x, i) => close(x, ref.grads[i], `gradient ${i}`));
      expect(got.dispatches * 2).toBeLessThan(ref.dispatches);
    });
  }

  it('with an action embedding (rssm.actionEmbed), observe equals the obsStep loop too, gradients included', async () => {
    const withEmbed = { ...cfg, actionEmbed: 6 };
    const c = CASES[1];
    const ref = await run(dev, c, (r, e, a, f, _h, s) => referenceObserve(r, e, a, f, s), withEmbed);
    const got = await run(dev, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h }), withEmbed);
    expect(got.latents[1]).toEqual(ref.latents[1]);
    got.latents.forEach((x, i) => expectClose(x, ref.latents[i], { atol: 2e-5, rtol: 1e-4 }, `latent ${i}`));
    got.grads.forEach((x, i) => expectClose(x, ref.grads[i], { atol: 2e-5, rtol: 1e-4 }, `gradient ${i}`));
    // the embedding's parameters are there and receive gradient
    const plain = await run(dev, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h }));
    expect(got.grads.length).toBe(plain.grads.length + 4); // actEmbed weight, bias; actNorm gamma, beta
    expect(got.grads[0].length).toBe(NA * 6); // actEmbed.weight [NA, 6] comes first (registered first)
    expect(got.grads[0].some((g) => Math.abs(g) > 1e-6)).toBe(true);
  });

  for (const c of CASES) {
    it(`equals the step-by-step obsStep loop within float rounding (same samples, same RNG counter): ${c.name}`, async () => {
      const ref = await run(dev, c, (r, e, a, f, _h, s) => referenceObserve(r, e, a, f, s));
      const got = await run(dev, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h }));
      expect(got.rngOffset).toBe(ref.rngOffset);
      // The one-hot samples are drawn from the same counters of logits equal to ~1e-6, so they agree exactly.
      expect(got.latents[1]).toEqual(ref.latents[1]);
      // f32 sums in another order (split input layers, whole-sequence matmuls): a few ulps of the largest term.
      const close = (x: Float32Array, y: Float32Array, what: string) => expectClose(x, y, { atol: 2e-5, rtol: 1e-4 }, what);
      got.latents.forEach((x, i) => close(x, ref.latents[i], `latent ${i}`));
      got.grads.forEach((x, i) => close(x, ref.grads[i], `gradient ${i}`));
      expect(got.dispatches).toBeLessThanOrEqual(ref.dispatches);
    });
  }

  it('WorldModel passes batch.isFirstHost on: identical loss and gradients, fewer dispatches', async () => {
    const wcfg = makeConfig('debug', { stateSize: 4, actionSize: 2, seed: 3 });
    const wm = new WorldModel(dev, wcfg);
    const [B, T] = [3, 6];
    const host = new Float32Array(B * T);
    for (let b = 0; b < B; b++) host[b * T] = 1;
    const batch: Batch = {
      obs: tensor(dev, randomArray(B * T * 4, 1), [B, T, 4]),
      actions: tensor(dev, randomArray(B * T * 2, 2), [B, T, 2]),
      rewards: tensor(dev, randomArray(B * T, 3), [B, T]),
      isFirst: tensor(dev, host, [B, T]),
    };
    // the unfused path: there the hint skips the per-step reset masks (the fused scan has none to skip)
    wm.rssm.observePath = 'unfused';
    const step = async (b: Batch) => {
      wm.rssm.rngOffset = 0;
      const d0 = dev.stats().dispatches;
      const gs = scope(() => {
        const { loss } = wm.loss(b);
        return [loss.value, ...A.grad(loss, wm.parameters())];
      });
      const dispatches = dev.stats().dispatches - d0;
      const vals = await Promise.all(gs.map(async (t) => Float32Array.from(await t.toArray())));
      gs.forEach((t) => t.dispose());
      return { vals, dispatches };
    };
    const plain = await step(batch);
    const hinted = await step({ ...batch, isFirstHost: host });
    expect(hinted.vals).toEqual(plain.vals);
    expect(hinted.dispatches).toBeLessThan(plain.dispatches);
    expect(() => wm.loss({ ...batch, isFirstHost: new Float32Array(3) })).toThrow(/batch.isFirstHost must have B \* T = 18 entries/);
    Object.values(batch).forEach((t) => t.dispose());
    wm.dispose();
  });

  it('falls back to the per-step ops on a device that allows fewer storage buffers than the fused scan binds', async () => {
    if (dev.backend !== 'cpu') return;
    class Narrow extends CpuDevice {
      override limits() {
        return { ...super.limits(), maxStorageBuffersPerKernel: 8 };
      }
    }
    const narrow = new Narrow();
    const c = CASES[1];
    const fused = await run(narrow, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h, path: 'fused' }));
    const unfused = await run(narrow, c, (r, e, a, f, h, s) => r.observe(e, a, f, s, { isFirstHost: h, path: 'unfused' }));
    expect(fused.latents).toEqual(unfused.latents);
    expect(fused.dispatches).toBe(unfused.dispatches);
  });

  it('rejects an isFirstHost of the wrong length', () => {
    const rssm = new RSSM({ device: dev, seed: 5 }, cfg, NA, E);
    scope(() => {
      const e = A.constant(tensor(dev, randomArray(2 * 3 * E, 1), [2, 3, E]));
      const a = A.constant(tensor(dev, randomArray(2 * 3 * NA, 2), [2, 3, NA]));
      expect(() => rssm.observe(e, a, tensor(dev, new Float32Array(6), [2, 3]), undefined, { isFirstHost: new Float32Array(5) })).toThrow(
        /isFirstHost must have B \* T = 6 entries/,
      );
    });
    rssm.dispose();
  });
});
