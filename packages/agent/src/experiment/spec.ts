/**
 * An experiment file (experiments/NAME.json): methods x tasks x seeds at one preset and env-step budget, the
 * final evaluation (domain, episodes, seed) and the report's settings. Everything is validated before any run
 * starts; an error names the file, the key, what was expected and what it got.
 *
 *   {
 *     "description": "what it is for and how long it takes",
 *     "methods": ["oracle", "dreamer", "twist", { "name": "twist-no-eq4", "method": "twist", "ablations": { "noImagined": true } }],
 *     "tasks": ["cartpole-balance"],
 *     "seeds": [0, 1, 2],
 *     "preset": "quick",
 *     "steps": 100000,                                   env frames per run (TWIST: the teacher's)
 *     "eval": { "domain": "heldout", "episodes": 10, "seed": 2000000 },
 *     "episodeLength": 1000,                             optional: control steps per episode, training and evaluation
 *     "root": "runs/experiments/NAME",                   optional: where the run directories go
 *     "config": { "world": {...}, "agent": {...} },      optional: overrides shared by every Dreamer method and TWIST's teacher
 *     "report": { "reps": 50000, "seed": 0, "threshold": 0.8 }   optional
 *   }
 *
 * A method entry is a method name or an object { name, method, config?, distilSteps?, ablations? }: `name` is its
 * label (report rows, run folder), `method` one of METHODS or 'twist' (teacher + distillation + evaluation, the
 * `twist twist` pipeline), `config` the `twist train --config` overrides ({ world, agent }; for 'twist' those of
 * its Oracle teacher, `twist twist --teacher-config`), `distilSteps` and `ablations` only for 'twist'.
 * The top-level `config` is merged under each Dreamer method's and TWIST's own `config` (key by key, objects
 * merged, arrays and values replaced), so an experiment states a preset's deviations once; it does not apply
 * to asym-sac, whose overrides are of another shape (SAC's own `config` still does).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { TASK_NAMES } from '@twist/envs';
import { AGENT_PRESETS } from '../config.js';
import { makeRunConfig, METHODS, type RunOverrides } from '../methods.js';
import { parseDomain } from '../visual.js';

/** The base method of a TWIST run (not a training method of METHODS: it is a pipeline of train, distil, eval). */
export const TWIST_METHOD = 'twist';

export interface MethodEntry {
  /** Label in the report and folder name of its runs. */
  name: string;
  /** One of METHODS, or 'twist'. */
  method: string;
  config?: RunOverrides;
  distilSteps?: number;
  ablations?: { noImagined?: boolean; noH?: boolean; noPost?: boolean };
}

export interface Experiment {
  name: string;
  /** The file it was read from ('' when built in code). */
  file: string;
  description: string;
  methods: MethodEntry[];
  tasks: string[];
  seeds: number[];
  preset: string;
  steps: number;
  eval: { domain: string; episodes: number; seed: number };
  episodeLength?: number;
  root: string;
  report: { reps: number; seed: number; threshold: number };
  /** The shared overrides as written (already merged into the methods' configs), for the report. */
  config?: RunOverrides;
}

/** A mistake in an experiment file: a usage error (the CLI exits 2, nothing is run). */
export class ExperimentError extends Error {
  override name = 'UsageError';
}

/** Methods an experiment may name: every method of METHODS (so a newly registered one works at once) and 'twist'. */
export function experimentMethods(): string[] {
  return [...Object.keys(METHODS), TWIST_METHOD];
}

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function checker(file: string) {
  const where = file || 'experiment';
  const bad = (key: string, expected: string, got: unknown): never => {
    throw new ExperimentError(`${where}: ${key} must be ${expected}, got ${show(got)}`);
  };
  const obj = (key: string, v: unknown, keys: readonly string[]) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(key, 'an object', v);
    for (const k of Object.keys(v as object)) {
      if (!keys.includes(k)) throw new ExperimentError(`${where}: unknown key '${key ? `${key}.` : ''}${k}'; valid keys: ${keys.join(', ')}`);
    }
    return v as Record<string, unknown>;
  };
  const int = (key: string, v: unknown, min: number) => (Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : bad(key, `an integer >= ${min}`, v));
  const str = (key: string, v: unknown) => (typeof v === 'string' && v !== '' ? v : bad(key, 'a non-empty string', v));
  return { bad, obj, int, str };
}

