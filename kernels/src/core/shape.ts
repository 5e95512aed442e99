/** Shape helpers. Shapes are arrays of non-negative integers; a scalar has shape []. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Throws unless every dim is a non-negative safe integer. */
export function checkShape(op: string, what: string, shape: Shape): void {
  if (!Array.isArray(shape)) throw new Error(`${op}: ${what} must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: ${what} must hold non-negative integers, got ${fmt(shape)}`);
    }
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** NumPy broadcasting of two shapes; throws naming both shapes when they do not broadcast. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises possibly-negative axes against a rank; throws on out-of-range or repeated axes. */
export function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((ax) => {
    if (!Number.isInteger(ax) || ax < -rank || ax >= rank) {
      throw new Error(`${op}: axis ${ax} is out of range for a tensor of rank ${rank}`);
    }
    return ax < 0 ? ax + rank : ax;
  });
  if (new Set(out).size !== out.length) throw new Error(`${op}: repeated axis in [${list.join(',')}]`);
  return out.sort((x, y) => x - y);
}
