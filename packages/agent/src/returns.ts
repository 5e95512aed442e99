import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { tensor } from '@twist/kernels';

/**
 * TD(lambda) returns over an imagined trajectory, DreamerV2's `lambda_return(reward[:-1], value[:-1],
 * disc[:-1], bootstrap=value[-1], lambda)`:
 *
 *   R_t = r_t + g_t [ (1 - lambda) v_{t+1} + lambda R_{t+1} ]   for t = 0 .. H-1,   R_H = v_H,
 *
 * where r_t is the reward predicted for state t (V2 includes the start state's reward), v the (slow) critic's
 * value, g_t the discount after state t. `reward` and `value` are [H+1, N] (states 0..H); the result is
 * [H, N] (R_0 .. R_{H-1}). Gradients flow into reward and value (dynamics backpropagation needs them).
 *
 * With a constant discount the recursion unrolls into one matrix product: with x_t = r_t + g (1-lambda)
 * v_{t+1} and c = g lambda,  R_t = sum_{k=t}^{H-1} c^{k-t} x_k + c^{H-t} v_H,  i.e. R = M x + u v_H with
 * M[t,k] = c^{k-t} (k >= t) and u_t = c^{H-t}: one dispatch instead of H sequential steps.
 */
export function lambdaReturn(reward: Var, value: Var, discount: number | Var, lambda: number): Var {
  const [H1, N] = reward.shape;
  const H = H1 - 1;
  if (reward.shape.length !== 2 || H < 1) throw new Error(`lambdaReturn: reward must be [H+1, N] with H >= 1, got [${reward.shape.join(',')}]`);
  if (value.shape.length !== 2 || value.shape[0] !== H1 || value.shape[1] !== N) {
    throw new Error(`lambdaReturn: value must have reward's shape [${H1},${N}], got [${value.shape.join(',')}]`);
  }
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`lambdaReturn: lambda must be in [0, 1], got ${lambda}`);
  const r = A.slice(reward, [0, 0], [H, N]);
  const vNext = A.slice(value, [1, 0], [H, N]);
  const vLast = A.slice(value, [H, 0], [1, N]);
  if (typeof discount === 'number') {
    if (!(discount >= 0 && discount <= 1)) throw new Error(`lambdaReturn: discount must be in [0, 1], got ${discount}`);
    const c = discount * lambda;
    const x = A.add(r, A.scale(vNext, discount * (1 - lambda)));
    // [M | u] @ [x; v_H]: M[t,k] = c^(k-t) for k >= t, u_t = c^(H-t)
    const m = new Float32Array(H * H1);
    for (let t = 0; t < H; t++) for (let k = t; k <= H; k++) m[t * H1 + k] = c ** (k - t);
    const mu = A.constant(tensor(reward.device, m, [H, H1]));
    return A.matmul(mu, A.concat([x, vLast], 0));
  }
  // Per-step discounts g [H+1, N] (a continue head): the recursion, one step at a time.
  if (discount.shape.length !== 2 || discount.shape[0] !== H1 || discount.shape[1] !== N) {
    throw new Error(`lambdaReturn: discount must be a number or have reward's shape [${H1},${N}], got [${discount.shape.join(',')}]`);
  }
  const g = A.slice(discount, [0, 0], [H, N]);
  const x = A.add(r, A.mul(A.scale(vNext, 1 - lambda), g));
  const xs = A.unstack(x, 0);
  const gs = A.unstack(A.scale(g, lambda), 0);
  let R = A.reshape(vLast, [N]);
  const out: Var[] = new Array(H);
  for (let t = H - 1; t >= 0; t--) {
    R = A.add(xs[t], A.mul(gs[t], R));
    out[t] = R;
  }
  return A.stack(out, 0);
}

/** The same recursion in plain numbers, the reference for tests: reward, value [H+1][N]; discount scalar or [H+1][N]. */
export function lambdaReturnReference(reward: number[][], value: number[][], discount: number | number[][], lambda: number): number[][] {
  const H = reward.length - 1;
  const N = reward[0].length;
  const g = (t: number, n: number) => (typeof discount === 'number' ? discount : discount[t][n]);
  const R: number[][] = Array.from({ length: H }, () => new Array(N).fill(0));
  for (let n = 0; n < N; n++) {
    let next = value[H][n];
    for (let t = H - 1; t >= 0; t--) {
      next = reward[t][n] + g(t, n) * ((1 - lambda) * value[t + 1][n] + lambda * next);
      R[t][n] = next;
    }
  }
  return R;
}

/** DreamerV2's weights of imagined steps: w_0 = 1, w_t = prod_{k<t} g_k (cumprod([1, disc[:-1]])). Constant g: g^t. */
export function discountWeights(H1: number, discount: number): Float32Array {
  return Float32Array.from({ length: H1 }, (_, t) => discount ** t);
}
