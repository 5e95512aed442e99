import { readFileSync } from 'node:fs';
import { pairedDifference, pairedRatio } from '@twist/agent/node';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';

export const compareOptions: Record<string, OptionSpec> = {
  a: { type: 'string', help: 'evaluation report A (a JSON written by twist eval); the difference is A - B' },
  b: { type: 'string', help: 'evaluation report B, of the same task, domain and seeds' },
  seed: { type: 'integer', default: 0, help: "the bootstrap's seed" },
  'any-domain': { type: 'boolean', help: 'allow reports of different visual domains: the same seeds still give the same starts (e.g. a teacher on the state, domain none, against its student on heldout)' },
};

/** A number with its sign and one decimal (+12.3, -4.0), as the paired differences are printed. */
export const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

interface Report {
  task: string;
  domain: string;
  seeds: number[];
  returns: number[];
  run?: string;
  mean: number;
}

function readReport(path: string, which: string): Report {
  let r: Partial<Report>;
  try {
    r = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`twist compare: --${which} ${path} cannot be read as JSON (${(e as Error).message})`);
  }
  for (const k of ['task', 'domain', 'seeds', 'returns'] as const) {
    if (r?.[k] === undefined) throw new UsageError(`twist compare: --${which} ${path} is not an evaluation report of twist eval (no '${k}')`);
  }
  return r as Report;
}

/**
 * `twist compare --a A.json --b B.json`: two agents' evaluations on the same episodes (the same seeds, so the
 * same starts and visual domains) as the mean paired difference A - B with its 95% bootstrap interval.
 */
export async function compareCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  for (const k of ['a', 'b'] as const) if (a[k] === undefined) throw new UsageError(`twist compare: --${k} is required (e.g. twist compare --a new/eval/heldout-30ep-seed2000000.json --b old/eval/heldout-30ep-seed2000000.json)`);
  const A = readReport(String(a.a), 'a');
  const B = readReport(String(a.b), 'b');
  if (A.task !== B.task) throw new UsageError(`twist compare: the reports differ in task: '${A.task}' (--a) against '${B.task}' (--b); a paired comparison needs the same episodes`);
  if (A.domain !== B.domain && !a['any-domain']) {
    throw new UsageError(`twist compare: the reports differ in domain: '${A.domain}' (--a) against '${B.domain}' (--b); a paired comparison needs the same episodes (--any-domain compares the same starts seen in different domains)`);
  }
  if (A.seeds.length !== B.seeds.length || A.seeds.some((s, i) => s !== B.seeds[i])) {
    throw new UsageError(
      `twist compare: the reports ran different episodes: --a seeds ${A.seeds[0]}..${A.seeds.at(-1)} (${A.seeds.length}), --b seeds ${B.seeds[0]}..${B.seeds.at(-1)} (${B.seeds.length}); evaluate both with the same --seed and --episodes`,
    );
  }
  const d = pairedDifference(A.returns, B.returns, { seed: Number(a.seed) });
  const domain = A.domain === B.domain ? `domain ${A.domain}` : `domains ${A.domain} (A) and ${B.domain} (B)`;
  log(`${A.task}, ${domain}, ${d.n} paired episodes: A ${A.mean.toFixed(1)} (${A.run ?? a.a}), B ${B.mean.toFixed(1)} (${B.run ?? a.b})`);
  log(`  A - B: ${signed(d.point)}, 95% bootstrap CI [${signed(d.lo)}, ${signed(d.hi)}] (${d.reps} resamples)${d.lo > 0 ? ': A is better' : d.hi < 0 ? ': B is better' : ': no clear difference'}`);
  if (B.mean > 0) {
    const q = pairedRatio(A.returns, B.returns, { seed: Number(a.seed) });
    log(`  A / B: ${q.point.toFixed(3)}, 95% bootstrap CI [${q.lo.toFixed(3)}, ${q.hi.toFixed(3)}] (pairs resampled)`);
  }
  return 0;
}
