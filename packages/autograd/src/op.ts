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

/** The hub node of a multi-output op's application (see defineMultiOp): grad() calls `multi` once, with every output's gradient. */
export interface MultiGradNode extends GradNode {
  multi: (dys: (Tensor | null)[], want?: readonly boolean[], acc?: readonly (Tensor | null)[], accBox?: readonly (BoxAddend | null)[], deferral?: Deferral) => (Tensor | null)[];
  outputs: number;
}
/** The node of output `outputOf` of a multi-output op: its one input is the op's hub (whose node is a MultiGradNode). */
export interface OutputGradNode extends GradNode {
  outputOf: number;
}

export const isMultiNode = (n: GradNode): n is MultiGradNode => typeof (n as Partial<MultiGradNode>).multi === 'function';
export const isOutputNode = (n: GradNode): n is OutputGradNode => (n as Partial<OutputGradNode>).outputOf !== undefined;
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

/**
 * A rule with several outputs (a fused op whose results are used apart, e.g. a scan's states and samples): the
 * forward returns them all, and the backward receives one gradient per output, null where no gradient reached
 * that output, and returns the inputs' gradients as Rule.backward does (the same acc, accBox and defer offers).
 */
export interface MultiRule<P, S = undefined> {
  forward(inputs: Tensor[], params: P): { ys: Tensor[]; saved?: S };
  backward(
    dys: (Tensor | null)[],
    ctx: { inputs: Tensor[]; ys: Tensor[]; saved: S; params: P; needs: boolean[]; acc: (Tensor | null)[]; accBox: (BoxAddend | null)[]; defer: Deferral },
  ): (Tensor | null)[];
}

export const RULES: Record<string, Rule<any, any> | MultiRule<any, any>> = {};

/** Declares an op: its rule goes into the table and the returned function applies it to Vars. */
export function defineOp<P = undefined, S = undefined>(name: string, rule: Rule<P, S>) {
  if (RULES[name]) throw new Error(`defineOp: op '${name}' is defined twice`);
  RULES[name] = rule;
  return (inputs: Var[], params: P): Var => apply(name, rule, inputs, params);
}

/**
 * Declares an op with several outputs: the returned function gives one Var per output. In the graph the outputs
 * hang off one hidden hub Var (a view of output 0, never seen outside) whose node holds the inputs; grad()
 * collects the outputs' gradients there and calls the rule's backward once.
 */
export function defineMultiOp<P = undefined, S = undefined>(name: string, rule: MultiRule<P, S>) {
  if (RULES[name]) throw new Error(`defineMultiOp: op '${name}' is defined twice`);
  RULES[name] = rule;
  return (inputs: Var[], params: P): Var[] => applyMulti(name, rule, inputs, params);
}

function applyMulti<P, S>(name: string, rule: MultiRule<P, S>, inputs: Var[], params: P): Var[] {
  for (const v of inputs) {
    if (!(v instanceof Var)) throw new Error(`${name}: inputs must be Vars (wrap tensors with constant() or variable()), got ${String(v)}`);
  }
  const xs = inputs.map((v) => v.value);
  const { ys, saved } = rule.forward(xs, params);
  if (ys.length < 1) throw new Error(`${name}: the forward returned no outputs`);
  const needs = inputs.map((v) => v.requiresGrad);
  if (!isGradEnabled() || !needs.some(Boolean)) return ys.map((y) => new Var(y, false, null));
  const hubNode: MultiGradNode = {
    op: name,
    inputs,
    outputs: ys.length,
    multi: (dys, want, acc, accBox, deferral) =>
      rule.backward(dys, {
        inputs: xs,
        ys,
        saved: saved as S,
        params,
        needs: want ? needs.map((n, i) => n && want[i]) : needs,
        acc: acc ? [...acc] : xs.map(() => null),
        accBox: accBox ? [...accBox] : xs.map(() => null),
        defer: deferral ?? NO_DEFERRAL,
      }),
    backward: () => {
      throw new Error(`${name}: a multi-output op's hub is differentiated through its outputs (grad() calls multi)`);
    },
  };
  const hub = new Var(ys[0], true, hubNode);
  return ys.map((y, i) => {
    const node: OutputGradNode = {
      op: `${name}[${i}]`,
      inputs: [hub],
      outputOf: i,
      backward: () => {
        throw new Error(`${name}[${i}]: an output's gradient goes to its op's hub (grad() collects it)`);
      },
    };
    return new Var(y, true, node);
  });
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
