import { tensor, type Device, type Tensor } from '@twist/kernels';
import type { Replay } from '../replay/index.js';
import type { SplitMix } from '../rng.js';
import type { SacConfig } from './config.js';

/** One SAC batch of B transitions on the device. Dispose the tensors when done. */
export interface SacBatch {
  /** The actor's observation at t and t+1: u8 frame stacks [B, H, W, 3k] (oldest frame first), or f32 states [B, S]. */
  obs: Tensor;
  nextObs: Tensor;
  /** The critics' privileged state s_t and s_{t+1}: f32 [B, S]. */
  state: Tensor;
  nextState: Tensor;
  /** f32 [B, A]: the action taken at t. */
  action: Tensor;
  /** f32 [B]: the reward it earned. */
  reward: Tensor;
  /** f32 [B]: 0 where s_{t+1} is terminal (not at a time limit), else 1. */
  cont: Tensor;
}

/** The same batch on the host, with where each transition came from (episode id, t). */
export interface HostTransitions {
  B: number;
  obs: Uint8Array | Float32Array;
  nextObs: Uint8Array | Float32Array;
  state: Float32Array;
  nextState: Float32Array;
  action: Float32Array;
  reward: Float32Array;
  cont: Float32Array;
  episodeIds: number[];
  /** t of each transition (t -> t+1). */
  starts: number[];
}

/**
 * B transitions (t, t+1), uniform over all of them: the replay's own sampler draws windows of L = 2 steps (so
 * its RNG, saved in checkpoints, decides), and each window [t, t+1] becomes one transition. The replay stores at
 * index t+1 the action that LED to observation t+1 and the reward that came with it, so:
 *
 *   state = s_t, nextState = s_{t+1}, action = actions[t+1], reward = rewards[t+1], cont = 1 - terminal[t+1]
 *
 * Images: the frame stacks ending at t and t+1, frames t-k+1 .. t with indices below 0 clamped to the episode's
 * first frame (DrQ's FrameStack fills the stack with the first frame at reset), then DrQ's random shift (replicate
 * padding by `imagePad`, a crop at a uniform offset) drawn from `rng` for each stack separately.
 */
export function sampleTransitionsHost(replay: Replay, B: number, cfg: Pick<SacConfig, 'actorInput' | 'frameStack' | 'imagePad'>, rng: SplitMix): HostTransitions {
  const h = replay.sampleHost(B, 2, { obs: 'state' });
  const { stateSize: S, actionSize: A, imageShape } = replay.options;
  const out: HostTransitions = {
    B,
    obs: new Float32Array(0),
    nextObs: new Float32Array(0),
    state: new Float32Array(B * S),
    nextState: new Float32Array(B * S),
    action: new Float32Array(B * A),
    reward: new Float32Array(B),
    cont: new Float32Array(B),
    episodeIds: h.episodeIds,
    starts: h.starts,
  };
  for (let b = 0; b < B; b++) {
    // window b: rows 2b (t) and 2b + 1 (t + 1)
    out.state.set(h.state.subarray(2 * b * S, (2 * b + 1) * S), b * S);
    out.nextState.set(h.state.subarray((2 * b + 1) * S, (2 * b + 2) * S), b * S);
    out.action.set(h.actions.subarray((2 * b + 1) * A, (2 * b + 2) * A), b * A);
    out.reward[b] = h.rewards[2 * b + 1];
    out.cont[b] = h.cont[2 * b + 1];
  }
  if (cfg.actorInput === 'state') {
    out.obs = out.state;
    out.nextObs = out.nextState;
    return out;
  }
  if (!imageShape) throw new Error("sampleTransitions: the actor sees images (actorInput 'image') but the replay stores none (options.imageShape is not set)");
  const [H, W, C] = imageShape;
  const k = cfg.frameStack;
  const per = H * W * C * k;
  out.obs = new Uint8Array(B * per);
  out.nextObs = new Uint8Array(B * per);
  const shift = () => (cfg.imagePad > 0 ? [Math.floor(rng.next() * (2 * cfg.imagePad + 1)), Math.floor(rng.next() * (2 * cfg.imagePad + 1))] : [cfg.imagePad, cfg.imagePad]);
  for (let b = 0; b < B; b++) {
    const ep = replay.episode(h.episodeIds[b])!;
    const t = h.starts[b];
    const [dy0, dx0] = shift();
    stackFrames(out.obs, b * per, ep.image!, t, H, W, C, k, dy0 - cfg.imagePad, dx0 - cfg.imagePad);
    const [dy1, dx1] = shift();
    stackFrames(out.nextObs, b * per, ep.image!, t + 1, H, W, C, k, dy1 - cfg.imagePad, dx1 - cfg.imagePad);
  }
  return out;
}

/**
 * Writes the stack of frames t-k+1 .. t (clamped at 0) of one episode's images (u8 [T, H, W, C]) to
 * out[o ..] as [H, W, k C], shifted by (dy, dx) with edge replication: pixel (y, x) reads (y + dy, x + dx)
 * clamped to the image (DrQ's ReplicationPad2d + RandomCrop with crop offset pad + d).
 */
export function stackFrames(out: Uint8Array, o: number, images: Uint8Array, t: number, H: number, W: number, C: number, k: number, dy: number, dx: number): void {
  const kc = k * C;
  for (let j = 0; j < k; j++) {
    const base = Math.max(0, t - k + 1 + j) * H * W * C;
    for (let y = 0; y < H; y++) {
      const sy = Math.min(H - 1, Math.max(0, y + dy));
      for (let x = 0; x < W; x++) {
        const sx = Math.min(W - 1, Math.max(0, x + dx));
        const src = base + (sy * W + sx) * C;
        const dst = o + (y * W + x) * kc + j * C;
        for (let c = 0; c < C; c++) out[dst + c] = images[src + c];
      }
    }
  }
}

/** Uploads host transitions: one tensor per field (obs a view of state for a state actor). */
export function uploadTransitions(device: Device, h: HostTransitions, obsShape: readonly number[]): SacBatch {
  const made: Tensor[] = [];
  const up = (data: Float32Array | Uint8Array, shape: readonly number[]) => {
    const t = tensor(device, data, shape, data instanceof Uint8Array ? 'u8' : 'f32');
    made.push(t);
    return t;
  };
  try {
    const S = h.state.length / h.B;
    const state = up(h.state, [h.B, S]);
    const nextState = up(h.nextState, [h.B, S]);
    const image = h.obs instanceof Uint8Array;
    return {
      state,
      nextState,
      obs: image ? up(h.obs, [h.B, ...obsShape]) : state.reshape([h.B, S]),
      nextObs: image ? up(h.nextObs, [h.B, ...obsShape]) : nextState.reshape([h.B, S]),
      action: up(h.action, [h.B, h.action.length / h.B]),
      reward: up(h.reward, [h.B]),
      cont: up(h.cont, [h.B]),
    };
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}