const TOP_KEYS = ['name', 'description', 'methods', 'tasks', 'seeds', 'preset', 'steps', 'eval', 'episodeLength', 'root', 'report', 'config'] as const;

/** Validates a parsed experiment file and fills in defaults. `file` names it in errors and gives the default name. */
export function parseExperiment(raw: unknown, file = ''): Experiment {
  const { bad, obj, int, str } = checker(file);
  const x = obj('', raw, TOP_KEYS);
  const fileName = file ? basename(file, extname(file)) : '';
  const name = x.name === undefined ? fileName || bad('name', 'a non-empty string (or read the experiment from a file)', x.name) : str('name', x.name);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) bad('name', 'letters, digits, . _ - only (it names a folder)', name);
  const description = x.description === undefined ? '' : typeof x.description === 'string' ? x.description : bad('description', 'a string', x.description);

  for (const k of ['methods', 'tasks', 'seeds'] as const) if (!Array.isArray(x[k]) || (x[k] as unknown[]).length === 0) bad(k, 'a non-empty array', x[k]);
  const preset = str('preset', x.preset);
  if (!(preset in AGENT_PRESETS)) bad('preset', `one of ${Object.keys(AGENT_PRESETS).join(', ')}`, preset);
  const valid = experimentMethods();
  const shared = x.config === undefined ? undefined : (obj('config', x.config, ['world', 'agent']) as RunOverrides);
  const methods = (x.methods as unknown[]).map((m, i) => methodEntry(m, `methods[${i}]`, valid, preset, file, shared));
  const seen = new Set<string>();
  for (const m of methods) {
    if (seen.has(m.name)) throw new ExperimentError(`${file || 'experiment'}: methods: '${m.name}' is listed twice; give the second one its own "name"`);
    seen.add(m.name);
  }
  const tasks = (x.tasks as unknown[]).map((t, i) => {
    if (!(TASK_NAMES as readonly string[]).includes(t as string)) bad(`tasks[${i}]`, `one of ${TASK_NAMES.join(', ')}`, t);
    return t as string;
  });
  if (new Set(tasks).size !== tasks.length) bad('tasks', 'distinct task names', tasks);
  const seeds = (x.seeds as unknown[]).map((s, i) => int(`seeds[${i}]`, s, 0));
  if (new Set(seeds).size !== seeds.length) bad('seeds', 'distinct integers', seeds);
  const steps = int('steps', x.steps, 1);

  const e = obj('eval', x.eval ?? {}, ['domain', 'episodes', 'seed']);
  const domain = e.domain === undefined ? 'heldout' : str('eval.domain', e.domain);
  try {
    parseDomain(domain);
  } catch (err) {
    bad('eval.domain', 'none, train, heldout or folder:<dir>', domain);
  }
  const evalSpec = { domain, episodes: e.episodes === undefined ? 10 : int('eval.episodes', e.episodes, 1), seed: e.seed === undefined ? 2_000_000 : int('eval.seed', e.seed, 0) };
  const episodeLength = x.episodeLength === undefined ? undefined : int('episodeLength', x.episodeLength, 2);
  const root = x.root === undefined ? `runs/experiments/${name}` : str('root', x.root);
  const r = obj('report', x.report ?? {}, ['reps', 'seed', 'threshold']);
  const threshold = r.threshold === undefined ? 0.8 : typeof r.threshold === 'number' && r.threshold > 0 && r.threshold <= 1 ? r.threshold : bad('report.threshold', 'a number in (0, 1]', r.threshold);
  const report = { reps: r.reps === undefined ? 50_000 : int('report.reps', r.reps, 1), seed: r.seed === undefined ? 0 : int('report.seed', r.seed, 0), threshold };
  return { name, file, description, methods, tasks, seeds, preset, steps, eval: evalSpec, ...(episodeLength !== undefined ? { episodeLength } : {}), root, report, ...(shared ? { config: shared } : {}) };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `over` merged onto `base`: nested objects key by key, everything else (arrays, numbers, ...) replaced. */
