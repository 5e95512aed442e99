import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { TruncNormalDist } from './dists/index.js';

/**
 * The actor pi(a | [h, z]): an MLP with 2A outputs (m, s), read as DreamerV2's truncated normal on [-1, 1]:
 * mean = tanh(m), std = 2 sigmoid(s / 2) + minStd (paper section III, "as in [9]").
 */
export class Actor extends A.Module {
  readonly net: A.MLP;
  constructor(
    ctx: A.InitContext,
    readonly featureSize: number,
    readonly actionSize: number,
    layers: readonly number[],
    act: 'elu' | 'silu',
    readonly minStd: number,
    norm = false,
  ) {
    super();
    this.net = this.child('net', new A.MLP(ctx, featureSize, { hidden: layers, out: 2 * actionSize, act, norm, name: 'actor' }));
  }
  dist(feature: Var): TruncNormalDist {
    return TruncNormalDist.fromActorOutput(this.net.forward(feature), { minStd: this.minStd });
  }
}

/** The critic v([h, z]): an MLP with one output, DreamerV2's `mse` head (N(out, 1)); returns [...lead]. */
export class Critic extends A.Module {
  readonly net: A.MLP;
  constructor(
    ctx: A.InitContext,
    readonly featureSize: number,
    layers: readonly number[],
    act: 'elu' | 'silu',
    name = 'critic',
    norm = false,
  ) {
    super();
    this.net = this.child('net', new A.MLP(ctx, featureSize, { hidden: layers, out: 1, act, norm, name }));
  }
  forward(feature: Var): Var {
    const lead = feature.shape.slice(0, -1);
    return A.reshape(this.net.forward(feature), lead);
  }
}
