/**
 * Line charts for training curves: several series (optionally dashed, with a shaded spread band), horizontal
 * reference lines (e.g. a random or zero-action policy's return), nice ticks, a legend placed in the emptiest
 * corner, gaps at NaN / missing points, lone points drawn as markers, and a 'no data' chart when nothing is
 * finite.
 */
import {
  AXIS,
  checkColor,
  checkRange,
  checkSize,
  checkString,
  type Chart,
  fail,
  framePath,
  GRID,
  INK,
  isNumberArray,
  MUTED,
  PAD,
  PALETTE,
  WHITE,
  darker,
} from './common.js';
import { fitText, type Box, type Prim, type RGB, TEXT_H, textWidth } from './scene.js';
import { formatTicks, niceScale } from './ticks.js';

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  /** Same length as x; NaN (or a non-finite x) leaves a gap. */
  y: ArrayLike<number>;
  color?: [number, number, number];
  /** Shaded spread (e.g. min..max or mean +- std over seeds); same length as x. */
  band?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  dashed?: boolean;
}

export interface HLine {
  y: number;
  label: string;
  color?: [number, number, number];
}

export interface LinePlotSpec {
  title?: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Horizontal reference lines (dashed), labelled at the right end. */
  hlines?: HLine[];
  /** Image size in pixels (defaults 640 x 400; each in 100..8192). */
  width?: number;
  height?: number;
  /** Fixed y axis range (else: the data, series bands and hlines, widened to nice ticks). */
  yRange?: [number, number];
  /** Fixed x axis range (else: the finite x values). */
  xRange?: [number, number];
  /** Draw the legend (default true; only series with a non-empty name are listed). */
  legend?: boolean;
}

interface CheckedSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: RGB;
  band?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  dashed: boolean;
}

const OP = 'renderLinePlot';

function checkSpec(spec: LinePlotSpec, op: string) {
  if (spec === null || typeof spec !== 'object') fail(op, 'spec', 'an object', spec);
  const width = checkSize(op, 'width', spec.width, 640);
  const height = checkSize(op, 'height', spec.height, 400);
  const title = checkString(op, 'title', spec.title, true);
  const xLabel = checkString(op, 'xLabel', spec.xLabel);
  const yLabel = checkString(op, 'yLabel', spec.yLabel);
  const yRange = checkRange(op, 'yRange', spec.yRange);
  const xRange = checkRange(op, 'xRange', spec.xRange);
  if (!Array.isArray(spec.series)) fail(op, 'series', 'an array', spec.series);
  const series: CheckedSeries[] = spec.series.map((s, i) => {
    const f = `series[${i}]`;
    if (s === null || typeof s !== 'object') fail(op, f, 'an object', s);
    const name = checkString(op, `${f}.name`, s.name);
    if (!isNumberArray(s.x)) fail(op, `${f}.x`, 'an array of numbers', s.x);
    if (!isNumberArray(s.y)) fail(op, `${f}.y`, 'an array of numbers', s.y);
    if (s.y.length !== s.x.length) {
      throw new Error(`${op}: ${f}.y (${JSON.stringify(name)}) must have the same length as ${f}.x (${s.x.length}), got ${s.y.length}`);
    }
    if (s.band !== undefined) {
      if (s.band === null || typeof s.band !== 'object') fail(op, `${f}.band`, '{ lo, hi }', s.band);
      for (const k of ['lo', 'hi'] as const) {
        const a = s.band[k];
        if (!isNumberArray(a)) fail(op, `${f}.band.${k}`, 'an array of numbers', a);
        if (a.length !== s.x.length) {
          throw new Error(`${op}: ${f}.band.${k} (${JSON.stringify(name)}) must have the same length as ${f}.x (${s.x.length}), got ${a.length}`);
        }
      }
    }
    if (s.dashed !== undefined && typeof s.dashed !== 'boolean') fail(op, `${f}.dashed`, 'a boolean', s.dashed);
    const color = checkColor(op, `${f}.color`, s.color) ?? PALETTE[i % PALETTE.length];
    return { name, x: s.x, y: s.y, color, band: s.band, dashed: s.dashed ?? false };
  });
  if (spec.hlines !== undefined && !Array.isArray(spec.hlines)) fail(op, 'hlines', 'an array', spec.hlines);
  const hlines = (spec.hlines ?? []).map((h, i) => {
    const f = `hlines[${i}]`;
    if (h === null || typeof h !== 'object') fail(op, f, 'an object', h);
    if (typeof h.y !== 'number' || !Number.isFinite(h.y)) fail(op, `${f}.y`, 'a finite number', h.y);
    const label = checkString(op, `${f}.label`, h.label);
    return { y: h.y, label, color: checkColor(op, `${f}.color`, h.color) ?? MUTED };
  });
  if (spec.legend !== undefined && typeof spec.legend !== 'boolean') fail(op, 'legend', 'a boolean', spec.legend);
  return { width, height, title, xLabel, yLabel, yRange, xRange, series, hlines, legend: spec.legend ?? true };
}

