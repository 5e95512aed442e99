// Asymmetric SAC's parts against values computed by hand: the three losses, the Polyak update, the squashed
// Gaussian (gradients and samples), the transition pairing of the batch builder, frame stacks and random shifts,
// and the agent's update schedule (which parameters each step moves).
import { describe, expect, it } from 'vitest';
import * as A from '@twist/autograd';
import { tensor } from '@twist/kernels';
import { actorLoss, criticLoss, makeRunConfig, orthogonal, polyakUpdate, SacAgent, SplitMix, SquashedNormal, tdTarget, temperatureLoss, TwinQ, type SacConfig } from '../src/index.js';
import { Replay, sampleTransitionsHost, stackFrames, uploadTransitions } from '../src/node.js';
import { cpu, expectClose, gpuOrNull, hasGpu, read } from './harness.js';

const v = (xs: number[], grad = false) => (grad ? A.variable : A.constant)(tensor(cpu, Float32Array.from(xs), [xs.length]));
const vals = async (x: A.Var | import('@twist/kernels').Tensor) => Array.from(await read('value' in x ? x.value : x));

describe('SAC losses (DrQ update_critic / update_actor_and_alpha), by hand', () => {
  // B = 2; alpha = 0.2; gamma = 0.9
  it('TD target: r + gamma c (min of the target twins - alpha log pi), a constant', async () => {
    const q1n = v([2, 3], true);
    const q2n = v([2.5, 1], true);
    const y = tdTarget(v([1, 0.5]), v([1, 0]), q1n, q2n, v([-1, 0.5]), v([0.2]), 0.9);
    // min = [2, 1]; V = [2 + 0.2, 1 - 0.1] = [2.2, 0.9]; y = [1 + 0.9 * 2.2, 0.5 + 0 (terminal)] = [2.98, 0.5]
    expectClose(await vals(y), [2.98, 0.5], { atol: 1e-6, rtol: 0 });
    expect(y.requiresGrad).toBe(false);
  });

  it('critic loss: mse(Q1, y) + mse(Q2, y), gradient 2 (Q - y) / B', async () => {
    const q1 = v([3, 0], true);
    const q2 = v([2, 1], true);
    const y = v([2.98, 0.5]);
    const l = criticLoss(q1, q2, y);
    // ((0.02^2 + 0.5^2) + (0.98^2 + 0.5^2)) / 2 = (0.2504 + 1.2104) / 2
    expectClose(await vals(l), [0.7304], { atol: 1e-6, rtol: 0 });
    const [g1, g2] = A.grad(l, [q1, q2]);
    expectClose(Array.from(await read(g1)), [0.02, -0.5], { atol: 1e-6, rtol: 0 });
    expectClose(Array.from(await read(g2)), [-0.98, 0.5], { atol: 1e-6, rtol: 0 });
  });

  it('actor loss: mean(sg(alpha) log pi - min(Q1, Q2)); alpha gets no gradient from it', async () => {
    const logp = v([-1, 0.5], true);
    const qa1 = v([2, 3], true);
    const qa2 = v([2.5, 1], true);
    const alpha = v([0.2], true);
    const l = actorLoss(logp, qa1, qa2, alpha);
    // [-0.2 - 2, 0.1 - 1] -> mean -1.55
    expectClose(await vals(l), [-1.55], { atol: 1e-6, rtol: 0 });
    const [gl, g1, g2, ga] = A.grad(l, [logp, qa1, qa2, alpha]);
    expectClose(Array.from(await read(gl)), [0.1, 0.1], { atol: 1e-6, rtol: 0 });
    expectClose(Array.from(await read(g1)), [-0.5, 0], { atol: 1e-6, rtol: 0 }); // min is Q1 in row 0
    expectClose(Array.from(await read(g2)), [0, -0.5], { atol: 1e-6, rtol: 0 }); // and Q2 in row 1
    expectClose(Array.from(await read(ga)), [0], { atol: 0, rtol: 0 });
  });

  it('temperature loss: mean(alpha (-sg(log pi) - target)), gradient w.r.t. log alpha only', async () => {
    const logAlpha = v([Math.log(0.2)], true);
    const logp = v([-1, 0.5], true);
    const l = temperatureLoss(logAlpha, logp, -1);
    // gap = [1 + 1, -0.5 + 1] = [2, 0.5]; loss = 0.2 * 1.25; d/d log alpha = alpha * mean(gap)
    expectClose(await vals(l), [0.25], { atol: 1e-6, rtol: 0 });
    const [gA, gP] = A.grad(l, [logAlpha, logp]);
    expectClose(Array.from(await read(gA)), [0.25], { atol: 1e-6, rtol: 0 });
    expectClose(Array.from(await read(gP)), [0, 0], { atol: 0, rtol: 0 });
    // entropy above the target (-log pi = [3, 2] > -(-1)... with target 4 it is below): the sign flips
    const [gLow] = A.grad(temperatureLoss(logAlpha, logp, 4), [logAlpha]); // gap = [1 - 4, -0.5 - 4]
    expectClose(Array.from(await read(gLow)), [0.2 * ((-3 - 4.5) / 2)], { atol: 1e-6, rtol: 0 });
  });
});

