/**
 * rliable-style aggregate plots: one row per method, a shaded bar for the interval [lo, hi] (e.g. a 95%
 * bootstrap CI) and a dark tick at the point estimate (e.g. the IQM of normalised return), on a shared x axis.
 */
import { AXIS, checkColor, checkRange, checkSize, checkString, type Chart, darker, fail, framePath, GRID, INK, MUTED, PAD, PALETTE, WHITE } from './common.js';
import { titlePrim } from './line.js';
import { fitText, type Box, type Prim, type RGB, TEXT_H, textWidth } from './scene.js';
import { formatTicks, niceScale } from './ticks.js';

export interface IntervalRow {
  /** Method name, drawn left of its row. */
  name: string;
  /** Point estimate; point, lo and hi are all finite (lo <= hi), or all NaN for a missing method ('n/a'). */
  point: number;
  lo: number;
  hi: number;
  color?: [number, number, number];
}

export interface IntervalPlotSpec {
  title?: string;
  xLabel: string;
  rows: IntervalRow[];
  /** Width default 640; height default fits the rows (34 px each). Each in 100..8192. */
  width?: number;
  height?: number;
  /** Fixed x axis range (else: all intervals, points and vlines, widened to nice ticks). */
  xRange?: [number, number];
  /** Vertical reference lines, e.g. x = 1 for "human-normalised score 1". */
  vlines?: { x: number; label?: string; color?: [number, number, number] }[];
}

const OP = 'renderIntervalPlot';
const ROW_H = 34;

function checkSpec(spec: IntervalPlotSpec, op: string) {
  if (spec === null || typeof spec !== 'object') fail(op, 'spec', 'an object', spec);
  const title = checkString(op, 'title', spec.title, true);
  const xLabel = checkString(op, 'xLabel', spec.xLabel);
  const xRange = checkRange(op, 'xRange', spec.xRange);
  if (!Array.isArray(spec.rows)) fail(op, 'rows', 'an array', spec.rows);
  const rows = spec.rows.map((r, i) => {
    const f = `rows[${i}]`;
    if (r === null || typeof r !== 'object') fail(op, f, 'an object', r);
    const name = checkString(op, `${f}.name`, r.name);
    for (const k of ['point', 'lo', 'hi'] as const) if (typeof r[k] !== 'number') fail(op, `${f}.${k}`, 'a number', r[k]);
    const missing = Number.isNaN(r.point) && Number.isNaN(r.lo) && Number.isNaN(r.hi);
    if (!missing) {
      for (const k of ['point', 'lo', 'hi'] as const) {
        if (!Number.isFinite(r[k])) fail(op, `${f}.${k}`, 'finite (or point, lo and hi all NaN for a missing method)', r[k]);
      }
      if (!(r.lo <= r.hi)) throw new Error(`${op}: ${f}.lo must be <= ${f}.hi, got lo=${r.lo}, hi=${r.hi}`);
    }
    const color: RGB = checkColor(op, `${f}.color`, r.color) ?? PALETTE[i % PALETTE.length];
    return { name, point: r.point, lo: r.lo, hi: r.hi, color, missing };
  });
  if (spec.vlines !== undefined && !Array.isArray(spec.vlines)) fail(op, 'vlines', 'an array', spec.vlines);
  const vlines = (spec.vlines ?? []).map((v, i) => {
    const f = `vlines[${i}]`;
    if (v === null || typeof v !== 'object') fail(op, f, 'an object', v);
    if (typeof v.x !== 'number' || !Number.isFinite(v.x)) fail(op, `${f}.x`, 'a finite number', v.x);
    return { x: v.x, label: checkString(op, `${f}.label`, v.label, true), color: checkColor(op, `${f}.color`, v.color) ?? MUTED };
  });
  const width = checkSize(op, 'width', spec.width, 640);
  const titleH = title ? TEXT_H * 2 + 8 : 4;
  const autoH = PAD + titleH + Math.max(1, rows.length) * ROW_H + 4 + 3 + TEXT_H + (xLabel ? TEXT_H + 6 : 0) + PAD + 1;
  const height = checkSize(op, 'height', spec.height, Math.max(100, autoH));
  return { width, height, title, xLabel, xRange, rows, vlines };
}

