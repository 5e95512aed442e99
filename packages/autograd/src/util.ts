export function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