describe('Polyak update', () => {
  it('target <- tau online + (1 - tau) target, every parameter', async () => {
    const ctx = { device: cpu, seed: 1 };
    const online = new TwinQ(ctx, 1, 1, [2], 'a');
    const target = new TwinQ(ctx, 1, 1, [2], 'b');
    const before = await Promise.all(target.parameters().map((p) => vals(p)));
    const src = await Promise.all(online.parameters().map((p) => vals(p)));
    polyakUpdate(target, online, 0.25);
    const after = await Promise.all(target.parameters().map((p) => vals(p)));
    expect(after.length).toBe(8); // two MLPs of (weight, bias) x 2 layers
    after.forEach((a, i) => expectClose(a, a.map((_, j) => 0.25 * src[i][j] + 0.75 * before[i][j]), { atol: 1e-7, rtol: 0 }, `param ${i}`));
    // and at least one weight actually moved (the two nets start different)
    expect(after.some((a, i) => a.some((x, j) => x !== before[i][j]))).toBe(true);
    online.dispose();
    target.dispose();
  });
});

describe('SquashedNormal (tanh-Gaussian with the log-det correction)', () => {
  const N = 3;
  const muData = Float32Array.from([0.3, -0.8, 0.1, 1.2, -0.4, 0.6]);
  const sData = Float32Array.from([-0.5, 0.2, 0.7, -0.9, 0.1, -0.2]);
  const epsData = Float32Array.from([0.5, -1.1, 0.2, 0.9, -0.3, 1.4]);

  it('log std = min + (max - min)(tanh(s) + 1) / 2 and log pi by hand', async () => {
    const d = SquashedNormal.fromActorOutput(A.constant(tensor(cpu, Float32Array.from([0.3, 0.5]), [1, 2])), -10, 2);
    const ls = -10 + 6 * (Math.tanh(0.5) + 1);
    expectClose(await vals(d.logStd), [ls], { atol: 1e-5, rtol: 0 });
    const { action, logProb } = d.sampleWith(A.constant(tensor(cpu, Float32Array.of(0.7), [1, 1])));
    const u = 0.3 + Math.exp(ls) * 0.7;
    const expected = -0.5 * 0.7 ** 2 - ls - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - Math.tanh(u) ** 2);
    expectClose(await vals(action), [Math.tanh(u)], { atol: 1e-6, rtol: 0 });
    expectClose(await vals(logProb), [expected], { atol: 1e-4, rtol: 0 });
    expectClose(await vals(d.mode()), [Math.tanh(0.3)], { atol: 1e-6, rtol: 0 });
  });

  it('gradcheck: the reparameterised action and log pi w.r.t. mu and s; logProb(a) w.r.t. mu and s', async () => {
    const eps = A.constant(tensor(cpu, epsData, [N, 2]));
    await A.gradcheck(
      (mu, s) => {
        const d = SquashedNormal.fromActorOutput(A.concat([mu, s], -1), -5, 2);
        const { action, logProb } = d.sampleWith(eps);
        return A.concat([action, A.reshape(logProb, [N, 1])], -1);
      },
      [
        { data: muData, shape: [N, 2] },
        { data: sData, shape: [N, 2] },
      ],
      { eps: 1e-2, atol: 2e-3, rtol: 2e-2, device: cpu },
    );
    const a = A.constant(tensor(cpu, Float32Array.from([0.2, -0.7, 0.5, 0.9, -0.1, 0.3]), [N, 2]));
    await A.gradcheck((mu, s) => SquashedNormal.fromActorOutput(A.concat([mu, s], -1), -5, 2).logProb(a), [
      { data: muData, shape: [N, 2] },
      { data: sData, shape: [N, 2] },
    ], { device: cpu });
  });

  it('samples: atanh(a) ~ N(mu, std); logProb(sample) matches sample()s log pi; the density integrates to 1 and fits the histogram', async () => {
    const M = 20_000;
    const mu = [0.3, -1.0];
    const ls = [Math.log(0.5), Math.log(1.2)];
    const rep = (x: number[]) => A.constant(tensor(cpu, Float32Array.from({ length: M * 2 }, (_, i) => x[i % 2]), [M, 2]));
    const d = new SquashedNormal(rep(mu), rep(ls));
    const { action, logProb } = d.sample({ seed: 42, offset: 0 });
    const a = await vals(action);
    const lp = await vals(logProb);
    const lp2 = await vals(d.logProb(action));
    for (let k = 0; k < 2; k++) {
      const u = a.filter((_, i) => i % 2 === k).map((x) => Math.atanh(Math.min(1 - 1e-7, Math.max(-1 + 1e-7, x))));
      const m = u.reduce((p, q) => p + q, 0) / M;
      const sd = Math.sqrt(u.reduce((p, q) => p + (q - m) ** 2, 0) / M);
      const std = Math.exp(ls[k]);
      expect(Math.abs(m - mu[k])).toBeLessThan((4 * std) / Math.sqrt(M)); // 4 standard errors
      expect(Math.abs(sd / std - 1)).toBeLessThan(0.03);
    }
    // where tanh(u) is not saturated in f32, log pi recomputed from the action agrees
    let n = 0;
    for (let i = 0; i < M; i++) {
      if (Math.abs(a[2 * i]) < 0.99 && Math.abs(a[2 * i + 1]) < 0.99) {
        n++;
        expect(Math.abs(lp[i] - lp2[i])).toBeLessThan(2e-3);
      }
    }
    expect(n).toBeGreaterThan(M / 2);
    // per dimension: density on a grid from the device's logProb, its integral, and the sample histogram
    const G = 4000;
    const grid = Float32Array.from({ length: G }, (_, i) => -1 + (2 * (i + 0.5)) / G);
    for (let k = 0; k < 2; k++) {
      const dk = new SquashedNormal(
        A.constant(tensor(cpu, new Float32Array(G).fill(mu[k]), [G, 1])),
        A.constant(tensor(cpu, new Float32Array(G).fill(ls[k]), [G, 1])),
      );
      const dens = (await vals(dk.logProb(A.constant(tensor(cpu, grid, [G, 1]))))).map(Math.exp);
      const integral = dens.reduce((p, q) => p + q, 0) * (2 / G);
      expect(Math.abs(integral - 1)).toBeLessThan(0.01);
      const bins = 10;
      const hist = new Array(bins).fill(0);
      for (let i = 0; i < M; i++) hist[Math.min(bins - 1, Math.floor(((a[2 * i + k] + 1) / 2) * bins))]++;
      for (let b = 0; b < bins; b++) {
        const p = dens.slice((b * G) / bins, ((b + 1) * G) / bins).reduce((x, y) => x + y, 0) * (2 / G);
        expect(Math.abs(hist[b] / M - p), `dim ${k} bin ${b}`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / M) + 1e-3);
      }
    }
  });
});