/** Lays out and draws one interval chart into a scene. */
export function intervalChart(spec: IntervalPlotSpec, op = OP): Chart {
  const s = checkSpec(spec, op);
  const { width: W, height: H } = s;
  const prims: Prim[] = [];
  let top = PAD + 4;
  if (s.title) {
    const t = titlePrim(s.title, W, PAD);
    prims.push(t.prim);
    top = PAD + t.h + 8;
  }
  const tickLen = 4;
  const bottom = H - 1 - (PAD + (s.xLabel ? TEXT_H + 6 : 0) + TEXT_H + 3 + tickLen);
  const nameMax = Math.floor(W * 0.35);
  const names = s.rows.map((r) => fitText(r.name, nameMax));
  const left = PAD + Math.max(0, ...names.map((n) => textWidth(n))) + 8;
  let right = W - 1 - 14;
  const present = s.rows.filter((r) => !r.missing);
  const vx = s.vlines.map((v) => v.x);
  const ext = present.length
    ? [Math.min(...vx, ...present.map((r) => Math.min(r.lo, r.point))), Math.max(...vx, ...present.map((r) => Math.max(r.hi, r.point)))]
    : undefined;

  if (s.xLabel) {
    prims.push({ kind: 'text', x: (left + right) / 2, y: H - 1 - PAD - TEXT_H + 1, text: fitText(s.xLabel, W - 2 * PAD), color: INK, scale: 1, anchor: 'middle', cls: 'x-label' });
  }
  const n = s.rows.length;
  const rowH = n ? (bottom - top) / n : bottom - top;
  const rowCenters = s.rows.map((_, i) => Math.round(top + (i + 0.5) * rowH));

  if (!ext) {
    const box: Box = { x0: left, y0: top, x1: right, y1: bottom };
    prims.push(framePath(box, AXIS));
    s.rows.forEach((r, i) => prims.push({ kind: 'text', x: left - 6, y: rowCenters[i] - 3, text: names[i], color: INK, scale: 1, anchor: 'end', cls: 'row-label' }));
    prims.push({ kind: 'text', x: (left + right) / 2, y: (top + bottom) / 2 - TEXT_H, text: 'no data', color: MUTED, scale: 2, anchor: 'middle', cls: 'no-data' });
    return {
      scene: { width: W, height: H, background: WHITE, prims },
      frame: { kind: 'interval', left, top, right, bottom, xDomain: [0, 1], xTicks: [], rowCenters, noData: true },
    };
  }

  let xScale!: ReturnType<typeof niceScale>;
  let labels: string[] = [];
  for (let target = Math.max(2, Math.min(10, Math.floor((right - left) / 70))); ; target--) {
    xScale = s.xRange ? niceScale(s.xRange[0], s.xRange[1], target, { extend: false }) : niceScale(ext[0], ext[1], target);
    labels = formatTicks(xScale.ticks, xScale.step);
    const px = (xScale.step / (xScale.hi - xScale.lo)) * (right - left);
    if (target <= 1 || Math.max(...labels.map((l) => textWidth(l))) + 12 <= px) break;
  }
  const lastW = textWidth(labels[labels.length - 1] ?? '');
  const lastPx = left + ((xScale.ticks[xScale.ticks.length - 1] - xScale.lo) / (xScale.hi - xScale.lo)) * (right - left);
  if (lastPx + lastW / 2 > W - 3) right -= Math.ceil(lastPx + lastW / 2 - (W - 3));
  const xDomain: [number, number] = [xScale.lo, xScale.hi];
  const X = (v: number) => left + ((v - xDomain[0]) / (xDomain[1] - xDomain[0])) * (right - left);
  const box: Box = { x0: left, y0: top, x1: right, y1: bottom };

  for (let i = 0; i < xScale.ticks.length; i++) {
    const px = Math.round(X(xScale.ticks[i]));
    if (px > left && px < right) prims.push({ kind: 'path', points: [px, top + 1, px, bottom - 1], color: GRID, width: 1 });
    prims.push({ kind: 'path', points: [px, bottom + 1, px, bottom + tickLen], color: AXIS, width: 1 });
    prims.push({ kind: 'text', x: px, y: bottom + tickLen + 3, text: labels[i], color: INK, scale: 1, anchor: 'middle', cls: 'tick' });
  }
  for (const v of s.vlines) {
    const px = X(v.x);
    if (px < left - 0.5 || px > right + 0.5) continue;
    prims.push({ kind: 'path', points: [px, top, px, bottom], color: v.color, width: 1, dashed: true, clip: box, cls: 'vline', name: v.label });
    if (v.label) prims.push({ kind: 'text', x: px + 3, y: top + 3, text: fitText(v.label, right - px - 4), color: darker(v.color, 0.85), scale: 1, anchor: 'start', cls: 'vline-label' });
  }
  const barH = Math.max(4, Math.min(16, Math.round(rowH * 0.45)));
  s.rows.forEach((r, i) => {
    const cy = rowCenters[i];
    prims.push({ kind: 'text', x: left - 6, y: cy - 3, text: names[i], color: INK, scale: 1, anchor: 'end', cls: 'row-label' });
    if (r.missing) {
      prims.push({ kind: 'text', x: left + 6, y: cy - 3, text: 'n/a', color: MUTED, scale: 1, anchor: 'start', cls: 'missing' });
      return;
    }
    const x0 = Math.round(X(r.lo));
    const x1 = Math.max(x0 + 1, Math.round(X(r.hi)));
    prims.push({ kind: 'rect', x: x0, y: cy - Math.floor(barH / 2), w: x1 - x0 + 1, h: barH, fill: r.color, opacity: 0.45, clip: box });
    const pt = X(r.point);
    prims.push({ kind: 'path', points: [pt, cy - Math.floor(barH / 2) - 2, pt, cy + Math.ceil(barH / 2) + 1], color: darker(r.color), width: 2, clip: box, cls: 'series', name: r.name });
  });
  prims.push(framePath(box, AXIS));
  return {
    scene: { width: W, height: H, background: WHITE, prims },
    frame: { kind: 'interval', left, top, right, bottom, xDomain, xTicks: xScale.ticks, rowCenters, noData: false },
  };
}
