import { add, addSumTo, concat, matmul, ones, slice, sliceAdd, sliceBackward, stridesOf, sumTo, zeros, type Tensor } from '@twist/kernels';
import { isMultiNode, isOutputNode, isPieceNode, isSlicesNode, isViewNode, type BoxAddend } from './op.js';
import type { GradNode, Var } from './var.js';
import { fmt } from './util.js';

/** Weight-gradient terms of at most this many rows are held back (Deferral) and summed over uses in one matmul. */
const DEFER_MAX_ROWS = 64;

/** Held-back weight-gradient terms of some Vars (see defer in grad): member m's term t is m.xs[t]^T gs[t], or the row sums of gs[t]. */
interface Deferred {
  members: { v: Var; outer: boolean; xs: Tensor[] }[];
  gs: Tensor[];
}

/** A sparse gradient contribution: zeros of the Var's shape with g placed at begin (from a slice's dy). */
interface Piece {
  begin: readonly number[];
  g: Tensor;
}

/**
 * A gradient not copied out yet: the box of src at begin with shape `box` (same element count as the Var),
 * viewed as the Var's shape. src is a view owned by this entry. From a concat's dy (Rule.slices).
 */
class Box {
  constructor(
    readonly src: Tensor,
    readonly begin: readonly number[],
    readonly box: readonly number[],
  ) {}
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, k) => d === b[k]);

/** t viewed as shape (t itself when it has it; else a view, t disposed). */
function as(t: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const v = t.reshape(shape);
  t.dispose();
  return v;
}

/** The box as a tensor of `shape` (one copy); frees the box's view. */
function copyOut(b: Box, shape: readonly number[]): Tensor {
  const t = slice(b.src, b.begin, b.box);
  b.src.dispose();
  return as(t, shape);
}

/** a + the box, as a tensor of `shape` (one dispatch, the same values as add(a, copyOut(b))); frees the box's view. */
function addBox(a: Tensor, b: Box, shape: readonly number[]): Tensor {
  const a2 = a.reshape(b.box);
  const y = sliceAdd(a2, b.src, b.begin);
  a2.dispose();
  b.src.dispose();
  return as(y, shape);
}

/**
 * Reverse-mode differentiation: dLoss/dp for every p in params. loss must be a scalar (size 1) unless dy is
 * given. Walks the graph in reverse topological order, calling each op's rule once; gradients reaching a Var
 * along several paths are summed. Every intermediate gradient is disposed as soon as it has been used; the
 * returned gradients belong to the caller (or the enclosing scope). A param the loss does not depend on gets
 * zeros.
 *
 * Where a Var's gradient so far is grad()'s alone, a rule may add its contribution into it in place (see
 * Rule.backward: a weight shared by T steps then costs no adds at all), with the same f32 additions in the same
 * order as accumulating by add.
 *
 * Two kinds of gradient are kept unmaterialised, which saves dispatches and bytes but never changes a value
 * (the same f32 additions in the same order):
 *  - slice-like ops (Rule.piece) hand their dy back as a sparse piece instead of a zero-padded full-size
 *    tensor; a Var's pieces are assembled once, when its gradient is needed (see assemble), so T slices of one
 *    [B, T, E] tensor cost T copies instead of T full-size pads and T - 1 full-size adds;
 *  - concat-like ops (Rule.slices) hand each input a box of their dy; it passes through views (reshape) and
 *    is added into the input's other gradient in one sliceAdd, or copied out only if it is the input's only one.
 */
