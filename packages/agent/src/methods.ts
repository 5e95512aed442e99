import { makeConfig, type DeepPartial, type PresetName, type WorldModelConfig } from '@twist/rssm';
import { AGENT_PRESETS, validateAgentConfig, type AgentConfig, type AgentPresetName } from './config.js';
import type { SacConfig } from './sac/config.js';
import { makeSacRunConfig, type SacRunConfig } from './sac/run-config.js';

/**
 * The training methods of the paper, each a named configuration of an agent and the one loop:
 *  - oracle: state Dreamer on privileged state (the paper's teacher, "Oracle");
 *  - dreamer: image Dreamer without domain randomisation ("Dreamer w/o DR");
 *  - dreamer-dr: image Dreamer with visual DR re-drawn every step from the train distribution ("Dreamer w/ DR");
 *  - dreamer-state-recon: dreamer-dr whose world model also decodes the privileged state ("Dreamer State Recon.");
 *  - asym-sac: model-free asymmetric SAC ("Asymmetric SAC"): the actor sees DR images (re-drawn every step, as
 *    dreamer-dr), twin critics the privileged state (src/sac/).
 */
export interface MethodSpec {
  /** The agent: a Dreamer (world model + behaviour) or asymmetric SAC. */
  learner: 'dreamer' | 'sac';
  /** What the acting policy sees. */
  modality: 'state' | 'image';
  /** Visual DR while training: none, or re-drawn from the train distribution every step. */
  trainDR: 'none' | 'train-every-step';
  stateRecon: boolean;
  /** The visual domain of the periodic evaluations during training. */
  evalDomain: 'none' | 'train';
  description: string;
}

