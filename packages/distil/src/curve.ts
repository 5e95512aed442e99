import type { LineSeries } from '@twist/agent';
import { readMetricsLog, renderPanels, writePlot } from '@twist/agent/node';

const TERMS: [string, string][] = [
  ['h', 'Eq.3 h'],
  ['prior', 'Eq.3 prior KL'],
  ['post', 'Eq.3 posterior KL'],
  ['imagH', 'Eq.4 h'],
  ['imagPrior', 'Eq.4 prior KL'],
  ['recon', 'reconstruction'],
  ['stateRecon', 'state decoder'],
  ['act', 'action match'],
];

/**
 * Redraws a distillation run's curve (`curve.png` and `.svg`) from its metrics: each loss term against
 * distillation updates (log10 scale, since the terms differ by orders of magnitude), and the deployed
 * student's held-out return at the checkpoints, with the teacher's state return and the zero-action and
 * random policies' returns as reference lines.
 */
export function writeDistilCurve(pathWithoutExt: string, metricsPath: string, title: string): void {
  const rows = readMetricsLog(metricsPath);
  const train = rows.filter((r) => r.kind === 'distil');
  const evals = rows.filter((r) => r.kind === 'eval');
  const teacher = rows.find((r) => r.kind === 'teacher-eval');
  const lossSeries: LineSeries[] = TERMS.filter(([k]) => train.some((r) => Number.isFinite(r[k]))).map(([k, name]) => ({
    name,
    x: train.map((r) => r.updates),
    y: train.map((r) => (Number.isFinite(r[k]) && r[k] > 0 ? Math.log10(r[k]) : NaN)),
  }));
  const refs = teacher?.references;
  const hlines = [
    ...(teacher ? [{ y: teacher.mean as number, label: `teacher on state ${teacher.mean.toFixed(0)}`, color: [60, 140, 60] as [number, number, number] }] : []),
    ...(refs
      ? [
          { y: refs.zero.mean as number, label: `zero action ${refs.zero.mean.toFixed(0)}`, color: [150, 150, 150] as [number, number, number] },
          { y: refs.random.mean as number, label: `random ${refs.random.mean.toFixed(0)}`, color: [200, 120, 120] as [number, number, number] },
        ]
      : []),
  ];
  const panels = [
    {
      title: `${title}: loss terms`,
      xLabel: 'distillation updates',
      yLabel: 'log10 loss term',
      series: lossSeries.length ? lossSeries : [{ name: 'no data yet', x: [], y: [] }],
    },
    {
      title: 'deployed student, held-out domains',
      xLabel: 'distillation updates',
      yLabel: 'return',
      series: [
        {
          name: 'held-out return (mean)',
          x: evals.map((r) => r.updates),
          y: evals.map((r) => r.mean),
          band: { lo: evals.map((r) => Math.min(...r.returns)), hi: evals.map((r) => Math.max(...r.returns)) },
        },
      ],
      hlines,
    },
  ];
  writePlot(pathWithoutExt, renderPanels(panels, 2));
}