export function mergeOverrides<T>(base: T, over: T): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeOverrides(out[k], v) : structuredClone(v);
  return out as T;
}

function methodEntry(m: unknown, key: string, valid: string[], preset: string, file: string, shared?: RunOverrides): MethodEntry {
  const { bad, obj, int, str } = checker(file);
  const known = (name: string, k: string) => {
    if (!valid.includes(name)) {
      throw new ExperimentError(`${file || 'experiment'}: ${k}: unknown method '${name}'; expected one of ${valid.join(', ')} (a method must be registered in @twist/agent's METHODS before an experiment can run it)`);
    }
    return name;
  };
  const o: Record<string, unknown> = typeof m === 'string' ? { method: m } : obj(key, m, ['name', 'method', 'config', 'distilSteps', 'ablations']);
  const mk = typeof m === 'string' ? key : `${key}.method`;
  const method = known(str(mk, o.method), mk);
  const name = o.name === undefined ? method : str(`${key}.name`, o.name);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) bad(`${key}.name`, 'letters, digits, . _ - only (it names a folder)', name);
  const twist = method === TWIST_METHOD;
  const out: MethodEntry = { name, method };
  const own = o.config === undefined ? undefined : (obj(`${key}.config`, o.config, ['world', 'agent']) as RunOverrides);
  // The shared overrides apply to the Dreamer methods and to TWIST's (Oracle) teacher, not to asym-sac.
  const sharedHere = shared && method !== 'asym-sac' ? shared : undefined;
  const c = sharedHere && own ? mergeOverrides(sharedHere, own) : (own ?? sharedHere);
  if (c !== undefined) {
    const where = own ? `${key}.config` : 'config';
    try {
      // The same checks as `twist train --config` (unknown keys, bad values), on a stand-in task shape; TWIST's
      // overrides are its teacher's, an Oracle run's.
      makeRunConfig(twist ? 'oracle' : method, { name: 'check', stateSize: 4, actionSize: 1 }, preset, 0, 1, c);
    } catch (err) {
      throw new ExperimentError(`${file || 'experiment'}: ${where}${own && sharedHere ? ' (merged over the shared config)' : ''}: ${(err as Error).message}`);
    }
    out.config = c;
  }
  for (const k of ['distilSteps', 'ablations'] as const) {
    if (o[k] !== undefined && !twist) throw new ExperimentError(`${file || 'experiment'}: ${key}.${k} applies only to method 'twist', not '${method}'`);
  }
  if (o.distilSteps !== undefined) out.distilSteps = int(`${key}.distilSteps`, o.distilSteps, 1);
  if (o.ablations !== undefined) {
    const a = obj(`${key}.ablations`, o.ablations, ['noImagined', 'noH', 'noPost']);
    for (const [k, v] of Object.entries(a)) if (typeof v !== 'boolean') bad(`${key}.ablations.${k}`, 'true or false', v);
    out.ablations = a as MethodEntry['ablations'];
  }
  return out;
}

/** Reads and validates experiments/NAME.json (YAML is not read: it would need a parser dependency). */
export function loadExperiment(file: string): Experiment {
  if (!existsSync(file)) throw new ExperimentError(`experiment file ${file} does not exist`);
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') throw new ExperimentError(`${file}: YAML experiment files are not supported; write it as JSON (experiments/NAME.json)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ExperimentError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseExperiment(raw, file);
}