describe('orthogonal init', () => {
  it('gives orthonormal columns (tall) or rows (wide)', () => {
    for (const [r, c] of [
      [7, 3],
      [3, 7],
      [5, 5],
    ]) {
      const w = orthogonal(r, c, new SplitMix(3));
      const n = Math.min(r, c);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let d = 0;
          for (let k = 0; k < Math.max(r, c); k++) d += r >= c ? w[k * c + i] * w[k * c + j] : w[i * c + k] * w[j * c + k];
          expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
    }
  });
});

/**
 * A replay of 3 episodes whose every field names its episode and step; images: channel 0 = 50 e + t (the
 * frame), channel 1 = y H + x (the pixel), channel 2 = 0.
 */
function labelledReplay(opts: { image: boolean; H?: number }) {
  const H = opts.H ?? 4;
  const P = H * H * 3;
  const replay = new Replay({ stateSize: 2, actionSize: 1, capacity: 1000, imageShape: opts.image ? [H, H, 3] : null, seed: 9 });
  const lengths = [6, 9, 5];
  lengths.forEach((T, e) => {
    for (let t = 0; t < T; t++) {
      const last = t === T - 1;
      replay.add(0, {
        state: Float32Array.of(100 * e + t, -t),
        ...(opts.image ? { image: Uint8Array.from({ length: P }, (_, i) => (i % 3 === 0 ? 50 * e + t : i % 3 === 1 ? Math.floor(i / 3) : 0)) } : {}),
        action: Float32Array.of(t === 0 ? 0 : 0.01 * t + e),
        reward: t === 0 ? 0 : t + 0.5,
        isFirst: t === 0,
        isLast: last,
        isTerminal: last && e === 1, // episode 1 ends by termination, the others by the time limit
      });
    }
  });
  return { replay, lengths, P };
}

