/**
 * @twist/distil: TWIST teacher-student world-model distillation (paper Sec. IV, Eq. 3, Eq. 4, Algorithm 1)
 * and the deployed agent (student encoder + student RSSM posterior + teacher actor) acting from images.
 */
export { DISTIL_PRESETS, makeDistilConfig, validateDistilConfig, type DistilConfig, type DistilWeights, type DistilOverrides, type DistilPresetName, type Ablations } from './config.js';
export { distilLoss, imaginedLoss, squaredL2, reduceSteps, studentTeacherKL, type FilteredLatents, type RolloutLatents, type LossOptions } from './losses.js';
