import * as AN from '@twist/autograd/node';
import { tensor, type Device } from '@twist/kernels';
import { concatImages, VisualDR, domainName, type CollectDriver, type DomainSpec } from '@twist/agent/node';
import { VecEnv } from '@twist/envs/node';
import { readCheckpointConfig } from '@twist/rssm/node';
import { actorAction, DeployedAgent as DeployedAgentBase, PosteriorFilter } from './deployed-agent.js';
import type { Teacher } from './distiller.js';

/*
 * The deployed agent's Node side (@twist/distil/node): its checkpoint directory and the latent check. The
 * agent itself, browser-safe, is deployed-agent.ts (re-exported here, so that this file is what run.ts uses).
 */
export { actorAction, actorSpecOf, oneHotArgmax, PosteriorFilter, teacherStateActor, DEPLOYED_FORMAT, type ActorSpec, type DeployedConfig } from './deployed-agent.js';

/**
 * TWIST's deployed agent (deployed-agent.ts) with its checkpoint directory: save(dir) writes checkpoint.json
 * and the weights file atomically (@twist/autograd/node's saveCheckpoint), DeployedAgent.load(device, dir)
 * reads them. A browser reads the same two files with DeployedAgent.fromFiles (@twist/distil).
 */
export class DeployedAgent extends DeployedAgentBase {
  /** Saves the student's encoder and RSSM, the teacher's actor and the configs to one directory, atomically. */
  save(dir: string, source?: Record<string, unknown>): Promise<void> {
    const { config, info } = this.checkpointConfig(source);
    return AN.saveCheckpoint(dir, this.parts(), config, info);
  }

  /** Loads a directory written by save (it owns its modules: dispose() frees them). */
  static load(device: Device, dir: string): DeployedAgent {
    return this.assemble(device, readCheckpointConfig(dir), dir, (parts) => AN.loadCheckpoint(dir, parts).info);
  }
}

/**
 * A deployed student as the driver of a collection (twist collect --driver): it acts from the rendered images
 * (its filter, the teacher's actor; a sample, as the teacher collects, or the mode), so the collected data hold
 * the states its own errors lead to (DAgger-style rounds; an extension, not in the paper). Owns the agent.
 */
export function deployedDriver(agent: DeployedAgent, dir: string, mode: 'sample' | 'mode' = 'sample'): CollectDriver & { dispose(): void } {
  const size = agent.imageSize;
  return {
    describe: { kind: 'deployed', dir, updates: (agent.meta.source?.updates as number | undefined) ?? null, mode },
    task: agent.meta.task,
    imageSize: size,
    reset: () => agent.resetPolicy(),
    async act(obs, isFirst) {
      if (!obs.image) throw new Error('deployedDriver: the collection renders no images for the student to act on');
      const img = tensor(agent.device, concatImages(obs.image), [isFirst.length, size, size, 3], 'u8');
      try {
        return await agent.act(img, isFirst, mode);
      } finally {
        img.dispose();
      }
    },
    executed: (actions) => agent.executed(actions),
    dispose: () => agent.dispose(),
  };
}

export interface LatentCheckOptions {
  task: string;
  /** The visual domain of the images the student sees (drawn once per episode, as at evaluation). */
  domain: DomainSpec;
  /** Episode i uses env seed seed + i. */
  seed: number;
  /** Episodes, run in parallel (default 1). */
  episodes?: number;
  episodeLength?: number;
  /**
   * Who acts: 'student' (the deployed agent, default: the latents it really acts on along its own episode)
   * or 'teacher' (its actor's mode on its state latent; the same trajectories whatever the student is).
   */
  driver?: 'student' | 'teacher';
  /** Also return the trace of every step (true states, both actions): what a closed-loop failure looks like. */
  trace?: boolean;
}

/** Per step t (while any episode runs): N x S true states, N x A actions of each model's mode, all episodes. */
export interface LatentTrace {
  state: Float32Array[];
  studentAction: Float32Array[];
  teacherAction: Float32Array[];
}

export interface LatentCheckReport {
  task: string;
  domain: string;
  driver: 'student' | 'teacher';
  episodes: number;
  /** Steps compared (over all episodes). */
  steps: number;
  /** Mean over steps of ||h_teacher - h_student||^2 (summed over the deterministic units, as in Eq. 3). */
  hError: number;
  /** sum ||h_teacher - h_student||^2 / sum ||h_teacher||^2 over the same steps. */
  hRelError: number;
  /** Mean over steps and action dims of |a_teacher - a_student| (both the actor's mode on each latent). */
  actionError: number;
  /** The two per time step, averaged over the episodes still running. */
  hErrorByStep: number[];
  actionErrorByStep: number[];
  /** The driver's return of each episode. */
  returns: number[];
  /** With opts.trace. */
  trace?: LatentTrace;
}

