import type { VecEnv, BatchObs } from '@twist/envs/node';
import type { Replay } from '../replay/index.js';
import type { VisualDR } from '../visual.js';

/** The environments of a collecting loop: N envs (rendering through dr when images are stored) feeding one replay. */
export interface RoundEnvs {
  vec: VecEnv;
  /** The visual domains of the N envs (null: nothing is rendered). */
  dr: VisualDR | null;
  replay: Replay;
  /** envs, state size, action size, action repeat of the task (env frames per policy step) */
  N: number;
  S: number;
  Aa: number;
  actionRepeat: number;
}

/** Counters a round advances: one policy step and actionRepeat env frames per live env and step. */
export interface RoundCounters {
  policySteps: number;
  envFrames: number;
}

/**
 * One round of a collecting loop: an episode in every env, every step added to the replay. Shared by the
 * training loop (train.ts) and the teacher's data collection (collect.ts), so both store the same convention:
 *   env i runs episode `firstEpisode + i` from env seed seeds[i]; its visual domain is drawn for that episode
 *   (dr.startEpisode) and advanced before each env step (re-drawn every step when the DR is per-step);
 *   step 0 is stored with a zero action and isFirst; step t >= 1 with the action that LED to it (act's output
 *   on the observation of step t-1), the reward that came with it, isLast / isTerminal from the env.
 * act(obs, isFirst) gives the N actions of a step from the last observation (isFirst 1 on an episode's first
 * step); afterStep runs after each env step (the training loop's updates at the train ratio). An env whose
 * episode ends early idles (reset to its seed, no longer stored) until every env's episode has ended.
 * Returns the episodes' returns.
 */
export async function runEpisodeRound(
  envs: RoundEnvs,
  seeds: readonly number[],
  firstEpisode: number,
  counters: RoundCounters,
  act: (obs: BatchObs, isFirst: number[]) => Promise<Float32Array>,
  afterStep?: () => Promise<void>,
): Promise<number[]> {
  const { vec, dr, replay, N, S, Aa, actionRepeat } = envs;
  if (seeds.length !== N) throw new Error(`runEpisodeRound: ${seeds.length} seeds for ${N} envs`);
  if (dr) for (let i = 0; i < N; i++) dr.startEpisode(i, firstEpisode + i);
  let obs = await vec.reset(seeds);
  const live = new Array(N).fill(true);
  const returns = new Array(N).fill(0);
  for (let i = 0; i < N; i++) {
    replay.add(i, {
      state: obs.state.subarray(i * S, (i + 1) * S),
      image: obs.image?.[i],
      action: new Float32Array(Aa),
      reward: 0,
      isFirst: true,
      isLast: false,
      isTerminal: false,
    });
  }
  let isFirst = new Array(N).fill(1);
  while (live.some(Boolean)) {
    const action = await act(obs, isFirst);
    if (dr) for (let i = 0; i < N; i++) dr.advance(i);
    obs = await vec.step(action);
    const restart: number[] = [];
    for (let i = 0; i < N; i++) {
      if (!live[i]) continue;
      counters.policySteps++;
      counters.envFrames += actionRepeat;
      returns[i] += obs.reward[i];
      const info = obs.info[i];
      replay.add(i, {
        state: obs.state.subarray(i * S, (i + 1) * S),
        image: obs.image?.[i],
        action: action.subarray(i * Aa, (i + 1) * Aa),
        reward: obs.reward[i],
        isFirst: false,
        isLast: obs.done[i],
        isTerminal: obs.done[i] && !info.timeLimit,
      });
      if (obs.done[i]) {
        live[i] = false;
        if (live.some(Boolean)) restart.push(i); // ended early (unstable physics): idle until the round ends
      }
    }
    if (restart.length) {
      if (dr) dr.nextIndices = restart;
      await vec.resetSome(restart, restart.map((i) => seeds[i]));
    }
    isFirst = new Array(N).fill(0);
    if (afterStep) await afterStep();
  }
  return returns;
}
