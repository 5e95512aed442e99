import { add, ones, zeros, type Tensor } from '@twist/kernels';
import type { Var } from './var.js';
import { fmt } from './util.js';

/**
 * Reverse-mode differentiation: dLoss/dp for every p in params. loss must be a scalar (size 1) unless dy is
 * given. Walks the graph in reverse topological order, calling each op's rule once; gradients reaching a Var
 * along several paths are summed. Every intermediate gradient is disposed as soon as it has been used; the
 * returned gradients belong to the caller (or the enclosing scope). A param the loss does not depend on gets
 * zeros.
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
  grads.set(loss, dy ?? ones(loss.device, loss.shape));
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    const g = grads.get(v);
    if (!g || !v.node) continue;
    const ins = v.node.backward(
      g,
      v.node.inputs.map((inp) => leads.has(inp)),
    );
    if (!wanted.has(v)) {
      grads.delete(v);
      if (g !== dy) g.dispose();
    }
    v.node.inputs.forEach((inp, j) => {
      const gi = ins[j];
      if (!gi) return;
      if (!inp.requiresGrad || !leads.has(inp)) {
        gi.dispose();
        return;
      }
      if (gi.shape.length !== inp.shape.length || gi.shape.some((d, k) => d !== inp.shape[k])) {
        throw new Error(`grad: rule '${v.node!.op}' returned a gradient of shape ${fmt(gi.shape)} for an input of shape ${fmt(inp.shape)}`);
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
    const g = grads.get(p);
    grads.delete(p);
    return g ?? zeros(p.device, p.shape);
  });
  for (const [v, g] of grads) if (v !== loss || g !== dy) g.dispose();
  return out;
}
