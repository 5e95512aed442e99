import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { domainName, evaluate, loadRunActor, pairedDifference, parseDomain, readRunConfig, returnsByBackground, runPaths, type EvalActor } from '@twist/agent/node';
import { DEPLOYED_FORMAT } from '@twist/distil';
import { DeployedAgent, isDistilRun, resolveDeployedDir, type DistilRunConfig } from '@twist/distil/node';
import { readCheckpointInfo, writeFileAtomic } from '@twist/autograd/node';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';
import { openDevice } from './device.js';
import { signed } from './compare.js';

export const evalOptions: Record<string, OptionSpec> = {
  run: { type: 'string', help: "run directory (its last checkpoint is evaluated): a training run, a distillation run (its deployed agent: student encoder + teacher actor, from images), a 'twist twist' pipeline folder, or a deployed agent's own directory (e.g. assets/students/*)" },
  domain: { type: 'string', default: 'heldout', help: "visual domain: none, train, heldout, or folder:<dir of PNG backgrounds>" },
  episodes: { type: 'integer', default: 10, min: 1, help: 'episodes (run in parallel; DR drawn once at each episode start)' },
  seed: { type: 'integer', default: 2_000_000, help: 'episode i uses env seed seed + i (the same for the reference policies)' },
  out: { type: 'string', help: 'JSON report to write (default RUN/eval/<domain>-<episodes>ep-seed<seed>.json)' },
  'episode-length': { type: 'integer', min: 2, help: "control steps per episode (default: the task's)" },
  latent: { type: 'string', default: 'sample', choices: ['sample', 'mode'], help: "a distillation run's deployed agent: z of its posterior filter sampled (default) or its mode (one-hot argmax)" },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

/** `twist eval --run DIR`: per-episode returns of the actor's mode, with zero-action and random reference rows. */
export async function evalCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  if (a.run === undefined) throw new UsageError('twist eval: --run DIR is required (a run directory written by twist train, twist distil or twist twist)');
  let domain;
  try {
    domain = parseDomain(String(a.domain));
  } catch (e) {
    throw new UsageError(`twist eval: --domain: ${(e as Error).message}`);
  }
  const dir = String(a.run);
  const device = await openDevice(String(a.backend));
  try {
    const target = loadEvalTarget(device, dir);
    if (a.latent !== 'sample') {
      if (!(target.actor instanceof DeployedAgent)) {
        target.dispose();
        throw new UsageError(`twist eval: --latent applies to a distillation run's deployed agent; ${dir} is a run of method '${target.method}'`);
      }
      target.actor.filter.latent = a.latent as 'mode';
    }
    if (target.observes === 'state' && domain !== 'none') log(`note: ${target.method} acts on the privileged state; the visual domain '${domainName(domain)}' does not change what it sees`);
    let report;
    try {
      report = await evaluate(device, target.actor, { task: target.task, domain, episodes: Number(a.episodes), seed: Number(a.seed), episodeLength: a['episode-length'] as number | undefined });
    } finally {
      target.dispose();
    }
    const config = { method: target.method, preset: target.preset, task: target.task };
    const out = a.out ? String(a.out) : join(runPaths(target.dir).eval, `${domainName(domain).replace(/[^a-z0-9]+/gi, '_')}-${report.episodes}ep-seed${a.seed}${a.latent !== 'sample' ? `-latent-${a.latent}` : ''}.json`);
    const r = report.references!;
    // the agent against each reference policy episode by episode (same seeds: same starts and domains)
    const paired = { zero: pairedDifference(report.returns, r.zero.returns), random: pairedDifference(report.returns, r.random.returns) };
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileAtomic(out, JSON.stringify({ run: dir, method: config.method, preset: config.preset, ...(a.latent !== 'sample' ? { latent: a.latent } : {}), ...report, paired }, null, 2) + '\n');
    log(`${config.method} on ${config.task}, domain ${report.domain}, ${report.episodes} episodes: mean return ${report.mean.toFixed(1)} +- ${report.std.toFixed(1)}`);
    log(`  reference rows on the same seeds: zero action ${r.zero.mean.toFixed(1)}, uniform random ${r.random.mean.toFixed(1)}`);
    log(`  paired difference on the same seeds (95% bootstrap CI): vs zero action ${signed(paired.zero.point)} [${signed(paired.zero.lo)}, ${signed(paired.zero.hi)}], vs random ${signed(paired.random.point)} [${signed(paired.random.lo)}, ${signed(paired.random.hi)}]`);
    for (const b of returnsByBackground(report) ?? []) {
      log(`  background ${b.background}: ${b.episodes} episodes, mean ${b.mean.toFixed(1)} (min ${b.min.toFixed(1)}, max ${b.max.toFixed(1)}; zero action ${b.zeroMean!.toFixed(1)})`);
    }
    log(`  wrote ${out}`);
    return 0;
  } finally {
    device.destroy();
  }
}

/** True when dir is a deployed agent's directory: a checkpoint of DEPLOYED_FORMAT and no run.json. */
function isDeployedDir(dir: string): boolean {
  if (existsSync(join(dir, 'run.json')) || !existsSync(join(dir, 'checkpoint.json'))) return false;
  return (readCheckpointInfo(dir).config as { format?: string } | null)?.format === DEPLOYED_FORMAT;
}

/**
 * What `twist eval --run DIR` evaluates: a training run's agent, or a distillation run's deployed agent
 * (student encoder + student RSSM posterior + teacher actor, acting from images). A `twist twist` pipeline
 * folder (twist.json) means its distillation run.
 */
export function loadEvalTarget(
  device: import('@twist/kernels').Device,
  dir: string,
): { actor: EvalActor; task: string; method: string; preset: string; observes: 'state' | 'image'; dir: string; dispose(): void } {
  if (existsSync(join(dir, 'twist.json')) && !existsSync(join(dir, 'run.json'))) dir = join(dir, 'distil');
  if (isDeployedDir(dir)) {
    // a deployed agent's own directory (no run.json): what DeployedAgent.save writes and assets/students hold
    const agent = DeployedAgent.load(device, dir);
    return { actor: agent, task: agent.meta.task, method: 'twist', preset: 'deployed', observes: 'image', dir, dispose: () => agent.dispose() };
  }
  if (isDistilRun(dir)) {
    const config = readRunConfig<DistilRunConfig>(dir);
    const deployedDir = resolveDeployedDir(dir, 'twist eval: --run');
    const agent = DeployedAgent.load(device, deployedDir);
    return { actor: agent, task: config.task, method: 'twist', preset: config.preset, observes: 'image', dir, dispose: () => agent.dispose() };
  }
  // a Dreamer method's agent, or asym-sac's actor
  const { actor, config, dispose } = loadRunActor(device, dir);
  return { actor, task: config.task, method: config.method, preset: config.preset, observes: actor.observes, dir, dispose };
}