describe('transitions from the replay', () => {
  it('pair s_t with the action and reward stored at t+1 (the ones that led to obs t+1), cont = 1 - terminal[t+1]', () => {
    const { replay, lengths } = labelledReplay({ image: false });
    const h = sampleTransitionsHost(replay, 200, { actorInput: 'state', frameStack: 1, imagePad: 0 }, new SplitMix(0));
    const ts = new Set<string>();
    for (let b = 0; b < 200; b++) {
      const e = h.episodeIds[b];
      const t = h.starts[b];
      ts.add(`${e}:${t}`);
      expect(t + 1).toBeLessThan(lengths[e]);
      expect([h.state[2 * b], h.state[2 * b + 1]]).toEqual([100 * e + t, -t]);
      expect(h.nextState[2 * b]).toBe(100 * e + t + 1);
      expect(h.action[b]).toBeCloseTo(0.01 * (t + 1) + e, 6);
      expect(h.reward[b]).toBe(t + 1.5);
      expect(h.cont[b]).toBe(e === 1 && t + 1 === lengths[1] - 1 ? 0 : 1);
      expect(h.obs[2 * b]).toBe(h.state[2 * b]); // the state actor sees s_t itself
    }
    // every transition of every episode is drawn (uniform over 5 + 8 + 4 = 17 windows)
    expect(ts.size).toBe(17);
  });

  it('frame stacks end at t and t+1, the first frame repeated before the episode start (DrQ FrameStack)', () => {
    const { replay, P } = labelledReplay({ image: true });
    const k = 3;
    const h = sampleTransitionsHost(replay, 100, { actorInput: 'image', frameStack: k, imagePad: 0 }, new SplitMix(0));
    for (let b = 0; b < 100; b++) {
      const e = h.episodeIds[b];
      const t = h.starts[b];
      for (const [img, end] of [
        [h.obs, t],
        [h.nextObs, t + 1],
      ] as const) {
        const stack = img.subarray(b * P * k, (b + 1) * P * k);
        // channels [frame j: 3 channels] per pixel, oldest first
        for (let px = 0; px < P / 3; px++) {
          for (let j = 0; j < k; j++) {
            expect(stack[px * 3 * k + 3 * j]).toBe(50 * e + Math.max(0, end - k + 1 + j));
            expect(stack[px * 3 * k + 3 * j + 1]).toBe(px); // unshifted
          }
        }
      }
    }
  });

  it('the random shift reads pixel (y + d, x + d) with edge replication, d uniform in [-pad, pad], separately for obs and next obs', () => {
    const H = 6;
    const img = Uint8Array.from({ length: H * H * 3 }, (_, i) => Math.floor(i / 3)); // value = y * H + x
    const out = new Uint8Array(H * H * 3);
    stackFrames(out, 0, img, 0, H, H, 3, 1, 2, -1);
    for (let y = 0; y < H; y++) for (let x = 0; x < H; x++) expect(out[(y * H + x) * 3]).toBe(Math.min(H - 1, y + 2) * H + Math.max(0, x - 1));
    // through the batch builder: pixel (2, 2) of channel 1 gives each stack's offset (dy, dx)
    const { replay } = labelledReplay({ image: true, H: 8 });
    const h = sampleTransitionsHost(replay, 300, { actorInput: 'image', frameStack: 1, imagePad: 2 }, new SplitMix(1));
    const P = 8 * 8 * 3;
    const offsets = (img: Uint8Array | Float32Array, b: number) => {
      const px = img[b * P + (2 * 8 + 2) * 3 + 1];
      return [Math.floor(px / 8) - 2, (px % 8) - 2];
    };
    const seen = new Set<string>();
    let differ = 0;
    for (let b = 0; b < 300; b++) {
      const [dy, dx] = offsets(h.obs, b);
      const [ny, nx] = offsets(h.nextObs, b);
      for (const d of [dy, dx, ny, nx]) expect(Math.abs(d)).toBeLessThanOrEqual(2);
      seen.add(`${dy},${dx}`);
      if (dy !== ny || dx !== nx) differ++;
      // the whole stack moves together: pixel (0, 0) is (dy, dx) clamped at the border
      expect(h.obs[b * P + 1]).toBe(Math.max(0, dy) * 8 + Math.max(0, dx));
    }
    expect(seen.size).toBe(25); // all 5 x 5 offsets occur
    expect(differ).toBeGreaterThan(200); // obs and next obs are shifted independently
  });

  it('uploads as tensors of the agent input shapes', async () => {
    const { replay } = labelledReplay({ image: true });
    const h = sampleTransitionsHost(replay, 5, { actorInput: 'image', frameStack: 2, imagePad: 1 }, new SplitMix(0));
    const b = uploadTransitions(cpu, h, [4, 4, 6]);
    expect(b.obs.shape).toEqual([5, 4, 4, 6]);
    expect(b.obs.dtype).toBe('u8');
    expect(b.state.shape).toEqual([5, 2]);
    expect(b.reward.shape).toEqual([5]);
    expect(Array.from(await b.reward.toArray())).toEqual(Array.from(h.reward));
    for (const t of Object.values(b)) t.dispose();
  });
});

