// Lets plain `node` run the package's TypeScript sources (for the scripts in this folder): tsx for .ts,
// .wgsl files as text (as tsup and vitest load them), and the 'source' export condition so @twist/* resolve
// to their src/index.ts (no build needed). Import it first: `import './register.mjs'`.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

const hooks = `
import { readFile } from 'node:fs/promises';
export async function resolve(spec, ctx, next) {
  return next(spec, { ...ctx, conditions: [...new Set([...(ctx.conditions ?? []), 'source'])] });
}
export async function load(url, ctx, next) {
  if (url.endsWith('.wgsl')) {
    const text = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: 'export default ' + JSON.stringify(text) + ';', shortCircuit: true };
  }
  return next(url, ctx);
}`;
register('data:text/javascript,' + encodeURIComponent(hooks));
registerTsx();
