import { parseArgs as nodeParseArgs } from 'node:util';

/**
 * Strict command-line options on Node's util.parseArgs (strict mode): unknown options, positional arguments,
 * options without a value (`--out --seed 3` is refused instead of writing a file named '--seed'), repeated
 * options, bad numbers and values outside `choices` are usage errors that say what to type. Usage errors
 * exit with code 2, runtime errors with 1.
 */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean' | 'integer';
  default?: string | number | boolean;
  help: string;
  choices?: readonly string[];
  /** Minimum for numbers (inclusive). */
  min?: number;
}

export type Parsed = { [k: string]: string | number | boolean | undefined };

/** A mistake in how a command was called: reported with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(cmd: string, argv: readonly string[], spec: Record<string, OptionSpec>): Parsed {
  const options = Object.fromEntries(Object.entries(spec).map(([k, s]) => [k, { type: s.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = nodeParseArgs({ args: [...argv], options, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify an option argument starting with a dash use '--\S+=-XYZ'\./, '.');
    throw new UsageError(`twist ${cmd}: ${msg}\n  valid options: ${Object.keys(spec).map((k) => `--${k}`).join(', ')} (twist ${cmd} --help)`);
  }
  for (const k of Object.keys(values)) {
    const n = argv.filter((a) => a === `--${k}` || a.startsWith(`--${k}=`)).length;
    if (n > 1) throw new UsageError(`twist ${cmd}: --${k} is given ${n} times; give it once`);
  }
  const out: Parsed = {};
  for (const [k, s] of Object.entries(spec)) {
    const raw = values[k];
    if (raw === undefined) {
      if (s.default !== undefined) out[k] = s.default;
      continue;
    }
    if (s.type === 'boolean') {
      out[k] = raw as boolean;
      continue;
    }
    const v = raw as string;
    if (s.type === 'number' || s.type === 'integer') {
      const n = v.trim() === '' ? NaN : Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`twist ${cmd}: --${k} must be a number, got '${v}'`);
      if (s.type === 'integer' && !Number.isSafeInteger(n)) throw new UsageError(`twist ${cmd}: --${k} must be an integer, got '${v}'`);
      if (s.min !== undefined && n < s.min) throw new UsageError(`twist ${cmd}: --${k} must be >= ${s.min}, got ${v}`);
      out[k] = n;
    } else {
      if (s.choices && !s.choices.includes(v)) throw new UsageError(`twist ${cmd}: --${k} must be one of ${s.choices.join(', ')}, got '${v}'`);
      out[k] = v;
    }
  }
  return out;
}

/** Refuses options given explicitly that do not apply in this call (e.g. --backgrounds without --dr heldout). */
export function rejectInapplicable(cmd: string, argv: readonly string[], names: readonly string[], why: string): void {
  for (const k of names) {
    if (argv.some((a) => a === `--${k}` || a.startsWith(`--${k}=`))) throw new UsageError(`twist ${cmd}: --${k} does not apply ${why}`);
  }
}

export function usage(cmd: string, summary: string, spec: Record<string, OptionSpec>): string {
  const lines = Object.entries(spec).map(
    ([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ` <${s.choices ? s.choices.join('|') : s.type}>`}  ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`,
  );
  return `twist ${cmd}: ${summary}\n${lines.join('\n')}`;
}
