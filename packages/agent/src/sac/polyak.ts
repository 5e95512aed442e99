import type * as A from '@twist/autograd';
import * as K from '@twist/kernels';

/**
 * Polyak averaging of a target network (DrQ `utils.soft_update_params`): for every parameter pair,
 * target <- tau * online + (1 - tau) * target, in place, recorded like any op (no wait).
 */
export function polyakUpdate(target: A.Module, online: A.Module, tau: number): void {
  if (!(tau > 0 && tau <= 1)) throw new Error(`polyakUpdate: tau must be in (0, 1], got ${tau}`);
  const src = online.parameters();
  const dst = target.parameters();
  if (src.length !== dst.length) throw new Error(`polyakUpdate: the online network has ${src.length} parameters, the target ${dst.length}`);
  K.scope(() => {
    dst.forEach((d, i) => K.copyInto(d.value, K.add(K.affine(src[i].value, tau), K.affine(d.value, 1 - tau))));
  });
}
