/**
 * TWIST's distillation losses (paper Eq. 3 and Eq. 4) as pure functions of latents, returning autograd Vars.
 *
 * Notation: teacher phi (state input, frozen), student theta (image input). Per step t of a sequence b:
 *   dh_{b,t}    = || h^teacher_{b,t} - h^student_{b,t} ||_2^2            (sum over the D deterministic units)
 *   kl^p_{b,t}  = KL[ p_theta(z^ | h^student_{b,t}) || p_phi(z^ | h^teacher_{b,t}) ]
 *   kl^q_{b,t}  = KL[ q_theta(z | h^student_{b,t}, o_t) || q_phi(z | h^teacher_{b,t}, s_t) ]
 * with each KL between the factorised categoricals summed over the latent variables and classes:
 *   KL[P || Q] = sum_v sum_c P_vc (log P_vc - log Q_vc).
 * The student comes first in both KLs, as the paper writes them; @twist/autograd's categoricalKL(p, q) is
 * KL(p || q), so the calls are categoricalKL(student, sg(teacher)).
 *
 * Normalisation (ours; the paper writes an expectation over sequences of a sum over time):
 *   term = mean_b sum_t x_{b,t}   (timeReduce 'sum', the default: Eq. 3 and 4 as written)
 *   term = mean_b mean_t x_{b,t}  (timeReduce 'mean')
 * so with 'sum' Eq. 3 (L steps) and Eq. 4 (H steps per rollout) keep the paper's relative weight L : H.
 * Eq. 4's "sequences" are the N imagined rollouts (one per start state). No free nats and no KL balancing:
 * the teacher side is a constant, so there is nothing to balance.
 *
 * The teacher's latents are wrapped in stopGradient here, so no gradient can reach the teacher through
 * these losses whatever the caller passes.
 */
import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { zeros } from '@twist/kernels';
import type { DistilWeights } from './config.js';

/** Latents of the posterior filter over sequences, time on axis 1: deter [B, L, D], logits [B, L, V, C]. */
export interface FilteredLatents {
  deter: Var;
  priorLogits: Var;
  postLogits: Var;
}

/** Latents of imagined rollouts, time on axis 0: deter [H, N, D], priorLogits [H, N, V, C]. */
export interface RolloutLatents {
  deter: Var;
  priorLogits: Var;
}

export interface LossOptions {
  timeReduce?: 'sum' | 'mean';
  /** Uniform mix of the categoricals (the RSSM's rssm.unimix; DreamerV2: 0). */
  unimix?: number;
}

/** ||a - b||_2^2 over the last axis: sum_d (a_d - b_d)^2; result [...lead]. */
export function squaredL2(a: Var, b: Var): Var {
  return A.sum(A.square(A.sub(a, b)), -1);
}

/**
 * A per-step term [.., ..] reduced to a scalar: the mean over the batch axis and, over the time axis
 * (`timeAxis`), the sum (x T) or the mean. Both are mean(x) times a constant, so one mean kernel does it.
 */
export function reduceSteps(x: Var, timeAxis: 0 | 1, timeReduce: 'sum' | 'mean' = 'sum'): Var {
  if (x.shape.length !== 2) throw new Error(`reduceSteps: expected a per-step term of rank 2, got shape [${x.shape.join(',')}]`);
  const m = A.mean(x);
  return timeReduce === 'sum' ? A.scale(m, x.shape[timeAxis]) : m;
}

/** KL[student || sg(teacher)] per step, summed over latent variables and classes: [..lead]. */
export function studentTeacherKL(studentLogits: Var, teacherLogits: Var, unimix = 0): Var {
  return A.categoricalKL(studentLogits, A.stopGradient(teacherLogits), unimix);
}

