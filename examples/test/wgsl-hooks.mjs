// Node module hooks for running TypeScript sources outside vitest: `.wgsl` files load as a default-exported
// string (as tsup's text loader and vitest.shared.ts's plugin do). Registered by run.ts's children.
import { readFile } from 'node:fs/promises';

export async function load(url, context, next) {
  if (url.endsWith('.wgsl')) {
    return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(await readFile(new URL(url), 'utf8'))};` };
  }
  return next(url, context);
}
