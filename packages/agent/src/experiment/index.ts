/**
 * Experiments (paper Table I and Fig. 2): experiment files, the plan of runs and its execution, rliable's
 * statistics, and the report.
 */
export { AGGREGATES, iqm, iqmOf, meanOf, medianOf, meanStd, optimalityGapOf, oracleNormalise, pairedDifference, pairedRatio, percentile, stratifiedBootstrapCI, trimMean, type Aggregate, type AggregateName, type BootstrapOptions, type IntervalEstimate, type Scores } from './stats.js';
export { ExperimentError, experimentMethods, loadExperiment, parseExperiment, TWIST_METHOD, type Experiment, type MethodEntry } from './spec.js';
export { checkpointLoop, commandsFor, evalFileOf, inspectRun, planExperiment, runDirOf, type PlannedRun, type RunInfo, type RunState } from './plan.js';
export { DEFAULT_DISTIL_SECONDS_PER_UPDATE, DEFAULT_DISTIL_STEPS, DEFAULT_STEPS_PER_SECOND, defaultStepsPerSecond, estimateRuns, type RunEstimate } from './estimate.js';
export { childProcessExec, runLabel, runPlan, type Exec, type RunPlanOptions, type RunPlanResult } from './runner.js';
export { collectResults, collectRun, type CurvePoint, type RunResult } from './results.js';
export { buildReport, oracleOf, type ExperimentReport, type MethodAggregate, type TableCell, type WallClockCell } from './report.js';
export { aggregatePlot, curvesPlot, reportMarkdown, wallClockPlot, writeReport } from './report-files.js';
