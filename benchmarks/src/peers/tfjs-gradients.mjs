// tfjs-core's Node (CommonJS) bundle registers no gradients: the union package @tensorflow/tfjs normally adds
// them from tfjs-core's ES-module build (dist/register_all_gradients.js), whose relative imports have no file
// extension, which Node's ESM loader rejects. A resolve hook that retries such imports with ".js" (or
// "/index.js") lets Node load that file. The gradients land in tfjs' global registry and run on the one global
// engine (tfjs-core keeps both on globalThis so that several copies of the library can coexist).
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const rel = specifier.startsWith('./') || specifier.startsWith('../');
    if (!rel || !context.parentURL?.includes('/@tensorflow/tfjs-core/dist/')) throw e;
    try {
      return await next(specifier + '.js', context);
    } catch {
      return next(specifier + '/index.js', context);
    }
  }
}`;

let done = false;
/** Registers every tfjs-core gradient (idempotent). */
export async function registerTfjsGradients() {
  if (done) return;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  done = true;
}
