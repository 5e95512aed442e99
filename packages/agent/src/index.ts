/**
 * @twist/agent: Dreamer behaviour learning (actor-critic in imagination), replay, the resumable training loop,
 * evaluation, and the paper's Dreamer baselines as named methods (oracle, dreamer, dreamer-dr,
 * dreamer-state-recon).
 */
export { AGENT_PRESETS, validateAgentConfig, type AgentConfig, type AgentPresetName, type BehaviourConfig, type LoopConfig } from './config.js';
export { lambdaReturn, lambdaReturnReference, discountWeights } from './returns.js';
export { Actor, Critic } from './networks.js';
export { Behaviour, type BehaviourMetrics, type Starts } from './behaviour.js';
export { DreamerAgent, type UpdateMetrics } from './agent.js';
export { METHODS, METHOD_NAMES, getMethod, makeRunConfig, type MethodName, type MethodSpec, type RunConfig, type RunOverrides } from './methods.js';
export { SplitMix } from './rng.js';
export { VisualDR, parseDomain, domainName, type DomainSpec } from './visual.js';
export { evaluate, referenceReturns, concatImages, type Actor as EvalActor, type EvalOptions, type EvalReport } from './eval.js';
export { train, hasRunCheckpoint, NonFiniteLossError, type TrainOptions, type TrainProgress, type TrainResult } from './run/train.js';
export { loadRunAgent } from './run/load.js';
export { createRunDir, readRunConfig, runPaths, MetricsLog, readMetricsLog, UsageError as RunUsageError, RUN_FILES } from './run/run-dir.js';
export { writeCurve } from './run/curve.js';
export { writeRunSummary, type RunSummary } from './run/summary.js';
export * from './dists/index.js';
export * from './replay/index.js';
export * from './plot/index.js';
