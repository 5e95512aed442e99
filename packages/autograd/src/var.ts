import { OWNED_TENSORS, type Device, type DType, type Tensor } from '@twist/kernels';
import type { BoxAddend, Deferral } from './op.js';

/**
 * A node of the autograd graph: the op that made a Var, its inputs, and the rule that maps the output's
 * gradient to the inputs' gradients (null for inputs that need none).
 */
export interface GradNode {
  op: string;
  inputs: readonly Var[];
  /**
   * dL/dinputs from dL/dy; `want[i]` false skips input i's gradient (null), whatever it requires. `acc[i]`: input
   * i's gradient so far, which the rule may add into in place and return (see Rule.backward).
   */
  backward(dy: Tensor, want?: readonly boolean[], acc?: readonly (Tensor | null)[], accBox?: readonly (BoxAddend | null)[], deferral?: Deferral): (Tensor | null)[];
}

/**
 * A differentiable value: a kernels Tensor plus its place in the graph. Vars made from parameters or
 * inputs with `requiresGrad` start a graph; ops on them record a GradNode unless gradients are off.
 */
export class Var {
  constructor(
    readonly value: Tensor,
    readonly requiresGrad = false,
    readonly node: GradNode | null = null,
    readonly name?: string,
  ) {}

  get shape(): readonly number[] {
    return this.value.shape;
  }
  get dtype(): DType {
    return this.value.dtype;
  }
  get device(): Device {
    return this.value.device;
  }
  get size(): number {
    return this.value.size;
  }
  toArray() {
    return this.value.toArray();
  }
  item() {
    return this.value.item();
  }
  /** Lets `scope` keep the tensor of a returned Var. */
  [OWNED_TENSORS](): Tensor[] {
    return [this.value];
  }
  toString(): string {
    return `Var(${this.name ?? this.node?.op ?? 'leaf'}: ${this.value})`;
  }
}

let gradDepth = 0;

/** True unless inside noGrad. */
export function isGradEnabled(): boolean {
  return gradDepth === 0;
}

/** Runs fn without recording gradients (inference, target computations). */
export function noGrad<T>(fn: () => T): T {
  gradDepth++;
  try {
    return fn();
  } finally {
    gradDepth--;
  }
}

/** A leaf Var that needs gradients (a parameter or an input to differentiate by). */
export function variable(value: Tensor, name?: string): Var {
  return new Var(value, true, null, name);
}

/** A leaf Var without gradients (data). */
export function constant(value: Tensor): Var {
  return new Var(value, false, null);
}

/** The same value, cut from the graph: no gradient flows through it. Shares storage (a view). */
export function stopGradient(x: Var): Var {
  return new Var(x.value.reshape(x.shape), false, null);
}
