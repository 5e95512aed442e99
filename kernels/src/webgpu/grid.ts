/**
 * Dispatch-grid helpers. A 1-D problem of n items with workgroup size wg needs ceil(n / wg) workgroups; when
 * that exceeds the 65535-per-dimension limit the grid folds into y. Shaders recover the flat index with
 * `gid.x + gid.y * (nwg.x * WG)` (nwg = @builtin(num_workgroups)) and bound-check against n.
 */
export const MAX_GROUPS = 65535;

export function grid1d(n: number, wg: number): [number, number, number] {
  const groups = Math.ceil(n / wg);
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}
