/**
 * @twist/agent/node: the parts that need Node: replay with chunked persistence, the resumable training loop
 * and its run directory, evaluation over VecEnv (worker threads), visual domains from PNG folders, and
 * PNG/SVG plots. The model side (src/index.ts) loads in browsers too.
 */
export { VisualDR, domainSeed, parseDomain, domainName, type DomainSpec } from './visual.js';
export { evaluate, referenceReturns, returnsByBackground, concatImages, type Actor as EvalActor, type BackgroundRow, type EvalOptions, type EvalReport } from './eval.js';
export { LossWatch, asRunError } from './run/non-finite.js';
export { train, hasRunCheckpoint, NonFiniteLossError, type TrainOptions, type TrainProgress, type TrainResult } from './run/train.js';
export { loadRunAgent, loadRunActor } from './run/load.js';
export { createSacAgent, sacUpdateFromReplay } from './sac/learner.js';
export { sampleTransitionsHost, uploadTransitions, stackFrames } from './sac/batch.js';
export { createRunDir, readRunConfig, runPaths, MetricsLog, readMetricsLog, UsageError as RunUsageError, RUN_FILES } from './run/run-dir.js';
export { writeCurve } from './run/curve.js';
export { writeRunSummary, type RunSummary } from './run/summary.js';
export {
  Replay,
  episodeFileName,
  pendingFileName,
  type Episode,
  type StepRecord,
  type ReplayOptions,
  type ReplayBatch,
  type HostBatch,
  type ReplayStats,
  type ReplayState,
  type SamplingScheme,
} from './replay/index.js';
export { renderLinePlot, renderIntervalPlot, renderPanels, writePlot, type PanelSpec } from './plot/index.js';
export * from './experiment/index.js';
export { diagnoseWorldModel, branchReturn, pearson, type DiagnoseOptions, type WorldModelDiagnosis, type ActionEffectPair } from './diagnose.js';
export { collectTeacherData, exportWeightsOnly, type CollectDriver, type CollectOptions, type CollectProgress, type CollectResult, type ExportResult } from './run/collect.js';
export { runEpisodeRound, type RoundEnvs, type RoundCounters } from './run/rollout.js';
