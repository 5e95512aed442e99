import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { domainName, evaluate, loadRunAgent, parseDomain, runPaths } from '@twist/agent';
import { writeFileAtomic } from '@twist/autograd';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';
import { openDevice } from './device.js';

export const evalOptions: Record<string, OptionSpec> = {
  run: { type: 'string', help: 'run directory (its last checkpoint is evaluated)' },
  domain: { type: 'string', default: 'heldout', help: "visual domain: none, train, heldout, or folder:<dir of PNG backgrounds>" },
  episodes: { type: 'integer', default: 10, min: 1, help: 'episodes (run in parallel; DR drawn once at each episode start)' },
  seed: { type: 'integer', default: 2_000_000, help: 'episode i uses env seed seed + i (the same for the reference policies)' },
  out: { type: 'string', help: 'JSON report to write (default RUN/eval/<domain>-<episodes>ep-seed<seed>.json)' },
  'episode-length': { type: 'integer', min: 2, help: "control steps per episode (default: the task's)" },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

/** `twist eval --run DIR`: per-episode returns of the actor's mode, with zero-action and random reference rows. */
export async function evalCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  if (a.run === undefined) throw new UsageError('twist eval: --run DIR is required (a run directory written by twist train)');
  let domain;
  try {
    domain = parseDomain(String(a.domain));
  } catch (e) {
    throw new UsageError(`twist eval: --domain: ${(e as Error).message}`);
  }
  const dir = String(a.run);
  const device = await openDevice(String(a.backend));
  try {
    const { agent, config } = loadRunAgent(device, dir);
    const image = config.world.modality === 'image';
    if (!image && domain !== 'none') log(`note: ${config.method} acts on the privileged state; the visual domain '${domainName(domain)}' does not change what it sees`);
    const report = await evaluate(
      device,
      { observes: config.world.modality, imageSize: config.world.imageSize, act: (o, f, m) => agent.act(o, f, m), resetPolicy: () => agent.resetPolicy() },
      { task: config.task, domain, episodes: Number(a.episodes), seed: Number(a.seed), episodeLength: a['episode-length'] as number | undefined },
    );
    agent.dispose();
    const out = a.out ? String(a.out) : join(runPaths(dir).eval, `${domainName(domain).replace(/[^a-z0-9]+/gi, '_')}-${report.episodes}ep-seed${a.seed}.json`);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileAtomic(out, JSON.stringify({ run: dir, method: config.method, preset: config.preset, ...report }, null, 2) + '\n');
    const r = report.references!;
    log(`${config.method} on ${config.task}, domain ${report.domain}, ${report.episodes} episodes: mean return ${report.mean.toFixed(1)} +- ${report.std.toFixed(1)}`);
    log(`  reference rows on the same seeds: zero action ${r.zero.mean.toFixed(1)}, uniform random ${r.random.mean.toFixed(1)}`);
    log(`  wrote ${out}`);
    return 0;
  } finally {
    device.destroy();
  }
}
