/**
 * A value as an error message should show it: JSON for plain data, but NaN, +-Infinity, -0 and undefined as
 * themselves (JSON.stringify prints NaN as null, which hid the cause), typed arrays by type and length, long
 * values cut at 200 characters.
 */
export function showValue(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength}`;
  let s: string;
  try {
    const mark = (t: string) => `@@show:${t}@@`;
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? mark(String(x)) : x === undefined ? mark('undefined') : x));
    s = s.replace(/"@@show:(.*?)@@"/g, '$1');
  } catch {
    s = String(v);
  }
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