const tinySac = (over: Partial<SacConfig> = {}): SacConfig =>
  ({
    ...makeRunConfig('asym-sac', { name: 'x', stateSize: 2, actionSize: 1 }, 'debug', 0, 1).agent.sac,
    encoder: { filters: 4, strides: [2], feature: 4 },
    actorLayers: [8],
    criticLayers: [8],
    ...over,
  }) as SacConfig;

describe('SacAgent', () => {
  const obs = { stateSize: 2, actionSize: 1, imageSize: 8, imageChannels: 3 };
  const snap = async (m: A.Module) => Promise.all(m.parameters().map((p) => vals(p)));
  const same = (a: number[][], b: number[][]) => a.every((x, i) => x.every((y, j) => y === b[i][j]));

  it('critics step every update, actor and alpha every actorEvery, targets by Polyak every targetEvery; the encoder learns from the actor loss', async () => {
    const agent = new SacAgent(cpu, obs, tinySac({ actorEvery: 2, targetEvery: 2, tau: 0.5, frameStack: 2 }), 3);
    const { replay } = labelledReplay({ image: true, H: 8 });
    const batch = () => uploadTransitions(cpu, sampleTransitionsHost(replay, 6, agent.cfg, agent.augRng), agent.obsShape);
    // target starts as a copy of the critic
    expect(same(await snap(agent.criticTarget), await snap(agent.critic))).toBe(true);
    const actor0 = await snap(agent.actor);
    const critic0 = await snap(agent.critic);
    const alpha0 = await vals(agent.temperature.logAlpha);
    const target0 = await snap(agent.criticTarget);
    let b = batch();
    const m0 = await agent.update(b); // update 0: critic, actor, alpha, Polyak
    expect(Object.keys(m0).sort()).toEqual(['actorGradNorm', 'actorLoss', 'alpha', 'alphaLoss', 'criticGradNorm', 'criticLoss', 'entropy', 'q', 'target']);
    const actor1 = await snap(agent.actor);
    for (const t of [...Object.values(b), ...Object.values(m0)]) t?.dispose();
    const critic1 = await snap(agent.critic);
    // every actor parameter moved, the conv encoder's included: the actor loss trains it (no other loss reaches it)
    const names = agent.actor.namedParameters().map(([n]) => n);
    expect(names.filter((_, i) => same([actor1[i]], [actor0[i]]))).toEqual([]);
    expect(names[0]).toBe('encoder.conv0.weight');
    expect(same(critic1, critic0)).toBe(false);
    expect((await vals(agent.temperature.logAlpha))[0]).not.toBe(alpha0[0]);
    const target1 = await snap(agent.criticTarget);
    target1.forEach((p, i) => expectClose(p, p.map((_, j) => 0.5 * critic1[i][j] + 0.5 * target0[i][j]), { atol: 1e-7, rtol: 0 }, `target param ${i}`));
    b = batch();
    const m1 = await agent.update(b); // update 1: critic only
    expect(m1.actorLoss).toBeUndefined();
    for (const t of [...Object.values(b), ...Object.values(m1)]) t?.dispose();
    expect(same(await snap(agent.actor), actor1)).toBe(true);
    expect(same(await snap(agent.criticTarget), target1)).toBe(true);
    expect(same(await snap(agent.critic), critic1)).toBe(false);
    expect(agent.counters().updates).toBe(2);
    agent.dispose();
  });

  it('acting stacks frames as the batch builder does: the same input gives the same action, bit for bit', async () => {
    const k = 3;
    const agent = new SacAgent(cpu, obs, tinySac({ frameStack: k }), 5);
    const P = 8 * 8 * 3;
    const frames = Array.from({ length: 4 }, (_, t) => Uint8Array.from({ length: P }, (_, i) => (i * 7 + t * 31) % 256));
    const all = new Uint8Array(4 * P);
    frames.forEach((f, t) => all.set(f, t * P));
    for (let t = 0; t < 4; t++) {
      const x = tensor(cpu, frames[t], [1, 8, 8, 3], 'u8');
      const acted = await agent.act(x, [t === 0 ? 1 : 0], 'mode');
      x.dispose();
      const stack = new Uint8Array(P * k);
      stackFrames(stack, 0, all, t, 8, 8, 3, k, 0, 0);
      const direct = A.noGrad(() => agent.actor.dist(agent.preprocess(tensor(cpu, stack, [1, 8, 8, 3 * k], 'u8'))).mode());
      expect(Array.from(acted)).toEqual(await vals(direct));
    }
    // a new episode in the same env (isFirst) refills the stack with its first frame
    const x0 = tensor(cpu, frames[0], [1, 8, 8, 3], 'u8');
    const restarted = await agent.act(x0, [1], 'mode');
    agent.resetPolicy();
    const fresh = await agent.act(x0, [1], 'mode');
    expect(Array.from(restarted)).toEqual(Array.from(fresh));
    agent.dispose();
  });

  it('samples differ from the mode and stay in (-1, 1); counters round-trip', async () => {
    const agent = new SacAgent(cpu, obs, tinySac({ actorInput: 'state' }), 1);
    const s = tensor(cpu, Float32Array.from([0.1, 0.2, -0.3, 0.4]), [2, 2]);
    const a = await agent.act(s, [1, 1], 'sample');
    const m = await agent.act(s, [0, 0], 'mode');
    expect(a.every((x) => Math.abs(x) < 1)).toBe(true);
    expect(Array.from(a)).not.toEqual(Array.from(m));
    const c = agent.counters();
    expect(c.rngOffset).toBe(2);
    const other = new SacAgent(cpu, obs, tinySac({ actorInput: 'state' }), 1);
    other.restoreCounters(c);
    expect(other.counters()).toEqual(c);
    expect(() => other.restoreCounters({ rssmRngOffset: 0 } as never)).toThrow(/expected \{ updates, rngOffset, augRng \} from a SAC checkpoint/);
    agent.dispose();
    other.dispose();
  });

  it.skipIf(!hasGpu)('one update on WebGPU agrees with the CPU reference (same init, same batch)', async () => {
    const gpu = (await gpuOrNull())!;
    const cfg = tinySac({ actorEvery: 1, frameStack: 2, imagePad: 1 });
    const run = async (dev: typeof cpu) => {
      const { replay } = labelledReplay({ image: true, H: 8 }); // the same draw for both
      const agent = new SacAgent(dev, obs, cfg, 11);
      const h = sampleTransitionsHost(replay, 6, agent.cfg, agent.augRng);
      const b = uploadTransitions(dev, h, agent.obsShape);
      const m = await agent.update(b);
      const out = { criticLoss: await vals(m.criticLoss), actorLoss: await vals(m.actorLoss!), actor: await snap(agent.actor), critic: await snap(agent.critic), target: await snap(agent.criticTarget) };
      for (const t of [...Object.values(b), ...Object.values(m)]) t?.dispose();
      agent.dispose();
      return out;
    };
    const c = await run(cpu);
    const g = await run(gpu as unknown as typeof cpu);
    const tol = { atol: 1e-4, rtol: 1e-3 };
    expectClose(g.criticLoss, c.criticLoss, tol, 'criticLoss');
    expectClose(g.actorLoss, c.actorLoss, tol, 'actorLoss');
    for (const k of ['actor', 'critic', 'target'] as const) g[k].forEach((p, i) => expectClose(p, c[k][i], tol, `${k} param ${i}`));
  });
});
