/**
 * One evaluation episode of a deployed TWIST agent on a held-out visual domain, with only @twist/envs' and
 * @twist/distil's browser-safe main entries: MuJoCo physics (wasm), the batched renderer on the agent's device
 * and a domain drawn from the held-out distribution. It is the episode @twist/agent/node's evaluate() runs for
 * one env (episode 0 of seed `seed`, domain drawn once at its start, the actor's mode), so the Node evaluation
 * of the same agent on the same seed acts the same (examples/test/browser-agent.test.ts checks it).
 */
import { tensor, type Device } from '@twist/kernels';
import { applyVisualDomain, createRenderer, createRng, makeEnv, sampleVisualDomain, type VisualDomain } from '@twist/envs';
import type { DeployedAgent } from '@twist/distil';

/**
 * The held-out domain VisualDR (@twist/agent/node) draws for env 0 of episode 0: createRng(mix(seed, 0, 0, 0)).
 * mix is VisualDR's 32-bit FNV-style mix of integers, copied here because @twist/agent exports it only with
 * VisualDR, which reads background folders (Node).
 */
export function heldoutDomain(seed: number): VisualDomain {
  let h = 0x811c9dc5;
  for (const x of [seed, 0, 0, 0]) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ Math.floor(x / 2 ** 32), 0x01000193) >>> 0;
    h ^= h >>> 15;
  }
  return sampleVisualDomain(createRng(h >>> 0), 'heldout');
}

export interface StepView {
  /** Agent steps so far (each repeats its action for the task's action repeat). */
  step: number;
  /** Control steps so far (the episode length counts these). */
  controlStep: number;
  /** The camera image the agent acted on, RGB u8 [size, size, 3]. */
  image: Uint8Array;
  size: number;
  action: Float32Array;
  /** Return so far (the sum of the rewards of the control steps taken). */
  ret: number;
  done: boolean;
}

export interface EpisodeResult {
  ret: number;
  controlSteps: number;
  agentSteps: number;
  /** Every action taken, in order (action size 1 for cartpole). */
  actions: number[];
}

/** Runs one episode; `onStep` is called after each step (the page draws it; return a promise to pace it). */
export async function runEpisode(
  device: Device,
  agent: DeployedAgent,
  opts: { task: string; seed: number; episodeLength?: number },
  onStep: (v: StepView) => void | Promise<void> = () => {},
): Promise<EpisodeResult> {
  const size = agent.imageSize;
  const domain = heldoutDomain(opts.seed);
  const render = createRenderer(device, { width: size, height: size });
  const env = await makeEnv(opts.task, { seed: opts.seed, ...(opts.episodeLength ? { episodeLength: opts.episodeLength } : {}) });
  const camera = async () => (await render([applyVisualDomain(env.scene(), domain)]))[0];
  const actions: number[] = [];
  let ret = 0;
  let step = 0;
  agent.resetPolicy();
  try {
    let obs = env.reset(opts.seed);
    let image = await camera();
    for (;;) {
      const x = tensor(device, image, [1, size, size, 3], 'u8');
      let action: Float32Array;
      try {
        action = await agent.act(x, [step === 0 ? 1 : 0], 'mode');
      } finally {
        x.dispose();
      }
      actions.push(...action);
      obs = env.step(action);
      ret += obs.reward;
      step++;
      await onStep({ step, controlStep: obs.info.controlStep, image, size, action, ret, done: obs.done });
      if (obs.done) return { ret, controlSteps: obs.info.controlStep, agentSteps: step, actions };
      image = await camera();
    }
  } finally {
    env.close();
    agent.resetPolicy();
  }
}
