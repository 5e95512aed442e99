/**
 * A small, strict argv parser: `--key value`, `--key=value` and boolean `--flag`. Unknown options are errors
 * that list the valid ones, so a typo never silently falls back to a default.
 */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  help: string;
  choices?: readonly string[];
}

export type Parsed = { _: string[]; [k: string]: string | number | boolean | string[] | undefined };

export function parseArgs(cmd: string, argv: readonly string[], spec: Record<string, OptionSpec>): Parsed {
  const out: Parsed = { _: [] };
  for (const [k, s] of Object.entries(spec)) if (s.default !== undefined) out[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    const [rawKey, inline] = a.slice(2).split(/=(.*)/s, 2);
    const s = spec[rawKey];
    if (!s) throw new Error(`twist ${cmd}: unknown option --${rawKey}; valid options: ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (s.type === 'boolean') {
      out[rawKey] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`twist ${cmd}: option --${rawKey} needs a value`);
    if (s.type === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`twist ${cmd}: --${rawKey} must be a number, got '${v}'`);
      out[rawKey] = n;
    } else {
      if (s.choices && !s.choices.includes(v)) throw new Error(`twist ${cmd}: --${rawKey} must be one of ${s.choices.join(', ')}, got '${v}'`);
      out[rawKey] = v;
    }
  }
  return out;
}

export function usage(cmd: string, summary: string, spec: Record<string, OptionSpec>): string {
  const lines = Object.entries(spec).map(
    ([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ` <${s.choices ? s.choices.join('|') : s.type}>`}  ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`,
  );
  return `twist ${cmd}: ${summary}\n${lines.join('\n')}`;
}
