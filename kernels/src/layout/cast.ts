import { DTYPES, type DType } from '../core/dtype.js';
import { empty, type Tensor } from '../core/tensor.js';
import './cast-kernel.js';
import type { CastParams } from './cast-kernel.js';
import { copy, live } from './movement.js';

/**
 * y = convert(x * scale + shift) to dtype, computed in f32. To u8 and i32 the value is clamped to the target
 * range (u8: 0..255; i32: -2^31 .. 2^31-128) and rounded to nearest, ties to even; NaN to an integer type is
 * 0 on every backend. The image path: cast(img_u8, 'f32', 1 / 255, -0.5) = pixels / 255 - 0.5, and back with
 * cast(x, 'u8', 255, 127.5). A cast to the same dtype with scale 1 and shift 0 is an exact copy.
 */
export function cast(x: Tensor, dtype: DType, scale = 1, shift = 0): Tensor {
  const op = 'cast';
  live(op, x);
  if (!DTYPES.includes(dtype)) throw new Error(`${op}: dtype must be one of ${DTYPES.join(', ')}, got ${String(dtype)}`);
  if (!Number.isFinite(scale) || !Number.isFinite(shift)) throw new Error(`${op}: scale and shift must be finite numbers, got scale=${scale}, shift=${shift}`);
  if (dtype === x.dtype && scale === 1 && shift === 0) return copy(x);
  const y = empty(x.device, x.shape, dtype);
  if (y.size === 0) return y;
  const p: CastParams = { n: x.size, src: x.dtype, dst: dtype, scale, shift };
  x.device.run('layout_cast', [x], [y], p);
  return y;
}