/** Runs of consecutive indices where every given array is finite. */
function finiteRuns(n: number, arrays: ArrayLike<number>[]): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const ok = i < n && arrays.every((a) => Number.isFinite(a[i]));
    if (ok && start < 0) start = i;
    if (!ok && start >= 0) {
      runs.push([start, i]);
      start = -1;
    }
  }
  return runs;
}

function extent(values: Iterable<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

function* pairsFinite(x: ArrayLike<number>, ys: ArrayLike<number>[]): Generator<[number, number]> {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) continue;
    for (const y of ys) if (Number.isFinite(y[i])) yield [x[i], y[i]];
  }
}

/** Title text at scale 2 when it fits, else scale 1 (truncated). */
export function titlePrim(title: string, width: number, y: number): { prim: Prim; h: number } {
  const scale = textWidth(title, 2) <= width - 2 * PAD ? 2 : 1;
  return {
    prim: { kind: 'text', x: width / 2, y, text: fitText(title, width - 2 * PAD, scale), color: INK, scale, anchor: 'middle', cls: 'title' },
    h: TEXT_H * scale,
  };
}

/** Lays out and draws one line chart into a scene. */
export function lineChart(spec: LinePlotSpec, op = OP): Chart {
  const s = checkSpec(spec, op);
  const { width: W, height: H } = s;
  const prims: Prim[] = [];

  // --- vertical layout
  let top = PAD;
  if (s.title) {
    const t = titlePrim(s.title, W, PAD);
    prims.push(t.prim);
    top = PAD + t.h + 8;
  } else top = PAD + 4;
  const tickLen = 4;
  const bottom = H - 1 - (PAD + (s.xLabel ? TEXT_H + 6 : 0) + TEXT_H + 3 + tickLen);

  // --- data ranges
  const xs = extent(s.series.flatMap((q) => [...pairsFinite(q.x, [q.y])].map((p) => p[0])));
  const ysData = s.series.flatMap((q) => [...pairsFinite(q.x, q.band ? [q.y, q.band.lo, q.band.hi] : [q.y])].map((p) => p[1]));
  const hasData = xs !== undefined;
  const yExt = extent([...ysData, ...(hasData ? s.hlines.map((h) => h.y) : [])]);

  const plotH = bottom - top;
  const yTarget = Math.max(2, Math.min(10, Math.round(plotH / 45)));
  const yScale = hasData && yExt ? (s.yRange ? niceScale(s.yRange[0], s.yRange[1], yTarget, { extend: false }) : niceScale(yExt[0], yExt[1], yTarget)) : undefined;
  const yLabels = yScale ? formatTicks(yScale.ticks, yScale.step) : [];
  const yLabelW = Math.max(0, ...yLabels.map((l) => textWidth(l)));

  // --- horizontal layout
  const left = PAD + (s.yLabel ? TEXT_H + 8 : 0) + yLabelW + 4 + tickLen;
  let xDomain: [number, number] = s.xRange ?? (xs ? [xs[0], xs[1]] : [0, 1]);
  if (xDomain[0] === xDomain[1]) {
    const d = xDomain[0] === 0 ? 1 : Math.abs(xDomain[0]) * 0.1;
    xDomain = [xDomain[0] - d, xDomain[1] + d];
  }
  let right = W - 1 - 14;
  let xScale: ReturnType<typeof niceScale> | undefined;
  let xLabels: string[] = [];
  if (hasData) {
    for (let target = Math.max(2, Math.min(10, Math.floor((right - left) / 70))); ; target--) {
      xScale = niceScale(xDomain[0], xDomain[1], target, { extend: false });
      xLabels = formatTicks(xScale.ticks, xScale.step);
      const px = (xScale.step / (xDomain[1] - xDomain[0])) * (right - left);
      if (target <= 1 || Math.max(...xLabels.map((l) => textWidth(l))) + 12 <= px) break;
    }
    // Room for the last tick label's right half.
    const lastW = textWidth(xLabels[xLabels.length - 1] ?? '');
    const lastPx = left + ((xScale!.ticks[xScale!.ticks.length - 1] - xDomain[0]) / (xDomain[1] - xDomain[0])) * (right - left);
    if (lastPx + lastW / 2 > W - 1 - 2) right -= Math.ceil(lastPx + lastW / 2 - (W - 3));
  }
  const box: Box = { x0: left, y0: top, x1: right, y1: bottom };
  const yDomain: [number, number] = yScale ? [yScale.lo, yScale.hi] : [0, 1];
  const X = (v: number) => left + ((v - xDomain[0]) / (xDomain[1] - xDomain[0])) * (right - left);
  const Y = (v: number) => bottom - ((v - yDomain[0]) / (yDomain[1] - yDomain[0])) * (bottom - top);

  // --- axis labels
  if (s.xLabel) {
    prims.push({ kind: 'text', x: (left + right) / 2, y: H - 1 - PAD - TEXT_H + 1, text: fitText(s.xLabel, W - 2 * PAD), color: INK, scale: 1, anchor: 'middle', cls: 'x-label' });
  }
  if (s.yLabel) {
    prims.push({ kind: 'text', x: PAD, y: (top + bottom) / 2, text: fitText(s.yLabel, bottom - top), color: INK, scale: 1, anchor: 'middle', vertical: true, cls: 'y-label' });
  }

  if (!hasData || !yScale || !xScale) {
    prims.push(framePath(box, AXIS));
    prims.push({ kind: 'text', x: (left + right) / 2, y: (top + bottom) / 2 - TEXT_H, text: 'no data', color: MUTED, scale: 2, anchor: 'middle', cls: 'no-data' });
    return {
      scene: { width: W, height: H, background: WHITE, prims },
      frame: { kind: 'line', left, top, right, bottom, xDomain, yDomain, xTicks: [], yTicks: [], noData: true },
    };
  }

  // --- grid and ticks
  for (let i = 0; i < xScale.ticks.length; i++) {
    const px = Math.round(X(xScale.ticks[i]));
    if (px > left && px < right) prims.push({ kind: 'path', points: [px, top + 1, px, bottom - 1], color: GRID, width: 1 });
    prims.push({ kind: 'path', points: [px, bottom + 1, px, bottom + tickLen], color: AXIS, width: 1 });
    prims.push({ kind: 'text', x: px, y: bottom + tickLen + 3, text: xLabels[i], color: INK, scale: 1, anchor: 'middle', cls: 'tick' });
  }
  for (let i = 0; i < yScale.ticks.length; i++) {
    const py = Math.round(Y(yScale.ticks[i]));
    if (py > top && py < bottom) prims.push({ kind: 'path', points: [left + 1, py, right - 1, py], color: GRID, width: 1 });
    prims.push({ kind: 'path', points: [left - tickLen, py, left - 1, py], color: AXIS, width: 1 });
    prims.push({ kind: 'text', x: left - tickLen - 3, y: py - 3, text: yLabels[i], color: INK, scale: 1, anchor: 'end', cls: 'tick' });
  }

  // --- bands
  const clip = box;
  for (const q of s.series) {
    if (!q.band) continue;
    for (const [a, b] of finiteRuns(q.x.length, [q.x, q.band.lo, q.band.hi])) {
      if (b - a < 2) continue;
      const pts: number[] = [];
      for (let i = a; i < b; i++) pts.push(X(q.x[i]), Y(q.band.hi[i]));
      for (let i = b - 1; i >= a; i--) pts.push(X(q.x[i]), Y(q.band.lo[i]));
      prims.push({ kind: 'poly', points: pts, fill: q.color, opacity: 0.2, clip, cls: 'band' });
    }
  }
  prims.push(framePath(box, AXIS));

  // --- reference lines
  const occupied: number[] = []; // sampled pixel positions of drawn data, for legend placement
  const hlineLabels: Prim[] = [];
  for (const h of s.hlines) {
    const py = Y(h.y);
    if (py < top - 0.5 || py > bottom + 0.5) continue;
    prims.push({ kind: 'path', points: [left, py, right, py], color: h.color, width: 1, dashed: true, clip, cls: 'hline', name: h.label });
    for (let px = left; px <= right; px += 4) occupied.push(px, py);
    if (h.label) {
      const above = py - TEXT_H - 3 >= top + 2;
      hlineLabels.push({ kind: 'text', x: right - 4, y: above ? py - TEXT_H - 2 : py + 4, text: fitText(h.label, (right - left) / 2), color: darker(h.color, 0.85), scale: 1, anchor: 'end', cls: 'hline-label' });
    }
  }

  // --- series
  for (const q of s.series) {
    const runs = finiteRuns(q.x.length, [q.x, q.y]);
    for (const [a, b] of runs) {
      if (b - a === 1) {
        prims.push({ kind: 'dot', x: X(q.x[a]), y: Y(q.y[a]), r: 3, fill: q.color, clip, cls: 'marker', name: q.name });
        occupied.push(X(q.x[a]), Y(q.y[a]));
        continue;
      }
      const pts: number[] = [];
      for (let i = a; i < b; i++) {
        const px = X(q.x[i]);
        const py = Y(q.y[i]);
        if (i > a) {
          const [qx, qy] = [pts[pts.length - 2], pts[pts.length - 1]];
          const n = Math.ceil(Math.hypot(px - qx, py - qy) / 4);
          for (let k = 1; k < n; k++) occupied.push(qx + ((px - qx) * k) / n, qy + ((py - qy) * k) / n);
        }
        pts.push(px, py);
        occupied.push(px, py);
      }
      prims.push({ kind: 'path', points: pts, color: q.color, width: 2, dashed: q.dashed, clip, cls: 'series', name: q.name });
    }
  }
  prims.push(...hlineLabels);

  // --- legend
  let legendBox: Box | undefined;
  const named = s.legend ? s.series.filter((q) => q.name !== '') : [];
  if (named.length) {
    const swatch = 18;
    const rowH = 12;
    // At most ~45% of the plot width and ~60% of its height; the rest is summarised as '+N more'.
    const maxText = Math.max(4 * 6, Math.min(Math.floor((right - left) * 0.45) - swatch - 17, 40 * 6));
    const fit = Math.max(1, Math.floor(((bottom - top) * 0.6 - 6) / rowH));
    const entries = named.length > fit ? named.slice(0, fit - 1) : named;
    const more = named.length - entries.length;
    const names = entries.map((q) => fitText(q.name, maxText));
    const moreText = more ? fitText(`+${more} more`, maxText + swatch + 5) : '';
    const lw = 6 + Math.max(swatch + 5 + Math.max(0, ...names.map((n) => textWidth(n))), textWidth(moreText)) + 6;
    const lh = 5 + (entries.length + (more ? 1 : 0)) * rowH + 1;
    const m = 6;
    const corners: [number, number][] = [
      [right - m - lw + 1, top + m], // top right first: preferred on ties
      [left + m, top + m],
      [right - m - lw + 1, bottom - m - lh + 1],
      [left + m, bottom - m - lh + 1],
    ];
    for (const t of hlineLabels) {
      if (t.kind === 'text') for (let u = 0; u <= textWidth(t.text); u += 3) occupied.push(t.x - u, t.y + 3);
    }
    let best = corners[0];
    let bestCount = Infinity;
    for (const c of corners) {
      let count = 0;
      for (let i = 0; i < occupied.length; i += 2) {
        const ox = occupied[i];
        const oy = occupied[i + 1];
        if (ox >= c[0] - 2 && ox <= c[0] + lw + 2 && oy >= c[1] - 2 && oy <= c[1] + lh + 2) count++;
      }
      if (count < bestCount) {
        bestCount = count;
        best = c;
      }
    }
    const [lx, ly] = best;
    legendBox = { x0: lx, y0: ly, x1: lx + lw - 1, y1: ly + lh - 1 };
    prims.push({ kind: 'rect', x: lx, y: ly, w: lw, h: lh, fill: WHITE, opacity: 0.88 });
    prims.push(framePath(legendBox, [190, 190, 190]));
    entries.forEach((q, k) => {
      const cy = ly + 5 + k * rowH + 3;
      const runs = finiteRuns(q.x.length, [q.x, q.y]);
      const onlyMarkers = runs.length > 0 && runs.every(([a, b]) => b - a === 1);
      if (q.band) prims.push({ kind: 'rect', x: lx + 6, y: cy - 4, w: swatch, h: 9, fill: q.color, opacity: 0.2 });
      if (onlyMarkers) prims.push({ kind: 'dot', x: lx + 6 + swatch / 2, y: cy, r: 3, fill: q.color });
      else prims.push({ kind: 'path', points: [lx + 6, cy, lx + 6 + swatch - 1, cy], color: q.color, width: 2, dashed: q.dashed, cls: 'legend-swatch' });
      prims.push({ kind: 'text', x: lx + 6 + swatch + 5, y: cy - 3, text: names[k], color: INK, scale: 1, anchor: 'start', cls: 'legend' });
    });
    if (more) prims.push({ kind: 'text', x: lx + 6, y: ly + 5 + entries.length * rowH, text: moreText, color: MUTED, scale: 1, anchor: 'start', cls: 'legend' });
  }

  return {
    scene: { width: W, height: H, background: WHITE, prims },
    frame: { kind: 'line', left, top, right, bottom, xDomain, yDomain, xTicks: xScale.ticks, yTicks: yScale.ticks, legend: legendBox, noData: false },
  };
}