/**
 * Compares the latent the deployed agent acts on with the teacher's on the same episodes: the env renders
 * each step in `domain` for the student and gives the state to the teacher; both filters see the same
 * executed actions. Reports the h error and the action error along the episodes. RNG counters of both
 * models and the deployed agent's filter state are restored afterwards (the check does not perturb a run).
 */
export async function latentCheck(device: Device, teacher: Teacher, deployed: DeployedAgent, opts: LatentCheckOptions): Promise<LatentCheckReport> {
  const N = opts.episodes ?? 1;
  const driver = opts.driver ?? 'student';
  if (!(Number.isInteger(N) && N > 0)) throw new Error(`latentCheck: episodes must be a positive integer, got ${N}`);
  const saved = { t: teacher.wm.rssm.rngOffset, s: deployed.student.rssm.rngOffset, a: deployed.rngOffset };
  const size = deployed.imageSize;
  const dr = new VisualDR(device, opts.domain, N, false, opts.seed, size);
  const vec = await VecEnv.create(opts.task, { num: N, workers: 0, seed: opts.seed, ...(opts.episodeLength ? { episodeLength: opts.episodeLength } : {}), renderBatch: dr.render });
  const tFilter = new PosteriorFilter(teacher.wm);
  deployed.resetPolicy();
  const D = teacher.wm.rssm.cfg.deter;
  const Aa = teacher.wm.cfg.actionSize;
  const S = teacher.wm.cfg.stateSize;
  let sumH = 0;
  let sumT = 0;
  let sumA = 0;
  let steps = 0;
  const hBy: number[] = [];
  const aBy: number[] = [];
  const returns = new Array(N).fill(0);
  const trace: LatentTrace | undefined = opts.trace ? { state: [], studentAction: [], teacherAction: [] } : undefined;
  try {
    for (let i = 0; i < N; i++) dr.startEpisode(i, i);
    let obs = await vec.reset(Array.from({ length: N }, (_, i) => opts.seed + i));
    const done = new Array(N).fill(false);
    let isFirst = new Array(N).fill(1);
    for (let t = 0; !done.every(Boolean); t++) {
      const img = tensor(device, concatImages(obs.image!), [N, size, size, 3], 'u8');
      const st = tensor(device, obs.state, [N, S]);
      let aS: Float32Array;
      let hS: Float32Array;
      try {
        const r = await deployed.actWithLatent(img, isFirst, 'mode');
        aS = r.action;
        hS = (await r.deter.toArray()) as Float32Array;
      } finally {
        img.dispose();
      }
      let aT: Float32Array;
      let hT: Float32Array;
      try {
        const ts = tFilter.step(st, isFirst);
        const a = actorAction(teacher.actor, teacher.wm, ts, 'mode');
        aT = (await a.toArray()) as Float32Array;
        a.dispose();
        hT = (await ts.deter.toArray()) as Float32Array;
      } finally {
        st.dispose();
      }
      if (trace) {
        trace.state.push(Float32Array.from(obs.state));
        trace.studentAction.push(Float32Array.from(aS));
        trace.teacherAction.push(Float32Array.from(aT));
      }
      const act = Float32Array.from(driver === 'student' ? aS : aT);
      for (let i = 0; i < N; i++) if (done[i]) act.fill(0, i * Aa, (i + 1) * Aa);
      tFilter.setAction(act);
      deployed.filter.setAction(act);
      let h = 0;
      let ae = 0;
      let live = 0;
      for (let i = 0; i < N; i++) {
        if (done[i]) continue;
        live++;
        let e = 0;
        let n = 0;
        for (let k = 0; k < D; k++) {
          e += (hT[i * D + k] - hS[i * D + k]) ** 2;
          n += hT[i * D + k] ** 2;
        }
        let a = 0;
        for (let k = 0; k < Aa; k++) a += Math.abs(aT[i * Aa + k] - aS[i * Aa + k]);
        h += e;
        sumT += n;
        ae += a / Aa;
      }
      sumH += h;
      sumA += ae;
      steps += live;
      hBy.push(h / live);
      aBy.push(ae / live);
      obs = await vec.step(act);
      for (let i = 0; i < N; i++) {
        if (done[i]) continue;
        returns[i] += obs.reward[i];
        if (obs.done[i]) done[i] = true;
      }
      isFirst = new Array(N).fill(0);
    }
  } finally {
    await vec.close();
    tFilter.reset();
    deployed.resetPolicy();
    teacher.wm.rssm.rngOffset = saved.t;
    deployed.student.rssm.rngOffset = saved.s;
    deployed.rngOffset = saved.a;
  }
  return {
    task: opts.task,
    domain: domainName(opts.domain),
    driver,
    episodes: N,
    steps,
    hError: sumH / steps,
    hRelError: sumH / Math.max(sumT, 1e-30),
    actionError: sumA / steps,
    hErrorByStep: hBy,
    actionErrorByStep: aBy,
    returns,
    ...(trace ? { trace } : {}),
  };
}

