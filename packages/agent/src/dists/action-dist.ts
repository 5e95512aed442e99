import type { Var } from '@twist/autograd';
import type { RngKey } from '@twist/kernels';

/**
 * An action distribution over [..., A] (A action dimensions or classes; DreamerV2's actor heads), as a small
 * object over autograd Vars: every method records on the graph, none reads back.
 */
export interface ActionDist {
  /** The shape of one sample, [..., A]. */
  readonly shape: readonly number[];
  /**
   * How many elements of the Philox stream one `sample(key)` draws: it uses elements 0 .. rowsUsed - 1 of
   * randomUniform(device, [rowsUsed], key). Different key offsets are disjoint streams, so advancing the
   * offset by 1 per draw is enough; advancing it by rowsUsed (as the RSSM's sampler does) is also safe.
   */
  readonly rowsUsed: number;
  /** A sample [..., A]; gradients flow to the parameters (reparameterised or straight-through). */
  sample(key: RngKey): Var;
  /** The most likely action [..., A] (no sampling). */
  mode(): Var;
  /** log p(x) summed over the last axis: [..., A] -> [...]; x is data. */
  logProb(x: Var): Var;
  /** Entropy summed over the last axis: [...]. */
  entropy(): Var;
}
