import convUpIo from '../wgsl-lib/conv-up-io.wgsl';
import convUpPhase from '../wgsl-lib/conv-up-phase.wgsl';
import layerNorm from '../wgsl-lib/layer-norm.wgsl';
import lnGru from '../wgsl-lib/ln-gru.wgsl';
import rowSum from '../wgsl-lib/row-sum.wgsl';
import sigmoid from '../wgsl-lib/sigmoid.wgsl';

/**
 * The shared-WGSL include step. A shader line `//#include NAME [KEY=VALUE ...]` is replaced by the library
 * snippet NAME (wgsl-lib/NAME.wgsl) with each `{{KEY}}` in it replaced by VALUE; every shader goes through it
 * when its pipeline is created (GpuDevice), so fused kernels share LayerNorm, sigmoid and row-sum helpers
 * instead of copying them. A snippet is emitted once per shader: a second include of the same NAME with the same
 * parameters is dropped (two helpers that include one snippet, prepended to one shader, give one definition),
 * with other parameters it is an error (two definitions of one function). Snippets may include snippets.
 * A comment line, so a shader with includes is still valid WGSL to tools that do not know the step.
 */
export const WGSL_LIB: Readonly<Record<string, string>> = { 'conv-up-io': convUpIo, 'conv-up-phase': convUpPhase, 'layer-norm': layerNorm, 'ln-gru': lnGru, 'row-sum': rowSum, sigmoid };

const INCLUDE = String.raw`^[ \t]*//#include\b(.*)$`;

export function resolveWgslIncludes(code: string, lib: Readonly<Record<string, string>> = WGSL_LIB): string {
  if (!code.includes('//#include')) return code;
  const done = new Map<string, string>(); // name -> its parameters, as emitted
  const expand = (text: string, stack: string[]): string =>
    text.replace(new RegExp(INCLUDE, 'gm'), (_line, rest: string) => {
      const words = rest.trim().split(/[ \t]+/).filter(Boolean);
      const name = words[0];
      if (!name) throw new Error('WGSL include: `//#include` without a snippet name');
      const snippet = lib[name];
      if (snippet === undefined) throw new Error(`WGSL include: unknown snippet '${name}' (known: ${Object.keys(lib).join(', ')})`);
      const params: Record<string, string> = {};
      for (const w of words.slice(1)) {
        const m = /^([A-Za-z_]\w*)=(\S+)$/.exec(w);
        if (!m) throw new Error(`WGSL include '${name}': parameter '${w}' is not KEY=VALUE`);
        params[m[1]] = m[2];
      }
      if (stack.includes(name)) throw new Error(`WGSL include: '${name}' includes itself (${[...stack, name].join(' -> ')})`);
      const key = JSON.stringify(Object.entries(params).sort());
      const prev = done.get(name);
      if (prev !== undefined) {
        if (prev === key) return '';
        throw new Error(`WGSL include '${name}': included twice with different parameters (${prev} and ${key}); a shader can hold one definition of its functions`);
      }
      done.set(name, key);
      const used = new Set<string>();
      const body = snippet.replace(/\{\{([A-Za-z_]\w*)\}\}/g, (_m, k: string) => {
        if (!(k in params)) throw new Error(`WGSL include '${name}': parameter ${k} is not given (\`//#include ${name} ${k}=...\`)`);
        used.add(k);
        return params[k];
      });
      const extra = Object.keys(params).filter((k) => !used.has(k));
      if (extra.length) throw new Error(`WGSL include '${name}': it has no parameter ${extra.join(', ')}`);
      return `// ---- ${name}${words.length > 1 ? ' ' + words.slice(1).join(' ') : ''} (wgsl-lib/${name}.wgsl)\n${expand(body, [...stack, name]).trimEnd()}\n// ---- end ${name}`;
    });
  return expand(code, []);
}
