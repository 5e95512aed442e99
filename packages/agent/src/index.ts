/**
 * @twist/agent: Dreamer behaviour learning (actor-critic in imagination) and the paper's Dreamer baselines as
 * named methods (oracle, dreamer, dreamer-dr, dreamer-state-recon), and the model-free asymmetric SAC baseline
 * (asym-sac, src/sac/). Nothing here imports a Node module, so it
 * loads in browsers too; replay, the resumable training loop, evaluation (VecEnv workers), run directories
 * and plots are in src/node.ts (@twist/agent/node).
 */
export { AGENT_PRESETS, validateAgentConfig, type AgentConfig, type AgentPresetName, type BehaviourConfig, type LoopConfig } from './config.js';
export { lambdaReturn, lambdaReturnReference, discountWeights } from './returns.js';
export { Actor, Critic } from './networks.js';
export { Behaviour, type BehaviourMetrics, type Starts } from './behaviour.js';
export { DreamerAgent, MAX_CONSECUTIVE_SKIPS, type UpdateMetrics } from './agent.js';
export { METHODS, METHOD_NAMES, getMethod, makeRunConfig, isSacRun, type MethodName, type DreamerMethodName, type MethodSpec, type RunConfig, type AnyRunConfig, type RunOverrides } from './methods.js';
export * from './sac/index.js';
export { makeSacRunConfig, type SacRunConfig, type SacObservationConfig, type SacOverrides } from './sac/run-config.js';
export { SplitMix } from './rng.js';
export { Xoshiro128, type RngState } from './replay/rng.js';
export * from './dists/index.js';
export { PALETTE } from './plot/common.js';
export { formatTicks, formatValue, niceScale, type NiceScale } from './plot/ticks.js';
export type { PlotFrame, PlotResult } from './plot/common.js';
export type { HLine, LinePlotSpec, LineSeries } from './plot/line.js';
export type { IntervalPlotSpec, IntervalRow } from './plot/interval.js';
