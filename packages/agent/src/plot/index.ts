/**
 * Dependency-free charts for training curves and experiment reports, rendered to PNG (8-bit RGB, via
 * @twist/envs's encoder, 5x7 bitmap font) and to a standalone SVG with the same content.
 *
 *   renderLinePlot(spec)          curves vs env steps, with spread bands, reference rows and a legend
 *   renderIntervalPlot(spec)      rliable-style rows: point estimate + [lo, hi] interval per method
 *   renderPanels(specs, columns)  several of either in one image
 *   writePlot(path, result)       path.png and path.svg, each written atomically
 */
import { encodePng, writeFileAtomic } from '@twist/envs/node';
import { type Chart, fail, type PlotResult, WHITE } from './common.js';
import { intervalChart, type IntervalPlotSpec } from './interval.js';
import { lineChart, type LinePlotSpec } from './line.js';
import { rasterize, type Prim, type Scene, toSvg, translatePrim } from './scene.js';

export type { PlotFrame, PlotResult } from './common.js';
export { PALETTE } from './common.js';
export type { HLine, LinePlotSpec, LineSeries } from './line.js';
export type { IntervalPlotSpec, IntervalRow } from './interval.js';
export { formatTicks, formatValue, niceScale, type NiceScale } from './ticks.js';

/** Either chart kind; interval specs are told apart by their `rows` field. */
export type PanelSpec = LinePlotSpec | IntervalPlotSpec;

function finish(scene: Scene, frames: Chart['frame'][]): PlotResult {
  const data = rasterize(scene);
  return {
    png: encodePng({ width: scene.width, height: scene.height, channels: 3, data }),
    svg: toSvg(scene),
    width: scene.width,
    height: scene.height,
    frames,
  };
}

/**
 * Renders a line chart. Throws (naming the field, what was expected and what it got) when x and y (or a
 * band) differ in length, a range is not finite with lo < hi, width/height is not an integer in 100..8192,
 * or a colour is not [r, g, b] bytes. NaN / non-finite points leave gaps; a lone finite point is a marker;
 * no finite point at all gives a chart reading 'no data'.
 */
export function renderLinePlot(spec: LinePlotSpec): PlotResult {
  const c = lineChart(spec, 'renderLinePlot');
  return finish(c.scene, [c.frame]);
}

/** Renders an rliable-style interval chart (one row per method). */
export function renderIntervalPlot(spec: IntervalPlotSpec): PlotResult {
  const c = intervalChart(spec, 'renderIntervalPlot');
  return finish(c.scene, [c.frame]);
}

/**
 * Several charts in one image, row-major in a grid `columns` wide (default: all in one row). Each cell is as
 * wide as its column's widest chart and as tall as its row's tallest; charts keep their own sizes.
 */
export function renderPanels(panels: PanelSpec[], columns?: number): PlotResult {
  const op = 'renderPanels';
  if (!Array.isArray(panels) || panels.length === 0) fail(op, 'panels', 'a non-empty array of chart specs', panels);
  const cols = columns ?? panels.length;
  if (!Number.isInteger(cols) || cols < 1) fail(op, 'columns', 'a positive integer', cols);
  const charts = panels.map((p, i) => {
    if (p === null || typeof p !== 'object') fail(op, `panels[${i}]`, 'an object', p);
    return 'rows' in p ? intervalChart(p, `${op}: panels[${i}]`) : lineChart(p as LinePlotSpec, `${op}: panels[${i}]`);
  });
  const nCols = Math.min(cols, charts.length);
  const nRows = Math.ceil(charts.length / nCols);
  const colW = Array.from({ length: nCols }, (_, c) => Math.max(...charts.filter((_, i) => i % nCols === c).map((ch) => ch.scene.width)));
  const rowH = Array.from({ length: nRows }, (_, r) => Math.max(...charts.filter((_, i) => Math.floor(i / nCols) === r).map((ch) => ch.scene.height)));
  const W = colW.reduce((a, b) => a + b, 0);
  const H = rowH.reduce((a, b) => a + b, 0);
  if (W * H > 8192 * 8192) throw new Error(`${op}: combined image must be at most ${8192 * 8192} pixels, got ${W}x${H}`);
  const prims: Prim[] = [];
  const frames: Chart['frame'][] = [];
  charts.forEach((ch, i) => {
    const c = i % nCols;
    const r = Math.floor(i / nCols);
    const dx = colW.slice(0, c).reduce((a, b) => a + b, 0);
    const dy = rowH.slice(0, r).reduce((a, b) => a + b, 0);
    prims.push({ kind: 'rect', x: dx, y: dy, w: ch.scene.width, h: ch.scene.height, fill: ch.scene.background });
    for (const p of ch.scene.prims) prims.push(translatePrim(p, dx, dy));
    const f = ch.frame;
    frames.push({
      ...f,
      left: f.left + dx,
      right: f.right + dx,
      top: f.top + dy,
      bottom: f.bottom + dy,
      rowCenters: f.rowCenters?.map((y) => y + dy),
      legend: f.legend && { x0: f.legend.x0 + dx, x1: f.legend.x1 + dx, y0: f.legend.y0 + dy, y1: f.legend.y1 + dy },
    });
  });
  return finish({ width: W, height: H, background: WHITE, prims }, frames);
}

/**
 * Writes `<path>.png` and `<path>.svg`, each atomically (a trailing .png / .svg on the path is dropped).
 * Returns the two file paths.
 */
export function writePlot(pathWithoutExt: string, result: Pick<PlotResult, 'png' | 'svg'>): { png: string; svg: string } {
  if (typeof pathWithoutExt !== 'string' || pathWithoutExt === '') fail('writePlot', 'pathWithoutExt', 'a non-empty string', pathWithoutExt);
  if (!(result?.png instanceof Uint8Array) || typeof result.svg !== 'string') fail('writePlot', 'result', '{ png: Uint8Array, svg: string }', result);
  const base = pathWithoutExt.replace(/\.(png|svg)$/i, '');
  const png = `${base}.png`;
  const svg = `${base}.svg`;
  writeFileAtomic(png, result.png);
  writeFileAtomic(svg, new TextEncoder().encode(result.svg));
  return { png, svg };
}