export function grad(loss: Var, params: readonly Var[], dy?: Tensor): Tensor[] {
  if (!dy && loss.size !== 1) {
    throw new Error(`grad: loss must be a scalar (1 element) or dy must be given; loss has shape ${fmt(loss.shape)}`);
  }
  // Topological order (iterative DFS, inputs before outputs).
  const order: Var[] = [];
  const seen = new Set<Var>();
  const stack: [Var, boolean][] = [[loss, false]];
  while (stack.length) {
    const [v, done] = stack.pop()!;
    if (done) {
      order.push(v);
      continue;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push([v, true]);
    for (const inp of v.node?.inputs ?? []) if (inp.requiresGrad && !seen.has(inp)) stack.push([inp, false]);
  }
  const wanted = new Set(params);
  // Only Vars from which a requested parameter can be reached need a gradient: `order` lists inputs before
  // outputs, so one forward pass marks them. Rules skip the other inputs' gradients entirely.
  const leads = new Set<Var>();
  for (const v of order) if (wanted.has(v) || v.node?.inputs.some((inp) => leads.has(inp))) leads.add(v);
  const needsGrad = (v: Var) => v.requiresGrad && leads.has(v);
  // A Var's summed gradient so far is dense (grads) or one box (boxes), never both; pieces come on top.
  const grads = new Map<Var, Tensor>();
  const boxes = new Map<Var, Box>();
  const pieces = new Map<Var, Piece[]>();
  /** Adds a contribution to v's gradient, in arrival order (prev + c, as a plain add would). */
  const accumulate = (v: Var, c: Tensor | Box) => {
    const prev = grads.get(v);
    const pb = boxes.get(v);
    if (pb) boxes.delete(v);
    if (c instanceof Box) {
      if (prev) {
        grads.set(v, addBox(prev, c, v.shape));
        prev.dispose();
      } else if (pb) {
        const m = copyOut(pb, v.shape);
        grads.set(v, addBox(m, c, v.shape));
        m.dispose();
      } else boxes.set(v, c);
    } else if (prev) {
      grads.set(v, add(prev, c));
      prev.dispose();
      c.dispose();
    } else if (pb) {
      // pb + c: f32 addition commutes exactly, so c + box is the same value.
      grads.set(v, addBox(c, pb, v.shape));
      c.dispose();
    } else grads.set(v, c);
  };
  /**
   * v's dense gradient so far when grad() holds its memory alone (no other view: not dy, not a view another
   * Var's gradient shares, not a window), so a rule may add into it in place; else null.
   */
  const exclusive = (v: Var): Tensor | null => {
    const t = grads.get(v);
    if (!t || t === dy || boxes.has(v)) return null;
    const s = t.storage('grad');
    return s.refs === 1 && !s.parent ? t : null;
  };
  /**
   * v's gradient so far when it is one box alone (no dense part) that, viewed as v's [M, N], is M rows of N
   * contiguous elements at one stride of the box's tensor: a matmul can add it as its addend.
   */
  // Consumers (nodes) of each Var whose backward has not run yet; the loop counts them down.
  const remaining = new Map<Var, number>();
  for (const x of order) if (x.node) for (const inp of new Set(x.node.inputs)) remaining.set(inp, (remaining.get(inp) ?? 0) + 1);
  const boxOwner = new Map<BoxAddend, Var>();
  // Gradients of a multi-output op's outputs, per hub Var (see defineMultiOp), output by output (null: none).
  const multiDys = new Map<Var, (Tensor | null)[]>();
  const boxAddend = (v: Var): BoxAddend | null => {
    // Also through a chain of views (reshapes) each of which is its input's last consumer, from a v that the
    // running node consumes last, none with a gradient yet or requested: then the box and this contribution are
    // the whole gradient of the box's Var, and adding them in the rule is the same single f32 addition as
    // adding them after the views (so the values do not depend on views standing in for other ops).
    let u = v;
    while (!boxes.has(u)) {
      const last = u === v ? remaining.get(u) === 0 : remaining.get(u) === 1;
      if (!last || grads.has(u) || pieces.has(u) || deferredOf.has(u) || wanted.has(u) || !u.node || !isViewNode(u.node)) return null;
      u = u.node.inputs[0];
      if (!needsGrad(u)) return null;
    }
    if (u !== v && remaining.get(u) !== 1) return null;
    const b = boxes.get(u)!;
    if (v.shape.length !== 2 || b.src.dtype !== 'f32') return null;
    const [M, N] = v.shape;
    // a row: the box's innermost dims, merged while the inner ones are full (contiguous), N elements
    let k = b.box.length - 1;
    let n = b.box[k];
    while (n < N && k > 0) {
      if (b.box[k] !== b.src.shape[k]) return null;
      n *= b.box[--k];
    }
    if (n !== N) return null;
    const strides = stridesOf(b.src.shape);
    let rows = 1;
    let rowStride = 0;
    for (let j = 0; j < k; j++) {
      if (b.box[j] === 1) continue;
      if (rows > 1) return null;
      rows = b.box[j];
      rowStride = strides[j];
    }
    if (rows !== M) return null;
    const offset = b.begin.reduce((a, x, k) => a + x * strides[k], 0);
    const addend = { x: b.src, offset, rowStride, used: false };
    boxOwner.set(addend, u);
    return addend;
  };
  // Weight-gradient terms held back (Rule.backward's defer): summed over all uses in one matmul per Var when
  // the Var's gradient is needed, instead of one accumulating matmul per use.
  const deferredOf = new Map<Var, Deferred>();
  // Only terms of a few rows each (an RNN step's batch): such a matmul is all dispatch overhead, while one over
  // a few hundred rows is not, and concatenating thousands would only have the long K split again.
  const deferrable = (node: GradNode, inputs: readonly number[], rows: number): boolean => {
    if (rows > DEFER_MAX_ROWS) return false;
    const vs = inputs.map((i) => node.inputs[i]);
    if (vs.some((v) => !needsGrad(v)) || new Set(vs).size !== vs.length) return false;
    const grp = deferredOf.get(vs[0]);
    if (grp) return grp.members.length === vs.length && grp.members.every((m, i) => m.v === vs[i]);
    // a new group only where more uses are still to come, and for Vars in no other group
    return vs.every((v) => !deferredOf.has(v) && (remaining.get(v) ?? 0) > 0);
  };
  const defer = (node: GradNode, g: Tensor, terms: readonly { input: number; x: Tensor | null }[]): boolean => {
    if (!deferrable(node, terms.map((t) => t.input), g.shape[0])) return false;
    let grp = deferredOf.get(node.inputs[terms[0].input]);
    if (!grp) {
      grp = { members: terms.map((t) => ({ v: node.inputs[t.input], outer: t.x !== null, xs: [] })), gs: [] };
      for (const m of grp.members) deferredOf.set(m.v, grp);
    }
    if (grp.members.some((m, i) => m.outer !== (terms[i].x !== null))) throw new Error(`grad: rule '${node.op}' deferred terms of another kind to a group`);
    grp.gs.push(g.reshape(g.shape));
    grp.members.forEach((m, i) => m.outer && m.xs.push(terms[i].x!.reshape(terms[i].x!.shape)));
    return true;
  };
  /** Adds a group's terms into its Vars' gradients: per term up to 3 terms, else by one concat + matmul each. */
  const materialize = (grp: Deferred) => {
    for (const m of grp.members) deferredOf.delete(m.v);
    const k = grp.gs.length;
    const G = k > 3 ? concat(grp.gs, 0) : null;
    for (const m of grp.members) {
      const terms = G ? [{ x: m.outer ? concat(m.xs, 0) : null, g: G }] : grp.gs.map((g, t) => ({ x: m.outer ? m.xs[t] : null, g }));
      for (const { x, g } of terms) {
        const acc = exclusive(m.v);
        if (x) {
          const c = matmul(x, g, { transA: true, ...(acc ? { out: acc, accumulate: true } : {}) });
          if (c !== acc) accumulate(m.v, c);
        } else if (!(acc && addSumTo(acc, g))) accumulate(m.v, sumTo(g, m.v.shape));
      }
      if (G && m.outer) terms[0].x!.dispose();
      for (const x of m.xs) x.dispose();
    }
    G?.dispose();
    for (const g of grp.gs) g.dispose();
  };
  /** v's whole gradient: its dense sum (or box, copied out) plus its pieces, assembled (and stored in grads). */
  const settle = (v: Var): Tensor | undefined => {
    const b = boxes.get(v);
    if (b) {
      boxes.delete(v);
      grads.set(v, copyOut(b, v.shape));
    }
    const grp = deferredOf.get(v);
    if (grp) materialize(grp);
    const ps = pieces.get(v);
    if (!ps) return grads.get(v);
    pieces.delete(v);
    const sparse = assemble(v.shape, ps);
    for (const p of ps) p.g.dispose();
    const prev = grads.get(v);
    const g = prev ? add(prev, sparse) : sparse;
    if (prev) {
      prev.dispose();
      sparse.dispose();
    }
    grads.set(v, g);
    return g;
  };
  grads.set(loss, dy ?? ones(loss.device, loss.shape));
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    const node = v.node;
    if (node) for (const inp of new Set(node.inputs)) remaining.set(inp, (remaining.get(inp) ?? 0) - 1);
    // A view whose whole gradient is one box hands the box on unchanged (same elements, other shape).
    const b = boxes.get(v);
    if (b && node && isViewNode(node) && !pieces.has(v) && !wanted.has(v)) {
      boxes.delete(v);
      if (needsGrad(node.inputs[0])) accumulate(node.inputs[0], b);
      else b.src.dispose();
      continue;
    }
    // A multi-output op's hub: its outputs' gradients, collected when each output's turn came (all before this).
    const multi = node && isMultiNode(node) ? node : null;
    const dys = multi ? multiDys.get(v) : undefined;
    if (multi) {
      multiDys.delete(v);
      if (!dys) continue;
    }
    const g = multi ? undefined : settle(v);
    if (node && isOutputNode(node)) {
      // An output of a multi-output op: its gradient (a view of it) waits at the op's hub.
      const hub = node.inputs[0];
      if (g && needsGrad(hub)) {
        const list = multiDys.get(hub) ?? new Array<Tensor | null>(hub.node && isMultiNode(hub.node) ? hub.node.outputs : 0).fill(null);
        list[node.outputOf] = g.reshape(g.shape);
        multiDys.set(hub, list);
      }
      if (g && !wanted.has(v)) {
        grads.delete(v);
        if (g !== dy) g.dispose();
      }
      continue;
    }
    if (!node || (!g && !multi)) continue;
    if (g && isSlicesNode(node) && g.dtype === 'f32') {
      // Concat-like: each input's gradient is a box of g; hand out views of it, not copies.
      node.inputs.forEach((inp, j) => {
        if (needsGrad(inp)) accumulate(inp, new Box(g.reshape(g.shape), node.sliceBegins[j], inp.shape));
      });
      if (!wanted.has(v)) {
        grads.delete(v);
        if (g !== dy) g.dispose();
      }
      continue;
    }
    const want = node.inputs.map((inp) => leads.has(inp));
    const addPiece = (inp: Var, begin: readonly number[], t: Tensor) => {
      const list = pieces.get(inp) ?? [];
      list.push({ begin, g: t });
      pieces.set(inp, list);
    };
    const fromBackward = isPieceNode(node) && node.piece.fromBackward ? node.piece : null;
    if (g && isPieceNode(node) && !fromBackward) {
      // Slice-like: that input's gradient is g placed at begin; keep it sparse until the input settles.
      const { input: pi, begin, shape } = node.piece;
      if (needsGrad(node.inputs[pi])) addPiece(node.inputs[pi], begin, g.reshape(shape));
      want[pi] = false;
    }
    // Inputs whose dense gradient so far is grad()'s alone may receive this contribution in place; one whose
    // gradient so far is a box may get it added by the rule (at its first place among the inputs only).
    const usable = (inp: Var, j: number) => want[j] && needsGrad(inp) && j !== fromBackward?.input;
    const acc = node.inputs.map((inp, j) => (usable(inp, j) ? exclusive(inp) : null));
    const offered = new Set<Var>();
    const accBox = node.inputs.map((inp, j) => {
      const a = usable(inp, j) ? boxAddend(inp) : null;
      if (!a || offered.has(boxOwner.get(a)!)) return null; // one box, one taker
      offered.add(boxOwner.get(a)!);
      return a;
    });
    const deferral = { deferrable: (inputs: readonly number[], rows: number) => deferrable(node, inputs, rows), defer: (gt: Tensor, terms: readonly { input: number; x: Tensor | null }[]) => defer(node, gt, terms) };
    const ins = want.some(Boolean) ? (multi ? multi.multi(dys!, want, acc, accBox, deferral) : node.backward(g!, want, acc, accBox, deferral)) : [];
    if (multi) for (const d of dys!) d?.dispose();
    else if (!wanted.has(v)) {
      grads.delete(v);
      if (g !== dy) g!.dispose();
    }
    node.inputs.forEach((inp, j) => {
      const gi = ins[j];
      if (!gi) return;
      if (gi === acc[j]) return; // added into the input's gradient in place by the rule
      const used = accBox[j];
      if (used?.used) {
        // the rule's result includes the box (of the input, or of the Var it is a view of): it replaces the box
        const owner = boxOwner.get(used)!;
        boxes.get(owner)!.src.dispose();
        boxes.delete(owner);
        grads.set(inp, as(gi, inp.shape));
        return;
      }
      if (fromBackward && j === fromBackward.input) {
        // the rule's gradient for a sliced input: a piece of the piece's shape, kept sparse like a slice's
        if (needsGrad(inp)) addPiece(inp, fromBackward.begin, as(gi, fromBackward.shape));
        else gi.dispose();
        return;
      }
      if (!needsGrad(inp)) {
        gi.dispose();
        return;
      }
      if (!sameShape(gi.shape, inp.shape)) {
        throw new Error(`grad: rule '${node.op}' returned a gradient of shape ${fmt(gi.shape)} for an input of shape ${fmt(inp.shape)}`);
      }
      accumulate(inp, gi);
    });
  }
  const out = params.map((p) => {
    const g = settle(p);
    grads.delete(p);
    return g ?? zeros(p.device, p.shape);
  });
  for (const [v, g] of grads) if (v !== loss || g !== dy) g.dispose();
  for (const bx of boxes.values()) bx.src.dispose();
  for (const ds of multiDys.values()) for (const d of ds) d?.dispose();
  for (const ps of pieces.values()) for (const p of ps) p.g.dispose();
  for (const grp of new Set(deferredOf.values())) {
    for (const g of grp.gs) g.dispose();
    for (const m of grp.members) for (const x of m.xs) x.dispose();
  }
  return out;
}

