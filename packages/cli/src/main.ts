import { selfCheck } from './selfcheck.js';
import { parseArgs, usage, type OptionSpec } from './args.js';
import { renderCommand, renderOptions } from './commands/render.js';

interface Command {
  summary: string;
  options: Record<string, OptionSpec>;
  run(args: ReturnType<typeof parseArgs>): Promise<number>;
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
    run: (a) => renderCommand(a),
  },
};

/** Registers a subcommand (packages add theirs: render, train, distil, eval...). */
export function registerCommand(name: string, cmd: Command): void {
  COMMANDS[name] = cmd;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    console.log(`usage: twist <command> [options]\n\ncommands:\n${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n')}`);
    return name ? 0 : 1;
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
    return await cmd.run(parseArgs(name, rest, cmd.options));
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
