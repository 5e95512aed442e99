/** The physics side of @twist/envs: tasks, rewards, the single env. (Also the worker's entry module.) */
export { tolerance, toleranceEach, sigmoidValue, SIGMOIDS, type Sigmoid, type ToleranceOptions } from './tolerance.js';
export { TASKS, TASK_NAMES, getTask, type TaskName } from './registry.js';
export type { TaskSpec, TaskLogic } from './task.js';
export { randomizeLimitedAndRotationalJoints } from './task.js';
export {
  makeEnv,
  makeEnvSync,
  TwistEnv,
  checkEnvOptions,
  frictionIntervals,
  sampleIntervals,
  PHYSICS_DR_RANGES,
  ENV_OPTION_KEYS,
  type Env,
  type EnvOptions,
  type Obs,
  type StepInfo,
  type PhysicsDR,
  type PhysicsDRSpec,
  type Interval,
  type InfoValue,
} from './env.js';
export { cartpoleReward } from './cartpole.js';
export { ballInCupReward } from './ball-in-cup.js';
export { cheetahReward, RUN_SPEED } from './cheetah.js';
export { walkerReward, STAND_HEIGHT, WALK_SPEED } from './walker.js';
export { hopperStandReward, HOPPER_STAND_HEIGHT } from './hopper.js';
export { fingerTurnReward, EASY_TARGET_RADIUS } from './finger.js';
export { pointMassReachReward, POINT_MASS_TARGET_RADIUS, POINT_MASS_MARGIN } from './point-mass.js';
export { blockPushReward, SUCCESS_RADIUS, MAX_DELTA, type BlockPushRewardParts } from './block-push.js';
export { loadPhysics, lastMujocoMessage, type PhysicsSource, type MujocoFactory } from '../physics/mujoco.js';