/**
 * The sum of zero-padded pieces as one tensor of `shape`. When the pieces are slabs along one axis (full on
 * every other axis) that do not overlap, one concat of them (gaps filled with zeros) places each exactly; else
 * each is padded (sliceBackward) and the pads are added, as without pieces. The caller still owns the pieces.
 */
function assemble(shape: readonly number[], ps: readonly Piece[]): Tensor {
  const pad = (p: Piece) => sliceBackward(p.g, shape, p.begin);
  if (ps.length === 1) return pad(ps[0]);
  const full = (p: Piece, k: number) => p.begin[k] === 0 && p.g.shape[k] === shape[k];
  // The one axis along which some piece is partial; every piece must be full on all the others.
  const partial = shape.map((_, k) => k).filter((k) => ps.some((p) => !full(p, k)));
  const ax = partial.length === 1 ? partial[0] : -1;
  if (ax >= 0 && ps.every((p) => p.g.dtype === 'f32' && shape.every((_, k) => k === ax || full(p, k)))) {
    const sorted = [...ps].sort((a, b) => a.begin[ax] - b.begin[ax]);
    if (sorted.every((p, i) => i === 0 || p.begin[ax] >= sorted[i - 1].begin[ax] + sorted[i - 1].g.shape[ax])) {
      const parts: Tensor[] = [];
      const gaps: Tensor[] = [];
      const gap = (from: number, to: number) => {
        if (to <= from) return;
        const z = zeros(ps[0].g.device, shape.map((d, k) => (k === ax ? to - from : d)));
        gaps.push(z);
        parts.push(z);
      };
      let at = 0;
      for (const p of sorted) {
        gap(at, p.begin[ax]);
        parts.push(p.g);
        at = p.begin[ax] + p.g.shape[ax];
      }
      gap(at, shape[ax]);
      const y = concat(parts, ax);
      for (const z of gaps) z.dispose();
      return y;
    }
  }
  let acc = pad(ps[0]);
  for (let i = 1; i < ps.length; i++) {
    const q = pad(ps[i]);
    const next = add(acc, q);
    acc.dispose();
    q.dispose();
    acc = next;
  }
  return acc;
}
