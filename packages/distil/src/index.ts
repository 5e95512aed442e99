/**
 * @twist/distil: TWIST teacher-student world-model distillation (paper Sec. IV, Eq. 3, Eq. 4, Algorithm 1)
 * and the deployed agent (student encoder + student RSSM posterior + teacher actor) acting from images.
 */
export { DISTIL_PRESETS, makeDistilConfig, validateDistilConfig, type DistilConfig, type DistilWeights, type DistilOverrides, type DistilPresetName, type Ablations } from './config.js';
export { distilLoss, imaginedLoss, squaredL2, reduceSteps, studentTeacherKL, type FilteredLatents, type RolloutLatents, type LossOptions } from './losses.js';
export { makeStudentConfig, studentTrainables } from './student.js';
export { Distiller, type Teacher, type DistilBatch, type DistilMetrics, type DistillerCounters } from './distiller.js';
export {
  DeployedAgent,
  PosteriorFilter,
  actorAction,
  actorSpecOf,
  latentCheck,
  teacherStateActor,
  DEPLOYED_FORMAT,
  type ActorSpec,
  type DeployedConfig,
  type LatentCheckOptions,
  type LatentCheckReport,
} from './deployed.js';
export { distil, distilPaths, isDistilRun, loadTeacher, type DistilOptions, type DistilProgress, type DistilResult, type DistilRunConfig } from './run.js';
export { writeDistilCurve } from './curve.js';
