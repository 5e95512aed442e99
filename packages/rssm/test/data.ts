/**
 * Synthetic sequence data for tests and examples: a known stochastic, action-driven dynamical system.
 * A damped 2-D oscillator: s' = R(w) s * decay + B a + noise, observed as state [x, y, vx, vy]-like features.
 */
import { tensor, type Device } from '@twist/kernels';
import type { Batch } from '../src/index.js';

export interface Rollouts {
  states: Float32Array; // [N, T, 4]
  actions: Float32Array; // [N, T, 2], actions[t] led to state t (zero at t = 0)
  rewards: Float32Array; // [N, T]
  N: number;
  T: number;
}

export function oscillator(N: number, T: number, seed: number, noise = 0.02): Rollouts {
  let s = seed >>> 0 || 1;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  const states = new Float32Array(N * T * 4);
  const actions = new Float32Array(N * T * 2);
  const rewards = new Float32Array(N * T);
  const w = 0.3;
  const c = Math.cos(w) * 0.97;
  const sn = Math.sin(w) * 0.97;
  for (let n = 0; n < N; n++) {
    let x = gauss();
    let y = gauss();
    for (let t = 0; t < T; t++) {
      let a0 = 0;
      let a1 = 0;
      if (t > 0) {
        a0 = Math.tanh(gauss());
        a1 = Math.tanh(gauss());
        const nx = c * x - sn * y + 0.3 * a0 + noise * gauss();
        const ny = sn * x + c * y + 0.3 * a1 + noise * gauss();
        x = nx;
        y = ny;
      }
      const o = (n * T + t) * 4;
      states[o] = x;
      states[o + 1] = y;
      states[o + 2] = x * x - y * y;
      states[o + 3] = 2 * x * y;
      actions[(n * T + t) * 2] = a0;
      actions[(n * T + t) * 2 + 1] = a1;
      rewards[n * T + t] = -(x * x + y * y);
    }
  }
  return { states, actions, rewards, N, T };
}

/** A [B, T] batch of sequences from rollouts (starting at t0), with isFirst at t0 when t0 = 0. */
export function batchOf(dev: Device, r: Rollouts, idx: number[], t0: number, T: number): Batch {
  const B = idx.length;
  const st = new Float32Array(B * T * 4);
  const ac = new Float32Array(B * T * 2);
  const rw = new Float32Array(B * T);
  const first = new Float32Array(B * T);
  idx.forEach((n, b) => {
    st.set(r.states.subarray((n * r.T + t0) * 4, (n * r.T + t0 + T) * 4), b * T * 4);
    ac.set(r.actions.subarray((n * r.T + t0) * 2, (n * r.T + t0 + T) * 2), b * T * 2);
    rw.set(r.rewards.subarray(n * r.T + t0, n * r.T + t0 + T), b * T);
    if (t0 === 0) first[b * T] = 1;
  });
  return {
    obs: tensor(dev, st, [B, T, 4]),
    actions: tensor(dev, ac, [B, T, 2]),
    rewards: tensor(dev, rw, [B, T]),
    isFirst: tensor(dev, first, [B, T]),
  };
}
