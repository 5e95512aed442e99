import type { Tensor } from '@twist/kernels';
import { isGradEnabled, Var, type GradNode } from './var.js';

/**
 * The rule table. Each differentiable op is one entry: a forward from kernel ops and a backward that maps
 * dL/dy to dL/dx for every input (null where an input needs no gradient), also built from kernel ops so it
 * runs on every backend. `saved` carries what the forward kept for the backward (e.g. LayerNorm statistics).
 */
export interface Rule<P, S = undefined> {
  forward(inputs: Tensor[], params: P): { y: Tensor; saved?: S };
  backward(dy: Tensor, ctx: { inputs: Tensor[]; y: Tensor; saved: S; params: P; needs: boolean[] }): (Tensor | null)[];
  /**
   * Optional, for slice-like ops of one input: input 0's gradient is zeros of its shape with dy placed at these
   * begin offsets. grad() then keeps dy as a sparse piece and assembles all pieces of one input at once (one
   * concat when they tile an axis) instead of padding each to the input's full size; `backward` stays the
   * dense rule (and the fallback).
   */
  piece?(params: P): readonly number[];
}

/** A GradNode whose input 0 gets its gradient as a piece (see Rule.piece): dy at `pieceBegin`, zeros elsewhere. */
export interface PieceGradNode extends GradNode {
  pieceBegin: readonly number[];
}

export const isPieceNode = (n: GradNode): n is PieceGradNode => Array.isArray((n as Partial<PieceGradNode>).pieceBegin);

export const RULES: Record<string, Rule<any, any>> = {};

/** Declares an op: its rule goes into the table and the returned function applies it to Vars. */
export function defineOp<P = undefined, S = undefined>(name: string, rule: Rule<P, S>) {
  if (RULES[name]) throw new Error(`defineOp: op '${name}' is defined twice`);
  RULES[name] = rule;
  return (inputs: Var[], params: P): Var => apply(name, rule, inputs, params);
}

function apply<P, S>(name: string, rule: Rule<P, S>, inputs: Var[], params: P): Var {
  for (const v of inputs) {
    if (!(v instanceof Var)) throw new Error(`${name}: inputs must be Vars (wrap tensors with constant() or variable()), got ${String(v)}`);
  }
  const xs = inputs.map((v) => v.value);
  const { y, saved } = rule.forward(xs, params);
  const needs = inputs.map((v) => v.requiresGrad);
  if (!isGradEnabled() || !needs.some(Boolean)) return new Var(y, false, null);
  const node: GradNode = {
    op: name,
    inputs,
    // `want` (from grad) narrows `needs` to the inputs that lead to a requested parameter, so e.g. an actor
    // loss differentiated through a frozen world model computes no gradients for the model's weights.
    backward: (dy, want) => rule.backward(dy, { inputs: xs, y, saved: saved as S, params, needs: want ? needs.map((n, i) => n && want[i]) : needs }),
  };
  if (rule.piece) (node as PieceGradNode).pieceBegin = rule.piece(params);
  return new Var(y, true, node);
}
