import type { Tensor } from '@twist/kernels';
import { isGradEnabled, Var, type GradNode } from './var.js';

/**
 * The rule table. Each differentiable op is one entry: a forward from kernel ops and a backward that maps
 * dL/dy to dL/dx for every input (null where an input needs no gradient), also built from kernel ops so it
 * runs on every backend. `saved` carries what the forward kept for the backward (e.g. LayerNorm statistics).
 */
export interface Rule<P, S = undefined> {
  forward(inputs: Tensor[], params: P): { y: Tensor; saved?: S };
  /**
   * `acc[i]`, where not null, is input i's gradient summed so far, a tensor that grad() owns alone (no other
   * view of its memory): the rule may add its contribution into it in place (e.g. a matmul with out and
   * accumulate) and return that same tensor for input i, and grad() then adds nothing; or ignore it and return
   * a new gradient as usual. In place, the contribution must be added as add(acc, contribution) would add it.
   * `accBox[i]`, where not null, is input i's gradient so far when it is a strided box of another tensor (a
   * concat's gradient, not copied out yet): a rule may return contribution + box as a new tensor (e.g. a matmul
   * with the box as its addend, the same values as sliceAdd(contribution, box)) and set its `used`.
   * `defer`: a weight-gradient term x^T g (or the row sums of g) may be handed to grad() instead of computed
   * (see Deferral); the rule then returns null for that input.
   */
  backward(
    dy: Tensor,
    ctx: { inputs: Tensor[]; y: Tensor; saved: S; params: P; needs: boolean[]; acc: (Tensor | null)[]; accBox: (BoxAddend | null)[]; defer: Deferral },
  ): (Tensor | null)[];
  /**
   * Optional, for slice-like ops: input `input`'s gradient is zeros of its shape with dy, viewed as `shape`,
   * placed at `begin`. grad() then keeps that gradient as a sparse piece and assembles all pieces of one Var at
   * once (one concat when they tile an axis) instead of padding each to the Var's full size, and asks
   * `backward` only for the other inputs; `backward` stays the dense rule for all of them.
   * With `fromBackward`, the piece is not dy but what `backward` returns for that input, of the piece's shape
   * (a fused op whose slice input receives a gradient computed from dy, e.g. linear's addend).
   */
  piece?(params: P): { input: number; begin: readonly number[]; shape: readonly number[]; fromBackward?: boolean } | null;
  /**
   * Optional, for concat-like ops: input i's gradient is the box of dy at begins[i] with input i's shape. grad()
   * may then add that box into the input's other gradients in one pass (sliceAdd) instead of copying it out
   * first; `backward` stays the dense rule.
   */
  slices?(params: P, inputShapes: readonly (readonly number[])[]): readonly (readonly number[])[];
  /** Optional: the op is a view (reshape): its input's gradient is dy viewed with the input's shape. */
  view?: boolean;
}

/** A GradNode one of whose inputs gets its gradient as a piece (see Rule.piece). */
export interface PieceGradNode extends GradNode {
  piece: { input: number; begin: readonly number[]; shape: readonly number[]; fromBackward?: boolean };
}
/** A GradNode whose inputs' gradients are boxes of dy (see Rule.slices). */
export interface SlicesGradNode extends GradNode {
  sliceBegins: readonly (readonly number[])[];
}
/** A GradNode of a view op (see Rule.view). */
export interface ViewGradNode extends GradNode {
  view: true;
}

export const isPieceNode = (n: GradNode): n is PieceGradNode => (n as Partial<PieceGradNode>).piece !== undefined;
export const isSlicesNode = (n: GradNode): n is SlicesGradNode => (n as Partial<SlicesGradNode>).sliceBegins !== undefined;
export const isViewNode = (n: GradNode): n is ViewGradNode => (n as Partial<ViewGradNode>).view === true;

/**
 * A gradient so far that is a box of another tensor, viewed as the input's [M, N]: element (m, n) at
 * x[offset + m * rowStride + n]. A rule that adds it into its result sets `used`.
 */
export interface BoxAddend {
  x: Tensor;
  offset: number;
  rowStride: number;
  used: boolean;
}

/**
 * Held-back weight gradients. A weight used at many steps (an RNN's, or an actor's over an imagined horizon)
 * gets one term x_t^T g_t per use; instead of one accumulating matmul each, a rule may register them and grad()
 * adds all of a Var's terms with one concat of the x's and of the g's and one matmul (row sums of the g's for a
 * bias), when the Var's gradient is needed: the same sum, added in another order. Terms registered together
 * (one g: a weight and its bias, or the GRU's two weights) stay together. `deferrable(inputs, rows)` says
 * whether these inputs' terms of g with `rows` rows would be taken now (few rows, they need gradients, and more
 * uses are to come or they are held already); `defer(g, terms)` registers input terms[i].input's term terms[i].x^T g (x [M, K], g [M, N], both
 * 2-D; x null: the row sums of g) and returns whether it did. grad() keeps views: the rule still owns g and x.
 */
export interface Deferral {
  deferrable(inputs: readonly number[], rows: number): boolean;
  defer(g: Tensor, terms: readonly { input: number; x: Tensor | null }[]): boolean;
}

const NO_DEFERRAL: Deferral = { deferrable: () => false, defer: () => false };

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
    backward: (dy, want, acc, accBox, deferral) =>
      rule.backward(dy, {
        inputs: xs,
        y,
        saved: saved as S,
        params,
        needs: want ? needs.map((n, i) => n && want[i]) : needs,
        acc: acc ? [...acc] : xs.map(() => null),
        accBox: accBox ? [...accBox] : xs.map(() => null),
        defer: deferral ?? NO_DEFERRAL,
      }),
  };
  const pc = rule.piece?.(params);
  if (pc) (node as PieceGradNode).piece = pc;
  if (rule.slices) (node as SlicesGradNode).sliceBegins = rule.slices(params, xs.map((x) => x.shape));
  if (rule.view) (node as ViewGradNode).view = true;
  return new Var(y, true, node);
}