function sameShape(op: string, what: string, a: Var, b: Var): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: teacher and student ${what} must have the same shape (same RSSM sizes), got [${a.shape.join(',')}] and [${b.shape.join(',')}]`);
  }
}

function combine(terms: [Var, number][], like: Var): Var {
  const active = terms.filter(([, w]) => w > 0);
  return active.length ? A.weightedSum(active) : A.constant(zeros(like.device, []));
}

/**
 * Eq. 3 over a batch of B sequences of L steps:
 *   L_distil = mean_b sum_t [ w_h dh_{b,t} + w_p kl^p_{b,t} + w_q kl^q_{b,t} ]
 * (sum over t: timeReduce 'sum'). Returns the weighted loss and each unweighted term (scalars). A term with
 * weight 0 is left out of the loss (an ablation), but still computed for logging.
 */
export function distilLoss(
  teacher: FilteredLatents,
  student: FilteredLatents,
  opts: LossOptions & { weights?: Partial<Pick<DistilWeights, 'h' | 'prior' | 'post'>> } = {},
): { loss: Var; h: Var; prior: Var; post: Var } {
  const op = 'distilLoss';
  sameShape(op, 'deter', teacher.deter, student.deter);
  sameShape(op, 'priorLogits', teacher.priorLogits, student.priorLogits);
  sameShape(op, 'postLogits', teacher.postLogits, student.postLogits);
  if (teacher.deter.shape.length !== 3) throw new Error(`${op}: deter must be [B, L, D], got [${teacher.deter.shape.join(',')}]`);
  const r = opts.timeReduce ?? 'sum';
  const u = opts.unimix ?? 0;
  const w = { h: 1, prior: 1, post: 1, ...opts.weights };
  const h = reduceSteps(squaredL2(A.stopGradient(teacher.deter), student.deter), 1, r);
  const prior = reduceSteps(studentTeacherKL(student.priorLogits, teacher.priorLogits, u), 1, r);
  const post = reduceSteps(studentTeacherKL(student.postLogits, teacher.postLogits, u), 1, r);
  const loss = combine(
    [
      [h, w.h],
      [prior, w.prior],
      [post, w.post],
    ],
    h,
  );
  return { loss, h, prior, post };
}

/**
 * The action-matching extension (DistilConfig.actionMatch; not in the paper): the frozen teacher actor's mean
 * action on the student's and on the teacher's latents, [B, L, A] each:
 *   L_act = mean_b sum_t || a^student_{b,t} - sg(a^teacher_{b,t}) ||^2
 * reduced over time as the Eq. 3 terms. Exactly 0 for identical latents.
 */
export function actionMatchLoss(teacherAction: Var, studentAction: Var, opts: Pick<LossOptions, 'timeReduce'> = {}): Var {
  sameShape('actionMatchLoss', 'actions', teacherAction, studentAction);
  if (teacherAction.shape.length !== 3) throw new Error(`actionMatchLoss: actions must be [B, L, A], got [${teacherAction.shape.join(',')}]`);
  return reduceSteps(squaredL2(A.stopGradient(teacherAction), studentAction), 1, opts.timeReduce ?? 'sum');
}

/**
 * Eq. 4 over N imagined rollouts of H steps (the teacher's from its posterior states with its actor plus
 * noise, the student's from its own posterior states replaying the same actions):
 *   L_imagined = mean_n sum_{i=1..H} [ w_h dh_{i,n} + w_p kl^p_{i,n} ]
 * with dh and kl^p as above between the i-th imagined states (the starts themselves are Eq. 3's business).
 */
export function imaginedLoss(
  teacher: RolloutLatents,
  student: RolloutLatents,
  opts: LossOptions & { weights?: Partial<Pick<DistilWeights, 'imagH' | 'imagPrior'>> } = {},
): { loss: Var; imagH: Var; imagPrior: Var } {
  const op = 'imaginedLoss';
  sameShape(op, 'deter', teacher.deter, student.deter);
  sameShape(op, 'priorLogits', teacher.priorLogits, student.priorLogits);
  if (teacher.deter.shape.length !== 3) throw new Error(`${op}: deter must be [H, N, D], got [${teacher.deter.shape.join(',')}]`);
  const r = opts.timeReduce ?? 'sum';
  const u = opts.unimix ?? 0;
  const w = { imagH: 1, imagPrior: 1, ...opts.weights };
  const imagH = reduceSteps(squaredL2(A.stopGradient(teacher.deter), student.deter), 0, r);
  const imagPrior = reduceSteps(studentTeacherKL(student.priorLogits, teacher.priorLogits, u), 0, r);
  const loss = combine(
    [
      [imagH, w.imagH],
      [imagPrior, w.imagPrior],
    ],
    imagH,
  );
  return { loss, imagH, imagPrior };
}
