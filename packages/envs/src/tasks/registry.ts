/** The task table: canonical names and lookups that name the valid ones on a miss. */
import { ballInCupCatch } from './ball-in-cup.js';
import { blockPush } from './block-push.js';
import { cartpoleBalance, cartpoleSwingup } from './cartpole.js';
import { cheetahRun } from './cheetah.js';
import { fingerTurnEasy } from './finger.js';
import { hopperStand } from './hopper.js';
import { pointMassReach } from './point-mass.js';
import type { TaskSpec } from './task.js';
import { walkerWalk } from './walker.js';

export const TASKS = {
  'cartpole-balance': cartpoleBalance,
  'cartpole-swingup': cartpoleSwingup,
  'ball-in-cup-catch': ballInCupCatch,
  'cheetah-run': cheetahRun,
  'walker-walk': walkerWalk,
  'hopper-stand': hopperStand,
  'finger-turn-easy': fingerTurnEasy,
  'block-push': blockPush,
  'point-mass-reach': pointMassReach,
} as const satisfies Record<string, TaskSpec>;

export type TaskName = keyof typeof TASKS;
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

/**
 * The task called `name`. Also accepts dm_control spellings (`cartpole_balance`, `ball_in_cup_catch`,
 * `finger_turn_easy`, any case): underscores and spaces read as hyphens.
 */
export function getTask(name: string, op = 'makeEnv'): TaskSpec {
  if (typeof name !== 'string') {
    throw new Error(`${op}: task name must be a string, got ${typeof name}; valid tasks: ${TASK_NAMES.join(', ')}`);
  }
  const key = name.trim().toLowerCase().replace(/[_\s]+/g, '-');
  if (Object.prototype.hasOwnProperty.call(TASKS, key)) return TASKS[key as TaskName];
  throw new Error(`${op}: unknown task '${name}'; valid tasks: ${TASK_NAMES.join(', ')}`);
}
