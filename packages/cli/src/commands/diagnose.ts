import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { diagnoseWorldModel, loadRunAgent, runPaths, type WorldModelDiagnosis } from '@twist/agent/node';
import { writeFileAtomic } from '@twist/autograd/node';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';
import { openDevice } from './device.js';

export const diagnoseOptions: Record<string, OptionSpec> = {
  run: { type: 'string', help: 'a state (oracle) training run: its last checkpoint is measured' },
  episodes: { type: 'integer', default: 2, min: 1, help: 'fresh episodes per policy (the actor\'s mode, and uniform random actions)' },
  steps: { type: 'integer', default: 200, min: 8, help: 'agent steps observed per episode' },
  starts: { type: 'integer', default: 6, min: 1, help: 'imagination starts per episode' },
  horizon: { type: 'integer', min: 1, help: "imagination horizon (default: the actor's)" },
  seed: { type: 'integer', default: 9_000_000, help: 'episode i of a policy uses env seed seed + i (random episodes: seed + 1000 + i)' },
  out: { type: 'string', help: 'JSON report to write (default RUN/eval/diagnose-seed<seed>.json)' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/** The report of diagnoseWorldModel as lines for a terminal. */
export function diagnosisLines(r: WorldModelDiagnosis): string[] {
  const dims = (xs: number[]) => xs.map((x, i) => `${r.stateLabels[i]} ${f(x, 3)}`).join(', ');
  return [
    `world model of ${r.task}: ${r.episodesPerPolicy} fresh episodes per policy (actor mode, random), ${r.steps} steps each, horizon ${r.horizon}`,
    `  posterior fit: reward RMSE ${f(r.posterior.rewardRmse, 3)}; state RMSE ${dims(r.posterior.stateRmse)}`,
    `  open loop (${r.openLoop.starts} starts, the actions taken): ${r.horizon}-step reward sum bias ${f(r.openLoop.rewardBias)}, mean |error| ${f(r.openLoop.rewardAbsError)} (real sums spread ${f(r.openLoop.realReturnStd)}); end state RMSE ${dims(r.openLoop.endStateRmse)}`,
    `  action effect (+d vs -d held ${r.horizon} steps, model vs real): correlation ${f(r.actionEffect.correlation)}, same sign ${f(100 * r.actionEffect.signAgreement, 0)}%, mean ${f(r.actionEffect.meanModel)} vs ${f(r.actionEffect.meanReal)}`,
    `  one-step action curvature r(0) - (r(+d) + r(-d))/2 (a control cost makes it positive): model ${f(r.curvature.meanModel, 3)} vs real ${f(r.curvature.meanReal, 3)}, correlation ${f(r.curvature.correlation)}`,
  ];
}

/** `twist diagnose --run DIR`: how well a state world model predicts fresh episodes, where the actor needs it. */
export async function diagnoseCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  if (a.run === undefined) throw new UsageError('twist diagnose: --run DIR is required (an oracle run directory written by twist train)');
  const dir = String(a.run);
  const device = await openDevice(String(a.backend));
  try {
    const { agent, config } = loadRunAgent(device, dir);
    let report: WorldModelDiagnosis;
    try {
      if (config.world.modality !== 'state') throw new UsageError(`twist diagnose: ${dir} is a '${config.method}' run with an image world model; diagnose measures state (oracle) world models`);
      report = await diagnoseWorldModel(device, agent, {
        task: config.task,
        episodes: Number(a.episodes),
        steps: Number(a.steps),
        starts: Number(a.starts),
        seed: Number(a.seed),
        ...(a.horizon !== undefined ? { horizon: Number(a.horizon) } : {}),
      });
    } finally {
      agent.dispose();
    }
    const out = a.out ? String(a.out) : join(runPaths(dir).eval, `diagnose-seed${a.seed}.json`);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileAtomic(out, JSON.stringify({ run: dir, method: config.method, preset: config.preset, ...report }, null, 2) + '\n');
    for (const l of diagnosisLines(report)) log(l);
    log(`  wrote ${out}`);
    return 0;
  } finally {
    device.destroy();
  }
}