export const METHODS = {
  oracle: { learner: 'dreamer', modality: 'state', trainDR: 'none', stateRecon: false, evalDomain: 'none', description: 'state Dreamer on privileged state (the teacher)' },
  dreamer: { learner: 'dreamer', modality: 'image', trainDR: 'none', stateRecon: false, evalDomain: 'none', description: 'image Dreamer without domain randomisation' },
  'dreamer-dr': { learner: 'dreamer', modality: 'image', trainDR: 'train-every-step', stateRecon: false, evalDomain: 'train', description: 'image Dreamer with visual DR every step' },
  'dreamer-state-recon': {
    learner: 'dreamer',
    modality: 'image',
    trainDR: 'train-every-step',
    stateRecon: true,
    evalDomain: 'train',
    description: 'image Dreamer with DR that also decodes the privileged state',
  },
  'asym-sac': {
    learner: 'sac',
    modality: 'image',
    trainDR: 'train-every-step',
    stateRecon: false,
    evalDomain: 'train',
    description: 'asymmetric SAC: image actor with DR every step, state critics',
  },
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;
/** The methods whose agent is a Dreamer (run.json holds a world-model and a behaviour config). */
export type DreamerMethodName = Exclude<MethodName, 'asym-sac'>;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function getMethod(name: string): MethodSpec {
  const m = (METHODS as Record<string, MethodSpec>)[name];
  if (!m) throw new Error(`unknown method '${name}'; valid methods: ${METHOD_NAMES.join(', ')}`);
  return m;
}

/** run.json of a Dreamer method's run. */
export interface RunConfig {
  method: DreamerMethodName;
  task: string;
  preset: AgentPresetName;
  seed: number;
  /** Env-step budget in frames (control steps), as the paper counts (500K). */
  steps: number;
  world: WorldModelConfig;
  agent: AgentConfig;
  /** Control steps per episode when not the task's (smoke runs, tests). */
  episodeLength?: number;
  /** TWIST's matched image collection during a state run (every step rendered with train-distribution DR). */
  collect?: { images: true; imageSize: number; domain: 'train'; perStep: true };
  /**
   * The checkpoint holds the modules' weights only (no optimiser moments; written by exportWeightsOnly and
   * collectTeacherData): it loads for acting, evaluation and as a TWIST teacher, not to resume training.
   */
  weightsOnly?: true;
  /** Where a weights-only run came from: the run it was exported from (as given to export), how far it had trained, and a collection's settings. */
  source?: { run: string; envFrames: number | null; updates: number | null; collected?: { episodes: number; seed: number; envs: number; domain: 'train' } };
}

/** run.json of any training run: a Dreamer method's, or asym-sac's (src/sac/run-config.ts). */
export type AnyRunConfig = RunConfig | SacRunConfig;

export const isSacRun = (c: AnyRunConfig): c is SacRunConfig => c.method === 'asym-sac';

export interface RunOverrides {
  /** Dreamer: the world model's keys; asym-sac: only imageSize. */
  world?: DeepPartial<WorldModelConfig>;
  /** Dreamer: behaviour and loop; asym-sac: sac and loop. */
  agent?: { behaviour?: Partial<AgentConfig['behaviour']>; loop?: Partial<AgentConfig['loop']>; sac?: DeepPartial<SacConfig> };
}

type TaskShape = { name: string; stateSize: number; actionSize: number };

/** The full config of a run: the method, the presets of @twist/rssm and of the agent (or of asym-sac), and overrides. */
export function makeRunConfig(method: 'asym-sac', task: TaskShape, preset: string, seed: number, steps: number, overrides?: RunOverrides): SacRunConfig;
export function makeRunConfig(method: DreamerMethodName, task: TaskShape, preset: string, seed: number, steps: number, overrides?: RunOverrides): RunConfig;
export function makeRunConfig(method: string, task: TaskShape, preset: string, seed: number, steps: number, overrides?: RunOverrides): AnyRunConfig;
export function makeRunConfig(method: string, task: TaskShape, preset: string, seed: number, steps: number, overrides: RunOverrides = {}): AnyRunConfig {
  const m = getMethod(method);
  if (!(preset in AGENT_PRESETS)) throw new Error(`unknown preset '${preset}'; valid presets: ${Object.keys(AGENT_PRESETS).join(', ')}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`steps must be a positive integer (env frames), got ${steps}`);
  if (m.learner === 'sac') return makeSacRunConfig(task, preset as AgentPresetName, seed, steps, overrides as never);
  if (overrides.agent?.sac !== undefined) throw new Error(`agent config: 'agent.sac' is asym-sac's; '${method}' is a Dreamer method (agent.behaviour, agent.loop)`);
  const world = makeConfig(preset as PresetName, {
    modality: m.modality,
    stateSize: task.stateSize,
    actionSize: task.actionSize,
    stateRecon: m.stateRecon,
    seed,
    ...overrides.world,
  });
  const base = AGENT_PRESETS[preset as AgentPresetName];
  const agent: AgentConfig = {
    behaviour: { ...structuredClone(base.behaviour), ...overrides.agent?.behaviour },
    loop: { ...structuredClone(base.loop), ...overrides.agent?.loop },
  };
  // The optimiser settings merge key by key, as the world model's do: {"actorOpt": {"lr": 3e-4}} keeps eps etc.
  for (const k of ['actorOpt', 'criticOpt'] as const) {
    const over = overrides.agent?.behaviour?.[k] as Record<string, unknown> | undefined;
    if (over === undefined || over === null || typeof over !== 'object') continue;
    for (const sub of Object.keys(over)) {
      if (!(sub in base.behaviour[k])) throw new Error(`agent config: unknown key '${k}.${sub}'; valid keys here: ${Object.keys(base.behaviour[k]).join(', ')}`);
    }
    agent.behaviour[k] = { ...structuredClone(base.behaviour[k]), ...over } as AgentConfig['behaviour'][typeof k];
  }
  for (const [k, v] of Object.entries({ ...overrides.agent?.behaviour, ...overrides.agent?.loop })) {
    if (!(k in base.behaviour) && !(k in base.loop)) throw new Error(`agent config: unknown key '${k}'`);
    if (v === undefined) throw new Error(`agent config: '${k}' is undefined`);
  }
  validateAgentConfig(agent);
  return { method: method as DreamerMethodName, task: task.name, preset: preset as AgentPresetName, seed, steps, world, agent };
}
