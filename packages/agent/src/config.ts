/**
 * Agent configuration: DreamerV2's actor-critic and training-loop defaults for DMC (REFERENCE-FACTS
 * section 1: `dmc_vision`/`dmc_proprio` overrides) as the `paper` preset, and smaller presets for CPUs and
 * software WebGPU. Every deviation from V2 is named where it is set.
 */
import { showValue } from '@twist/kernels';
export interface BehaviourConfig {
  /** Actor MLP widths on the feature [h, z] (V2: 4 x 400 ELU); output 2A (mean, std) for the truncated normal. */
  actorLayers: number[];
  /** Critic MLP widths (V2: 4 x 400 ELU), output one value (N(out, 1)). */
  criticLayers: number[];
  act: 'elu' | 'silu';
  /**
   * World-model updates before behaviour learning starts (0 = V2: both from the first update). A deviation
   * option: an underfit early model has been seen to drive the actor's tanh mean into saturation, where its
   * gradient vanishes for good (results/oracle-cartpole-balance-quick).
   */
  warmup: number;
  /** LayerNorm before each hidden activation of actor and critic (DreamerV3); V2: none. */
  norm: boolean;
  /** Imagination horizon H (V2: 15). */
  horizon: number;
  discount: number;
  lambda: number;
  /** Entropy bonus scale (V2 DMC: 1e-4). */
  actorEntropy: number;
  /** 'dynamics' (V2 default for continuous actions) or 'reinforce' (discrete actions option). */
  actorGrad: 'dynamics' | 'reinforce';
  /** Min std of the truncated normal: std = 2 sigmoid(s/2) + minStd (V2: 0.1). */
  minStd: number;
  actorOpt: { lr: number; eps: number; clip: number; weightDecay: number };
  criticOpt: { lr: number; eps: number; clip: number; weightDecay: number };
  /** Hard copy of the critic into the slow critic every this many updates (V2: 100, fraction 1, also at update 0). */
  slowTargetEvery: number;
  /**
   * Imagination starts: 0 = every posterior state of the batch (B x T, V2); n > 0 = a uniformly drawn subset
   * of n of them (a CPU preset's saving; stated where used).
   */
  imagStarts: number;
  /** DreamerV3 percentile return normalisation (5%/95%, EMA 0.01, scale max(1, hi - lo)); off in V2. */
  returnNorm: boolean;
  /**
   * Actor-critic updates per world-model update, each from the same batch's posterior states (a fresh subset
   * of starts each time when imagStarts > 0): 1 in V2. More lets the policy keep up with a model it lags
   * (results/oracle-cartpole-balance-quick-actionembed/probes-30k.md). Optional: absent (older run.json) = 1.
   */
  repeats?: number;
}

export interface LoopConfig {
  /** Sequences per batch and their length (V2: 16 x 50). */
  batch: number;
  length: number;
  /** One update every trainEvery policy steps (V2: 5), trainSteps updates each time (V2: 1). */
  trainEvery: number;
  trainSteps: number;
  /** Random-action policy steps before learning starts (V2 DMC: 1000 frames = 500 policy steps... see below). */
  prefill: number;
  /** Updates right after prefill (V2: 100). */
  pretrain: number;
  /** Parallel environments. */
  envs: number;
  /** Replay capacity in steps (V2: 2e6). */
  replayCapacity: number;
  /** Evaluate every this many env steps (frames), with evalEpisodes episodes of the actor's mode. */
  evalEvery: number;
  evalEpisodes: number;
  /** Checkpoint every this many env steps (frames). */
  checkpointEvery: number;
  /** Log metrics every this many updates. */
  logEvery: number;
}

export interface AgentConfig {
  behaviour: BehaviourConfig;
  loop: LoopConfig;
}

const PAPER: AgentConfig = {
  behaviour: {
    actorLayers: [400, 400, 400, 400],
    criticLayers: [400, 400, 400, 400],
    act: 'elu',
    norm: false,
    warmup: 0,
    horizon: 15,
    discount: 0.99,
    lambda: 0.95,
    actorEntropy: 1e-4,
    actorGrad: 'dynamics',
    minStd: 0.1,
    actorOpt: { lr: 8e-5, eps: 1e-5, clip: 100, weightDecay: 1e-6 },
    criticOpt: { lr: 8e-5, eps: 1e-5, clip: 100, weightDecay: 1e-6 },
    slowTargetEvery: 100,
    imagStarts: 0,
    returnNorm: false,
    repeats: 1,
  },
  loop: {
    batch: 16,
    length: 50,
    trainEvery: 5,
    trainSteps: 1,
    // V2's prefill is counted in policy steps (1000 for DMC configs: `prefill: 1000`, `step` = policy steps).
    prefill: 1000,
    pretrain: 100,
    envs: 1,
    replayCapacity: 2_000_000,
    evalEvery: 10_000,
    evalEpisodes: 10,
    checkpointEvery: 10_000,
    logEvery: 10,
  },
};

