/**
 * Random-shift image augmentation (DrQ, Kostrikov et al. 2020: pad by P pixels replicating the edge, crop back
 * to the original size at a uniform offset), one offset per sequence so that a sequence stays one camera's:
 *   Y[b, l, y, x, c] = X[b, l, clamp(y + dy_b, 0, H - 1), clamp(x + dx_b, 0, W - 1), c],  dy_b, dx_b in [-P, P].
 * The offsets are given (an i32 [B, 2] tensor), so callers draw them from their own seeded RNG and a resumed
 * run draws the same ones. No gradient: it is applied to inputs.
 */
import { assertDType } from '../core/dtype.js';
import { registerKernel } from '../core/registry.js';
import { fmt } from '../core/shape.js';
import { empty, type Tensor } from '../core/tensor.js';
import { philoxInto } from '../rng/philox.js';
import { grid1d } from '../webgpu/grid.js';
import source from './shift.wgsl';

interface ShiftParams {
  n: number;
  L: number;
  H: number;
  W: number;
  C: number;
}
const WG = 256;

const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);

registerKernel({
  name: 'shift_images',
  backend: 'cpu',
  run([X, SH], [Y], p: ShiftParams) {
    const { n, L, H, W, C } = p;
    for (let i = 0; i < n; i++) {
      const c = i % C;
      let r = Math.floor(i / C);
      const x = r % W;
      r = Math.floor(r / W);
      const y = r % H;
      const bl = Math.floor(r / H);
      const b = Math.floor(bl / L);
      const sy = clamp(y + SH[2 * b], H - 1);
      const sx = clamp(x + SH[2 * b + 1], W - 1);
      Y[i] = X[((bl * H + sy) * W + sx) * C + c];
    }
  },
});

registerKernel({
  name: 'shift_images',
  backend: 'webgpu',
  source,
  constants: () => ({ WG }),
  uniforms: (p: ShiftParams) => [
    ['u32', p.n],
    ['u32', p.L],
    ['u32', p.H],
    ['u32', p.W],
    ['u32', p.C],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: ShiftParams) => grid1d(p.n, WG),
});

/**
 * Shifts every sequence b of images [B, L, H, W, C] (f32) by shifts[b] = (dy, dx) (i32 [B, 2]) with edge
 * replication: the output pixel (y, x) is the input's (y + dy, x + dx), clamped to the image.
 */
export function shiftImages(images: Tensor, shifts: Tensor): Tensor {
  const op = 'shiftImages';
  assertDType(op, 'images', 'f32', images.dtype);
  assertDType(op, 'shifts', 'i32', shifts.dtype);
  images.storage(op);
  shifts.storage(op);
  if (images.rank !== 5) throw new Error(`${op}: images must have shape [B, L, H, W, C], got ${fmt(images.shape)}`);
  const [B, L, H, W, C] = images.shape;
  if (shifts.rank !== 2 || shifts.shape[0] !== B || shifts.shape[1] !== 2) throw new Error(`${op}: shifts must have shape [${B}, 2] (dy, dx per sequence), got ${fmt(shifts.shape)}`);
  if (shifts.device !== images.device) throw new Error(`${op}: shifts are on ${shifts.device.label}, images on ${images.device.label}`);
  const y = empty(images.device, images.shape, 'f32');
  if (y.size > 0) images.device.run('shift_images', [images, shifts], [y], { n: y.size, L, H, W, C });
  return y;
}

/**
 * Per-sequence offsets for shiftImages, uniform integers in [-pad, pad] from the kernels' counter-based Philox4x32
 * (rng/philox.ts) at counter (i / 4, 0, step as two words), key (seed, 0), so that update `step` of a run always
 * draws the same ones (no RNG state to checkpoint). The modulo's bias is below 2^-28 for any pad a frame allows.
 */
export function shiftOffsets(batch: number, pad: number, seed: number, step: number): Int32Array {
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`shiftOffsets: batch must be an integer >= 0, got ${batch}`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`shiftOffsets: pad must be an integer >= 0, got ${pad}`);
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`shiftOffsets: step must be an integer >= 0, got ${step}`);
  const out = new Int32Array(2 * batch);
  const span = 2 * pad + 1;
  const w = new Uint32Array(4);
  for (let i = 0; i < 2 * batch; i++) {
    if (i % 4 === 0) philoxInto(i / 4, 0, step >>> 0, Math.floor(step / 2 ** 32) >>> 0, seed >>> 0, 0, w);
    out[i] = (w[i % 4] % span) - pad;
  }
  return out;
}
