import { selfCheck } from './selfcheck.js';
import { parseArgs, usage, UsageError, type OptionSpec, type Parsed } from './args.js';
import { renderCommand, renderOptions } from './commands/render.js';
import { trainCommand, trainOptions } from './commands/train.js';
import { evalCommand, evalOptions } from './commands/eval.js';
import { distilCommand, distilOptions } from './commands/distil.js';
import { twistCommand, twistOptions } from './commands/twist.js';
import { experimentCommand, experimentOptions } from './commands/experiment.js';
import { reportCommand, reportOptions } from './commands/report.js';
import { diagnoseCommand, diagnoseOptions } from './commands/diagnose.js';
import { collectCommand, collectOptions } from './commands/collect.js';
import { daggerCommand, daggerOptions } from './commands/dagger.js';
import { exportCommand, exportOptions } from './commands/export.js';
import { compareCommand, compareOptions } from './commands/compare.js';

interface Command {
  summary: string;
  options: Record<string, OptionSpec>;
  /** A command that takes one positional argument first (e.g. `twist experiment FILE`) names it here; it arrives as args[positional]. */
  positional?: string;
  run(args: Parsed, argv: readonly string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  selfcheck: {
    summary: 'device report, every WGSL kernel family checked against its CPU reference, short benchmark',
    options: { out: { type: 'string', default: 'out', help: 'folder for selfcheck.json' } },
    run: (a) => selfCheck({ out: String(a.out) }),
  },
  render: {
    summary: "a PNG contact sheet of a task's observations under train or held-out domain randomisation",
    options: renderOptions,
    run: (a, argv) => renderCommand(a, argv),
  },
  train: {
    summary: 'train an agent (oracle, dreamer, dreamer-dr, dreamer-state-recon) into a resumable run directory',
    options: trainOptions,
    run: (a, argv) => trainCommand(a, argv),
  },
  collect: {
    summary: 'matched image collection with a trained oracle teacher: it acts from the state, every step rendered with train DR',
    options: collectOptions,
    run: (a, argv) => collectCommand(a, argv),
  },
  export: {
    summary: "a weights-only copy of a run (no optimiser moments, no replay): to evaluate, collect with or commit",
    options: exportOptions,
    run: (a, argv) => exportCommand(a, argv),
  },
  distil: {
    summary: 'TWIST distillation (Eq. 3 + Eq. 4, Algorithm 1) of a teacher run into an image student, resumable',
    options: distilOptions,
    run: (a, argv) => distilCommand(a, argv),
  },
  dagger: {
    summary: "DAgger-style rounds for a distilled student (an extension): its mixture with the teacher collects, it is distilled further, resumable",
    options: daggerOptions,
    run: (a, argv) => daggerCommand(a, argv),
  },
  twist: {
    summary: 'the whole pipeline: teacher with matched image collection, distillation, held-out evaluation, summary',
    options: twistOptions,
    run: (a, argv) => twistCommand(a, argv),
  },
  eval: {
    summary: "evaluate a run's agent for N episodes in a visual domain, with zero-action and random reference rows",
    options: evalOptions,
    run: (a, argv) => evalCommand(a, argv),
  },
  compare: {
    summary: "two evaluations of the same episodes (twist eval reports, same seeds): the mean paired difference with its 95% bootstrap interval",
    options: compareOptions,
    run: (a, argv) => compareCommand(a, argv),
  },
  diagnose: {
    summary: "how well an oracle run's world model predicts fresh episodes: posterior fit, open-loop returns, and the action effect the actor follows",
    options: diagnoseOptions,
    run: (a, argv) => diagnoseCommand(a, argv),
  },
  experiment: {
    summary: 'FILE: run what is not done yet of an experiment file (methods x tasks x seeds, resumable runs, --jobs), then its report',
    options: experimentOptions,
    positional: 'file',
    run: (a, argv) => experimentCommand(a, argv),
  },
  report: {
    summary: "FILE: an experiment's report: Table I (mean +- std per task), IQM of Oracle-normalised scores with bootstrap CIs, curves, wall-clock",
    options: reportOptions,
    positional: 'file',
    run: (a, argv) => reportCommand(a, argv),
  },
};

/** Registers a subcommand (packages add theirs: distil, experiment...). */
export function registerCommand(name: string, cmd: Command): void {
  COMMANDS[name] = cmd;
}

const list = () => Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n');

/** Runs a command; returns the exit code: 0 done, 1 a runtime error, 2 a usage error (nothing was changed). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    (name ? console.log : console.error)(`usage: twist <command> [options]   (twist <command> --help for its options)\n\ncommands:\n${list()}`);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`twist: unknown command '${name}'; valid commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  if (rest.includes('--help')) {
    console.log(usage(name, cmd.summary, cmd.options));
    return 0;
  }
  try {
    if (cmd.positional) {
      const [first, ...others] = rest;
      const pos = first !== undefined && !first.startsWith('--') ? first : undefined;
      const opts = pos === undefined ? rest : others;
      return await cmd.run({ ...parseArgs(name, opts, cmd.options), [cmd.positional]: pos }, opts);
    }
    return await cmd.run(parseArgs(name, rest, cmd.options), rest);
  } catch (e) {
    const err = e as Error;
    console.error(err.name === 'UsageError' || e instanceof UsageError ? err.message : `twist ${name}: ${err.message}`);
    return err.name === 'UsageError' || e instanceof UsageError ? 2 : 1;
  }
}
