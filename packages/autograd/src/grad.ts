import { add, concat, ones, sliceBackward, zeros, type Tensor } from '@twist/kernels';
import { isPieceNode } from './op.js';
import type { Var } from './var.js';
import { fmt } from './util.js';

/** A sparse gradient contribution: zeros of the Var's shape with g placed at begin (from a slice's dy). */
interface Piece {
  begin: readonly number[];
  g: Tensor;
}

/**
 * Reverse-mode differentiation: dLoss/dp for every p in params. loss must be a scalar (size 1) unless dy is
 * given. Walks the graph in reverse topological order, calling each op's rule once; gradients reaching a Var
 * along several paths are summed. Every intermediate gradient is disposed as soon as it has been used; the
 * returned gradients belong to the caller (or the enclosing scope). A param the loss does not depend on gets
 * zeros.
 *
 * Slice-like ops (Rule.piece) hand their dy back as a sparse piece instead of a zero-padded full-size tensor;
 * a Var's pieces are assembled once, when its gradient is needed (see assemble), so T slices of one [B, T, E]
 * tensor cost T copies instead of T full-size pads and T - 1 full-size adds.
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
  const grads = new Map<Var, Tensor>();
  const pieces = new Map<Var, Piece[]>();
  /** v's whole gradient: its dense sum plus its pieces, assembled (and stored back in grads). */
  const settle = (v: Var): Tensor | undefined => {
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
    const g = settle(v);
    if (!g || !v.node) continue;
    const node = v.node;
    const keepG = wanted.has(v) || g === dy;
    if (isPieceNode(node)) {
      // Slice-like: the input's gradient is g placed at pieceBegin; keep it sparse until the input settles.
      const inp = node.inputs[0];
      if (!wanted.has(v)) grads.delete(v);
      if (inp.requiresGrad && leads.has(inp)) {
        const list = pieces.get(inp) ?? [];
        list.push({ begin: node.pieceBegin, g: keepG ? g.reshape(g.shape) : g });
        pieces.set(inp, list);
      } else if (!keepG) g.dispose();
      continue;
    }
    const ins = node.backward(
      g,
      node.inputs.map((inp) => leads.has(inp)),
    );
    if (!wanted.has(v)) {
      grads.delete(v);
      if (g !== dy) g.dispose();
    }
    node.inputs.forEach((inp, j) => {
      const gi = ins[j];
      if (!gi) return;
      if (!inp.requiresGrad || !leads.has(inp)) {
        gi.dispose();
        return;
      }
      if (gi.shape.length !== inp.shape.length || gi.shape.some((d, k) => d !== inp.shape[k])) {
        throw new Error(`grad: rule '${node.op}' returned a gradient of shape ${fmt(gi.shape)} for an input of shape ${fmt(inp.shape)}`);
      }
      const prev = grads.get(inp);
      if (prev) {
        grads.set(inp, add(prev, gi));
        prev.dispose();
        gi.dispose();
      } else grads.set(inp, gi);
    });
  }
  const out = params.map((p) => {
    const g = settle(p);
    grads.delete(p);
    return g ?? zeros(p.device, p.shape);
  });
  for (const [v, g] of grads) if (v !== loss || g !== dy) g.dispose();
  for (const ps of pieces.values()) for (const p of ps) p.g.dispose();
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
