/**
 * Time estimates for `twist experiment --dry-run`, from measured rates where there are any:
 *   1. the run's own checkpoints (env frames / training wall-clock so far; TWIST: the teacher's, and the
 *      distillation's seconds per update),
 *   2. else the mean rate of the experiment's other runs of the same method that have a checkpoint,
 *   3. else the stated default of the preset below.
 * A rate from checkpoints includes prefill, updates and the periodic evaluations of the run; the final
 * evaluation is not estimated. Each estimate says which source it used.
 */
import type { PlannedRun } from './plan.js';
import { TWIST_METHOD } from './spec.js';

/**
 * Env frames per second of training when nothing is measured, on the 2-core lavapipe machine, by preset and by
 * what the method trains on: `state` (the Oracle, TWIST's teacher), `image` (the three image Dreamers) and `sac`
 * (asym-sac: its actor's image encoder, its critics on the state, an update every policy step).
 * debug: 20-35 (experiments/cartpole-smoke, oracle and dreamer, two runs at once).
 * quick, measured in runs of this experiment's config on cartpole-balance (2026-12-03, an idle 2-vCPU Intel Xeon
 * model 167 stepping 1 at 2.6 GHz, several minutes after prefill, progress lines of `twist train`): oracle 9.2-10.9
 * (without --collect-images), dreamer-dr 2.9-3.3, asym-sac 6.0-6.8. The Oracle teacher of
 * results/oracle-cartpole-balance-quick-actionembed (a 2.0 GHz Xeon of the same model) ran 9-12 frames/s alone and
 * averaged 6.2 over its 90k frames with pauses and other jobs. Taken: state 8, image 3, sac 6 - the slower end, since
 * these machines differ (benchmarks/README.md).
 * paper: not measured in a run; from the per-update costs of benchmarks/README.md (an update per 10 frames: paper
 * state ~24 s and paper image ~47 s, the paper actor-critic update alone 22 s).
 */
export const DEFAULT_STEPS_PER_SECOND: Record<string, { state: number; image: number; sac: number }> = {
  debug: { state: 25, image: 25, sac: 25 },
  quick: { state: 8, image: 3, sac: 6 },
  paper: { state: 0.4, image: 0.2, sac: 0.2 },
};

/** The default rate of a method at a preset: TWIST's teacher and the Oracle see state, asym-sac is its own kind, the others see images. */
export function defaultStepsPerSecond(preset: string, method: string): number {
  const d = DEFAULT_STEPS_PER_SECOND[preset];
  if (!d) return 1;
  if (method === 'asym-sac') return d.sac;
  return method === 'oracle' || method === TWIST_METHOD ? d.state : d.image;
}
/** Distillation seconds per update when nothing is measured (packages/distil/README.md: debug ~0.17 s on CPU, quick ~2.5-3 s on lavapipe). */
export const DEFAULT_DISTIL_SECONDS_PER_UPDATE: Record<string, number> = { debug: 0.2, quick: 3, paper: 10 };
/** Distillation updates of a TWIST run when its run.json does not exist yet (@twist/distil's DISTIL_PRESETS). */
export const DEFAULT_DISTIL_STEPS: Record<string, number> = { debug: 200, quick: 3_000, paper: 50_000 };

export interface RunEstimate {
  seconds: number;
  /** Env frames per second used, and where it came from. */
  stepsPerSecond: number;
  source: 'this run' | 'other runs of the method' | 'preset default';
  /** TWIST: seconds per distillation update used and its source. */
  distil?: { secondsPerUpdate: number; source: 'this run' | 'other runs of the method' | 'preset default'; updatesLeft: number };
}

const rateOf = (r: PlannedRun) => (r.wallSeconds && r.envFrames > 0 ? r.envFrames / teacherWall(r) : null);
/** TWIST runs record teacher + distillation wall-clock; the teacher's rate needs the teacher's part. */
const teacherWall = (r: PlannedRun) => (r.wallSeconds ?? 0) - (r.distil?.wallSeconds ?? 0);
const distilRateOf = (r: PlannedRun) => (r.distil?.wallSeconds && r.distil.updates > 0 ? r.distil.wallSeconds / r.distil.updates : null);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Estimates the remaining training time of every run (0 for done runs). */
export function estimateRuns(runs: PlannedRun[], preset: string, steps: number): RunEstimate[] {
  return runs.map((r) => {
    const same = runs.filter((o) => o.method.name === r.method.name);
    const pick = (own: number | null, f: (o: PlannedRun) => number | null, dflt: number) => {
      if (own !== null && Number.isFinite(own) && own > 0) return { v: own, source: 'this run' as const };
      const others = same.map(f).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
      return others.length ? { v: mean(others), source: 'other runs of the method' as const } : { v: dflt, source: 'preset default' as const };
    };
    const sps = pick(rateOf(r), rateOf, defaultStepsPerSecond(preset, r.method.method));
    if (r.state === 'done') return { seconds: 0, stepsPerSecond: sps.v, source: sps.source };
    let seconds = Math.max(0, steps - r.envFrames) / sps.v;
    const est: RunEstimate = { seconds, stepsPerSecond: sps.v, source: sps.source };
    if (r.method.method === TWIST_METHOD) {
      const spu = pick(distilRateOf(r), distilRateOf, DEFAULT_DISTIL_SECONDS_PER_UPDATE[preset] ?? 1);
      const total = r.method.distilSteps ?? r.distil?.steps ?? DEFAULT_DISTIL_STEPS[preset] ?? 0;
      const left = Math.max(0, total - (r.distil?.updates ?? 0));
      seconds += left * spu.v;
      est.seconds = seconds;
      est.distil = { secondsPerUpdate: spu.v, source: spu.source, updatesLeft: left };
    }
    return est;
  });
}
