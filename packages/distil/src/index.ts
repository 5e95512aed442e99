/**
 * @twist/distil: TWIST teacher-student world-model distillation (paper Sec. IV, Eq. 3, Eq. 4, Algorithm 1)
 * and the deployed agent (student encoder + student RSSM posterior + teacher actor) acting from images.
 * Nothing here imports a Node module (a browser loads a deployed agent with DeployedAgent.fromFiles); the
 * distillation run, the agent's checkpoint directory and the latent check are in src/node.ts (@twist/distil/node).
 */
export { DISTIL_PRESETS, learningRate, makeDistilConfig, validateDistilConfig, type DistilConfig, type DistilWeights, type DistilOverrides, type DistilPresetName, type Ablations } from './config.js';
export { actionMatchLoss, distilLoss, imaginedLoss, squaredL2, reduceSteps, studentTeacherKL, type FilteredLatents, type RolloutLatents, type LossOptions } from './losses.js';
export { makeStudentConfig, studentTrainables } from './student.js';
export { Distiller, readDistilMetrics, type Teacher, type DistilBatch, type DistilMetrics, type DistillerCounters } from './distiller.js';
export {
  DeployedAgent,
  PosteriorFilter,
  oneHotArgmax,
  actorAction,
  actorSpecOf,
  teacherStateActor,
  DEPLOYED_FORMAT,
  type ActorSpec,
  type DeployedAgentClass,
  type DeployedConfig,
  type DeployedFiles,
} from './deployed-agent.js';
