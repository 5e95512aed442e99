import { exportWeightsOnly } from '@twist/agent/node';
import { UsageError, type OptionSpec, type Parsed } from '../args.js';
import { openDevice } from './device.js';

export const exportOptions: Record<string, OptionSpec> = {
  run: { type: 'string', help: 'run directory to export (a Dreamer method\'s training run, at its last checkpoint)' },
  out: { type: 'string', help: 'new run directory (must not exist or be empty)' },
  'weights-only': { type: 'boolean', help: 'the modules\' weights only: no optimiser moments and no replay (the only kind of export so far; required)' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device' },
};

/** `twist export --run RUN --out DIR --weights-only`: a slim copy of a run to evaluate, collect with or commit. */
export async function exportCommand(a: Parsed, _argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  for (const k of ['run', 'out'] as const) {
    if (a[k] === undefined) throw new UsageError(`twist export: --${k} is required; e.g. twist export --run runs/oracle-cartpole --out teachers/oracle-cartpole --weights-only`);
  }
  if (!a['weights-only']) throw new UsageError('twist export: only weights-only exports exist so far: add --weights-only (a full copy of a run is cp -r)');
  const device = await openDevice(String(a.backend));
  try {
    const r = await exportWeightsOnly({ run: String(a.run), out: String(a.out), device });
    log(`exported ${a.run} (${r.config.method} on ${r.config.task}, ${r.envFrames} env steps, ${r.updates} updates) -> ${a.out}: weights only, ${(r.checkpointBytes / 2 ** 20).toFixed(1)} MiB`);
    return 0;
  } finally {
    device.destroy();
  }
}
