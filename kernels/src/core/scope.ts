/**
 * Lifetime of tensors made in a block, like tf.tidy: `scope(fn)` disposes every tensor created inside fn except
 * those fn returns (found anywhere inside arrays or plain objects), which move to the enclosing scope.
 * Outside any scope a tensor lives until `dispose()`.
 */
export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

/**
 * Objects that own tensors but are not tensors (an autograd Var, a model state) list them under this symbol,
 * so `scope` keeps what such a returned object holds.
 */
export const OWNED_TENSORS: unique symbol = Symbol.for('twist.scope.ownedTensors') as any;

export interface OwnsTensors {
  [OWNED_TENSORS](): Iterable<Disposable>;
}

const stack: Set<Disposable>[] = [];

/** @internal called by every tensor constructor */
export function track(t: Disposable): void {
  stack[stack.length - 1]?.add(t);
}

/** Removes t from the current scope's tracking, so it outlives the scope; returns t. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

function collect(value: unknown, into: Set<Disposable>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (typeof (value as Disposable).dispose === 'function' && 'disposed' in (value as object)) {
    into.add(value as Disposable);
    return;
  }
  const owner = (value as Partial<OwnsTensors>)[OWNED_TENSORS];
  if (typeof owner === 'function') {
    for (const t of owner.call(value)) collect(t, into, seen);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype || value instanceof Map) {
    const vals = value instanceof Map ? value.values() : Object.values(value);
    for (const v of vals) collect(v, into, seen);
  }
}

export function scope<T>(fn: () => T): T {
  const mine = new Set<Disposable>();
  stack.push(mine);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new Error('scope: fn returned a Promise; scope only tracks synchronous work (await outside it)');
    }
  } catch (e) {
    stack.pop();
    for (const t of mine) if (!t.disposed) t.dispose();
    throw e;
  }
  stack.pop();
  const kept = new Set<Disposable>();
  collect(result, kept, new Set());
  const parent = stack[stack.length - 1];
  for (const t of mine) {
    if (kept.has(t)) parent?.add(t);
    else if (!t.disposed) t.dispose();
  }
  return result;
}

/** Number of open scopes (for tests). */
export function scopeDepth(): number {
  return stack.length;
}
