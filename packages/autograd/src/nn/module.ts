import type { Tensor } from '@twist/kernels';
import { keep } from '@twist/kernels';
import { Var } from '../var.js';

/**
 * A module owns named parameters and child modules, forming a tree with stable dotted names
 * ("encoder.layers.0.weight"). Parameters are long-lived: they are kept out of any enclosing scope and freed by
 * dispose(). Optimisers update parameter tensors in place, so a Var handed out once stays valid.
 */
export abstract class Module {
  readonly #params = new Map<string, Var>();
  readonly #children = new Map<string, Module>();

  protected param(name: string, value: Tensor): Var {
    if (this.#params.has(name) || this.#children.has(name)) throw new Error(`Module: duplicate name '${name}'`);
    const v = new Var(keep(value), true, null, name);
    this.#params.set(name, v);
    return v;
  }

  protected child<M extends Module>(name: string, m: M): M {
    if (this.#params.has(name) || this.#children.has(name)) throw new Error(`Module: duplicate name '${name}'`);
    this.#children.set(name, m);
    return m;
  }

  /** Every parameter with its dotted name, depth-first in declaration order. */
  namedParameters(prefix = ''): [string, Var][] {
    const out: [string, Var][] = [];
    for (const [n, v] of this.#params) out.push([prefix + n, v]);
    for (const [n, c] of this.#children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Var[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  dispose(): void {
    for (const p of this.parameters()) p.value.dispose();
  }
}
