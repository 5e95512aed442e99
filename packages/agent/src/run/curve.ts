import { renderPanels, writePlot } from '../plot/index.js';
import { readMetricsLog } from './run-dir.js';

/**
 * Redraws a run's curve (`curve.png` and `.svg`) from its metrics: evaluation return against env steps (with
 * the zero-action and random policies' returns as reference lines) beside the training loss: the world-model
 * loss of a Dreamer run, the critic loss of a model-free (SAC) run, whichever the metrics hold.
 */
export function writeCurve(pathWithoutExt: string, metricsPath: string, title: string): void {
  writePlot(pathWithoutExt, renderPanels(curvePanels(readMetricsLog(metricsPath), title), 2));
}

/** The two panels of a run's curve from its metric rows (see writeCurve). */
export function curvePanels(rows: Record<string, any>[], title: string) {
  const evals = rows.filter((r) => r.kind === 'eval');
  const key = rows.some((r) => r.kind === 'train' && Number.isFinite(r.loss)) ? 'loss' : 'criticLoss';
  const lossName = key === 'loss' ? 'world-model loss' : 'critic loss';
  const trains = rows.filter((r) => r.kind === 'train' && Number.isFinite(r[key]));
  const refs = evals.find((r) => r.references)?.references;
  const hlines = refs
    ? [
        { y: refs.zero.mean, label: `zero action ${refs.zero.mean.toFixed(0)}`, color: [150, 150, 150] as [number, number, number] },
        { y: refs.random.mean, label: `random ${refs.random.mean.toFixed(0)}`, color: [200, 120, 120] as [number, number, number] },
      ]
    : [];
  const evalSeries = {
    name: 'eval return (mean)',
    x: evals.map((r) => r.envFrames),
    y: evals.map((r) => r.mean),
    band: { lo: evals.map((r) => Math.min(...r.returns)), hi: evals.map((r) => Math.max(...r.returns)) },
  };
  const panels = [
    { title: `${title}: evaluation return`, xLabel: 'env steps', yLabel: 'return', series: [evalSeries], hlines },
    {
      title: lossName,
      xLabel: 'env steps',
      yLabel: 'loss',
      series: [{ name: lossName, x: trains.map((r) => r.envFrames), y: trains.map((r) => r[key]) }],
    },
  ];
  return panels;
}