export const AGENT_PRESETS = {
  paper: PAPER,
  /**
   * Sized for the 2-core machine with software WebGPU. Deviations from V2, all for wall-clock: actor and
   * critic 2 x 256 (V2 4 x 400), imagination from 256 of the 800 posterior states (V2: all), batch 16 x 32
   * (V2 16 x 50), prefill 2500 policy steps (5 episodes), evaluation every 5000 frames.
   */
  quick: {
    behaviour: { ...PAPER.behaviour, actorLayers: [256, 256], criticLayers: [256, 256], imagStarts: 256 },
    loop: { ...PAPER.loop, length: 32, prefill: 2500, pretrain: 100, evalEvery: 5000, evalEpisodes: 5, checkpointEvery: 5000, replayCapacity: 1_000_000 },
  },
  /** Tiny, for tests and smoke runs: every size small, short sequences. */
  debug: {
    behaviour: { ...PAPER.behaviour, actorLayers: [32, 32], criticLayers: [32, 32], imagStarts: 0, horizon: 8, actorOpt: { ...PAPER.behaviour.actorOpt, lr: 1e-3 }, criticOpt: { ...PAPER.behaviour.criticOpt, lr: 1e-3 } },
    loop: { ...PAPER.loop, batch: 8, length: 16, prefill: 200, pretrain: 10, evalEvery: 2000, evalEpisodes: 2, checkpointEvery: 2000, logEvery: 5, replayCapacity: 100_000 },
  },
} satisfies Record<string, AgentConfig>;

export type AgentPresetName = keyof typeof AGENT_PRESETS;

export function validateAgentConfig(c: AgentConfig): void {
  const bad = (key: string, want: string, got: unknown) => {
    throw new Error(`agent config: '${key}' must be ${want}, got ${showValue(got)}`);
  };
  const b = c.behaviour;
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  for (const k of ['actorLayers', 'criticLayers'] as const) if (!Array.isArray(b[k]) || !b[k].every(posInt)) bad(`behaviour.${k}`, 'an array of positive integers', b[k]);
  if (b.act !== 'elu' && b.act !== 'silu') bad('behaviour.act', "'elu' or 'silu'", b.act);
  if (typeof b.norm !== 'boolean') bad('behaviour.norm', 'a boolean', b.norm);
  if (!(Number.isInteger(b.warmup) && b.warmup >= 0)) bad('behaviour.warmup', 'a non-negative integer (world-model updates)', b.warmup);
  if (!posInt(b.horizon)) bad('behaviour.horizon', 'a positive integer', b.horizon);
  if (!(b.discount > 0 && b.discount <= 1)) bad('behaviour.discount', 'in (0, 1]', b.discount);
  if (!(b.lambda >= 0 && b.lambda <= 1)) bad('behaviour.lambda', 'in [0, 1]', b.lambda);
  if (!(fin(b.actorEntropy) && b.actorEntropy >= 0)) bad('behaviour.actorEntropy', 'a finite number >= 0', b.actorEntropy);
  if (b.actorGrad !== 'dynamics' && b.actorGrad !== 'reinforce') bad('behaviour.actorGrad', "'dynamics' or 'reinforce'", b.actorGrad);
  if (!(b.minStd > 0 && b.minStd < 1)) bad('behaviour.minStd', 'in (0, 1)', b.minStd);
  for (const k of ['actorOpt', 'criticOpt'] as const) {
    if (!(fin(b[k].lr) && b[k].lr > 0)) bad(`behaviour.${k}.lr`, 'a finite number > 0', b[k].lr);
    if (!(fin(b[k].eps) && b[k].eps > 0)) bad(`behaviour.${k}.eps`, 'a finite number > 0', b[k].eps);
    if (!(fin(b[k].clip) && b[k].clip >= 0)) bad(`behaviour.${k}.clip`, 'a finite number >= 0 (0 = no clipping)', b[k].clip);
    if (!(fin(b[k].weightDecay) && b[k].weightDecay >= 0)) bad(`behaviour.${k}.weightDecay`, 'a finite number >= 0', b[k].weightDecay);
  }
  if (!posInt(b.slowTargetEvery)) bad('behaviour.slowTargetEvery', 'a positive integer', b.slowTargetEvery);
  if (!(Number.isInteger(b.imagStarts) && b.imagStarts >= 0)) bad('behaviour.imagStarts', 'a non-negative integer (0 = all B x T)', b.imagStarts);
  if (typeof b.returnNorm !== 'boolean') bad('behaviour.returnNorm', 'a boolean', b.returnNorm);
  if (b.repeats !== undefined && !posInt(b.repeats)) bad('behaviour.repeats', 'a positive integer (actor-critic updates per world-model update)', b.repeats);
  const l = c.loop;
  for (const k of ['batch', 'length', 'trainEvery', 'trainSteps', 'envs', 'replayCapacity', 'evalEvery', 'evalEpisodes', 'checkpointEvery', 'logEvery'] as const) {
    if (!posInt(l[k])) bad(`loop.${k}`, 'a positive integer', l[k]);
  }
  for (const k of ['prefill', 'pretrain'] as const) if (!(Number.isInteger(l[k]) && l[k] >= 0)) bad(`loop.${k}`, 'a non-negative integer', l[k]);
  if (l.length < 2) bad('loop.length', '>= 2', l.length);
}
