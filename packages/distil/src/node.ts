/**
 * @twist/distil/node: what needs Node: the distillation run and its run directory, the deployed agent's
 * checkpoint directory (DeployedAgent.save / DeployedAgent.load, the main entry's class with file I/O), the
 * latent check over VecEnv and the curve plot. Everything else, the deployed agent loading from fetched files
 * included (DeployedAgent.fromFiles), is in the browser-safe main entry (src/index.ts).
 */
export { DeployedAgent, deployedDriver, latentCheck, type LatentCheckOptions, type LatentCheckReport, type LatentTrace } from './deployed.js';
export { distil, distilPaths, isDistilRun, loadTeacher, replayStateStats, resolveDeployedDir, type DistilOptions, type DistilProgress, type DistilResult, type DistilRunConfig } from './run.js';
export { writeDistilCurve } from './curve.js';
