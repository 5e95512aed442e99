import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng, readPng } from '@twist/envs/node';
import { describe, expect, it } from 'vitest';
import {
  formatTicks,
  formatValue,
  niceScale,
  type LinePlotSpec,
  type PlotFrame,
  type PlotResult,
  renderIntervalPlot,
  renderLinePlot,
  renderPanels,
  writePlot,
} from '../src/plot/index.js';

type RGB = [number, number, number];
const RED: RGB = [255, 0, 0];
const GREEN: RGB = [0, 160, 0];

/** Pixel lookup on a decoded result. */
function image(r: PlotResult) {
  const img = decodePng(r.png);
  const at = (x: number, y: number): RGB => {
    const k = img.channels * (y * img.width + x);
    return [img.data[k], img.data[k + 1], img.data[k + 2]];
  };
  const is = (x: number, y: number, c: readonly number[]) => {
    const p = at(x, y);
    return p[0] === c[0] && p[1] === c[1] && p[2] === c[2];
  };
  /** All pixels of colour c. */
  const find = (c: readonly number[]) => {
    const out: [number, number][] = [];
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (is(x, y, c)) out.push([x, y]);
    return out;
  };
  return { img, at, is, find };
}

const rowOf = (f: PlotFrame, v: number) => Math.round(f.bottom - ((v - f.yDomain![0]) / (f.yDomain![1] - f.yDomain![0])) * (f.bottom - f.top));
const colOf = (f: PlotFrame, v: number) => Math.round(f.left + ((v - f.xDomain[0]) / (f.xDomain[1] - f.xDomain[0])) * (f.right - f.left));
const xs = (n: number, step = 1) => Array.from({ length: n }, (_, i) => i * step);

function flat(y: number, over: Partial<LinePlotSpec> = {}): LinePlotSpec {
  return { xLabel: 'env steps', yLabel: 'return', series: [{ name: 'flat', x: xs(11), y: xs(11).map(() => y), color: RED }], yRange: [0, 1], legend: false, ...over };
}

describe('ticks', () => {
  const cases: [number, number, number][] = [
    [0, 1, 5],
    [0, 103, 6],
    [-0.037, 0.912, 5],
    [3, 3, 5],
    [0, 1_000_000, 5],
    [12_345, 987_654, 7],
    [-5e-5, 2.3e-4, 4],
    [1e9, 1.0000001e9, 5],
    [-250, -10, 3],
  ];
  it.each(cases)('niceScale(%d, %d, %d) has nice ticks covering the range', (lo, hi, target) => {
    const s = niceScale(lo, hi, target);
    const e = Math.floor(Math.log10(s.step));
    const m = s.step / 10 ** e;
    expect([1, 2, 5].some((n) => Math.abs(m - n) < 1e-9)).toBe(true);
    expect(s.ticks[0]).toBeLessThanOrEqual(lo);
    expect(s.ticks[s.ticks.length - 1]).toBeGreaterThanOrEqual(hi);
    expect(s.ticks.length - 1).toBeLessThanOrEqual(target);
    expect(s.ticks.length).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < s.ticks.length; i++) {
      const q = s.ticks[i] / s.step;
      expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-6);
      if (i) expect(s.ticks[i] - s.ticks[i - 1]).toBeCloseTo(s.step, 9);
    }
    expect([s.lo, s.hi]).toEqual([s.ticks[0], s.ticks[s.ticks.length - 1]]);
  });

  it('without extend keeps the domain and puts ticks inside it', () => {
    const s = niceScale(0.13, 0.87, 4, { extend: false });
    expect([s.lo, s.hi]).toEqual([0.13, 0.87]);
    expect(s.ticks).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it('labels use SI suffixes for env steps and just enough decimals', () => {
    expect(formatTicks([0, 50_000, 100_000, 150_000], 50_000)).toEqual(['0', '50k', '100k', '150k']);
    expect(formatTicks([0, 400_000, 800_000, 1_200_000], 400_000)).toEqual(['0', '0.4M', '0.8M', '1.2M']);
    expect(formatTicks([0, 0.2, 0.4], 0.2)).toEqual(['0', '0.2', '0.4']);
    expect(formatTicks([0, 0.25, 0.5], 0.25)).toEqual(['0', '0.25', '0.50']);
    expect(formatTicks([-200, 0, 200], 200)).toEqual(['-200', '0', '200']);
    expect(formatTicks([0, 1e-4, 2e-4], 1e-4)).toEqual(['0', '1e-4', '2e-4']);
    expect(formatValue(1_234_567)).toBe('1.23M');
    expect(formatValue(0.5)).toBe('0.5');
  });

  it('rejects a non-finite range', () => {
    expect(() => niceScale(0, Infinity)).toThrow(/range.*finite.*Infinity/);
  });
});

describe('renderLinePlot', () => {
  it('PNG decodes to the stated size (default 640x400)', () => {
    const a = decodePng(renderLinePlot(flat(0.5)).png);
    expect([a.width, a.height, a.channels]).toEqual([640, 400, 3]);
    const b = decodePng(renderLinePlot(flat(0.5, { width: 300, height: 180 })).png);
    expect([b.width, b.height]).toEqual([300, 180]);
  });

  it('a horizontal line y = const lights its expected pixel row and nothing else', () => {
    const r = renderLinePlot(flat(0.5));
    const f = r.frames[0];
    const row = rowOf(f, 0.5);
    const { find } = image(r);
    const red = find(RED);
    expect(red.length).toBeGreaterThan(0);
    for (const [x, y] of red) {
      expect(y === row || y === row + 1).toBe(true);
      expect(x >= f.left && x <= f.right).toBe(true);
    }
    // The whole row, end to end.
    const onRow = new Set(red.filter(([, y]) => y === row).map(([x]) => x));
    for (let x = f.left; x <= f.right; x++) expect(onRow.has(x)).toBe(true);
    // A second line at another height goes to its own row.
    const r2 = renderLinePlot({ ...flat(0.5), series: [...flat(0.5).series, { name: 'low', x: xs(11), y: xs(11).map(() => 0.25), color: GREEN }] });
    const green = image(r2).find(GREEN);
    expect(new Set(green.map(([, y]) => y))).toEqual(new Set([rowOf(r2.frames[0], 0.25), rowOf(r2.frames[0], 0.25) + 1]));
  });

  it('with the legend on, the series colour appears only on its row and inside the legend box', () => {
    const r = renderLinePlot(flat(0.5, { legend: true }));
    const f = r.frames[0];
    const lg = f.legend!;
    expect(lg).toBeDefined();
    const row = rowOf(f, 0.5);
    for (const [x, y] of image(r).find(RED)) {
      const inLegend = x >= lg.x0 && x <= lg.x1 && y >= lg.y0 && y <= lg.y1;
      expect(inLegend || y === row || y === row + 1).toBe(true);
    }
    expect(image(r).find(RED).some(([x, y]) => x >= lg.x0 && x <= lg.x1 && y >= lg.y0 && y <= lg.y1)).toBe(true);
  });

  it('the legend avoids the data: a rising curve pushes it off the top-right corner', () => {
    const x = xs(50);
    const r = renderLinePlot({ xLabel: 'x', yLabel: 'y', series: [{ name: 'rising', x, y: x.map((v) => v * v) }] });
    const f = r.frames[0];
    expect(f.legend!.x0 < (f.left + f.right) / 2).toBe(true);
  });

  it('NaN points leave a gap', () => {
    const y = xs(11).map((i) => (i === 5 ? NaN : 0.5));
    const r = renderLinePlot(flat(0.5, { series: [{ name: 'gap', x: xs(11), y, color: RED }] }));
    const f = r.frames[0];
    const row = rowOf(f, 0.5);
    const red = new Set(image(r).find(RED).filter(([, yy]) => yy === row).map(([x]) => x));
    const [a, b] = [colOf(f, 4), colOf(f, 6)];
    expect(red.has(a) && red.has(b)).toBe(true);
    for (let x = a + 2; x <= b - 2; x++) expect(red.has(x)).toBe(false);
    // ...and the SVG splits the series into two polylines.
    expect(r.svg.match(/<polyline class="series"/g)?.length).toBe(2);
  });

  it('a single-point series is drawn as a marker', () => {
    const r = renderLinePlot({ xLabel: 'x', yLabel: 'y', series: [{ name: 'one', x: [3], y: [7], color: RED }], legend: false });
    const f = r.frames[0];
    const red = image(r).find(RED);
    const [cx, cy] = [colOf(f, 3), rowOf(f, 7)];
    expect(red.length).toBeGreaterThanOrEqual(25);
    for (const [x, y] of red) expect(Math.hypot(x - cx, y - cy)).toBeLessThanOrEqual(4);
    expect(r.svg).toMatch(/<circle class="marker" data-name="one"/);
  });

  it('dashed lines have gaps; hlines land on their row', () => {
    const r = renderLinePlot(flat(0.5, { series: [{ name: 'd', x: xs(11), y: xs(11).map(() => 0.5), color: RED, dashed: true }], hlines: [{ y: 0.2, label: 'random policy', color: GREEN }] }));
    const f = r.frames[0];
    const { is } = image(r);
    const row = rowOf(f, 0.5);
    let on = 0;
    for (let x = f.left; x <= f.right; x++) on += is(x, row, RED) ? 1 : 0;
    const n = f.right - f.left + 1;
    expect(on).toBeGreaterThan(0.45 * n);
    expect(on).toBeLessThan(0.8 * n);
    const hrow = rowOf(f, 0.2);
    let hon = 0;
    for (let x = f.left; x <= f.right; x++) hon += is(x, hrow, GREEN) ? 1 : 0;
    expect(hon).toBeGreaterThan(0.4 * n);
    expect(r.svg).toContain('random policy');
  });

  it('a band shades between lo and hi in the series colour', () => {
    const x = xs(11);
    const r = renderLinePlot(flat(0.5, { series: [{ name: 'b', x, y: x.map(() => 0.5), color: RED, band: { lo: x.map(() => 0.3), hi: x.map(() => 0.7) } }] }));
    const f = r.frames[0];
    const { at } = image(r);
    const mid = colOf(f, 3);
    const tint = at(mid, rowOf(f, 0.55));
    expect(tint[0]).toBe(255);
    expect(tint[1]).toBeLessThan(230);
    expect(tint[1]).toBeGreaterThan(150);
    expect(at(mid, rowOf(f, 0.85))).toEqual([255, 255, 255]);
  });

  it('SVG is a standalone document with the title, series names and one polyline per series', () => {
    const r = renderLinePlot({
      title: 'Eval return & <loss>',
      xLabel: 'env steps',
      yLabel: 'return',
      series: [
        { name: 'dreamer', x: xs(20, 5000), y: xs(20).map((i) => i * i) },
        { name: 'sac', x: xs(20, 5000), y: xs(20).map((i) => 3 * i), dashed: true },
        { name: 'a"b', x: xs(20, 5000), y: xs(20).map((i) => 100 - i), band: { lo: xs(20).map((i) => 90 - i), hi: xs(20).map((i) => 110 - i) } },
      ],
      hlines: [{ y: 0, label: 'zero-action' }],
    });
    const svg = r.svg;
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="640" height="400"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Eval return &amp; &lt;loss&gt;');
    for (const n of ['dreamer', 'sac', 'a&quot;b']) expect(svg).toContain(`data-name="${n}"`);
    expect(svg.match(/<polyline class="series"/g)?.length).toBe(3);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('<polygon class="band"');
    expect(svg).toMatch(/class="tick">[1-9]\d*k</);
    // XML-ish: tags balance, every attribute quoted, no raw '&'.
    const stack: string[] = [];
    for (const m of svg.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else if (!m[4]) stack.push(m[2]);
    }
    expect(stack).toEqual([]);
    expect(svg.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|apos);/g, '')).not.toMatch(/[&<>]/);
    const tags = svg.match(/<[^>]*>/g)!.length;
    const wellFormed = svg.match(/<(\/?[a-zA-Z]+((\s+[\w:-]+="[^"<]*")*)\s*\/?|\?xml[^>]*\?)>/g)!.length;
    expect(wellFormed).toBe(tags);
  });

  it('all-NaN data or no series gives a "no data" image instead of a crash', () => {
    for (const series of [[], [{ name: 'nan', x: [0, 1, 2], y: [NaN, NaN, NaN], color: RED }], [{ name: 'empty', x: [], y: [], color: RED }]]) {
      const r = renderLinePlot({ title: 'nothing yet', xLabel: 'x', yLabel: 'y', series });
      expect(r.frames[0].noData).toBe(true);
      expect(r.svg).toContain('no data');
      const { img, find } = image(r);
      expect([img.width, img.height]).toEqual([640, 400]);
      expect(find(RED)).toEqual([]);
      // The message is drawn (grey glyph pixels) around the middle of the plot area.
      const f = r.frames[0];
      const grey = find([120, 120, 120]);
      expect(grey.length).toBeGreaterThan(50);
      for (const [x, y] of grey) {
        expect(Math.abs(x - (f.left + f.right) / 2)).toBeLessThan(60);
        expect(Math.abs(y - (f.top + f.bottom) / 2)).toBeLessThan(20);
      }
    }
  });

  it('bad inputs throw naming the field, the expectation and the actual value', () => {
    const ok = flat(0.5);
    expect(() => renderLinePlot({ ...ok, series: [ok.series[0], { name: 'b', x: [1, 2, 3], y: [1, 2] }] })).toThrow(
      /series\[1\]\.y \("b"\) must have the same length as series\[1\]\.x \(3\), got 2/,
    );
    expect(() => renderLinePlot({ ...ok, yRange: [0, NaN] })).toThrow(/yRange must be \[lo, hi\] with finite lo < hi, got \[0, NaN\]/);
    expect(() => renderLinePlot({ ...ok, yRange: [1, 1] })).toThrow(/yRange.*got \[1, 1\]/);
    expect(() => renderLinePlot({ ...ok, width: 50 })).toThrow(/width must be an integer in 100\.\.8192, got 50/);
    expect(() => renderLinePlot({ ...ok, height: 10.5 })).toThrow(/height.*got 10\.5/);
    expect(() => renderLinePlot({ ...ok, series: [{ ...ok.series[0], band: { lo: [1], hi: xs(11) } }] })).toThrow(/series\[0\]\.band\.lo.*same length.*\(11\), got 1/);
    expect(() => renderLinePlot({ ...ok, series: [{ ...ok.series[0], color: [300, 0, 0] }] })).toThrow(/series\[0\]\.color must be \[r, g, b\].*got \[300, 0, 0\]/);
    expect(() => renderLinePlot({ ...ok, hlines: [{ y: Infinity, label: 'r' }] })).toThrow(/hlines\[0\]\.y must be a finite number, got Infinity/);
    expect(() => renderLinePlot({ ...ok, series: undefined as never })).toThrow(/series must be an array, got undefined/);
  });
});

describe('renderPanels', () => {
  it('puts charts side by side at their sizes, frames offset to each cell', () => {
    const a = flat(0.5, { title: 'eval return vs env steps', width: 400, height: 300 });
    const b = flat(0.5, { title: 'world-model loss vs env steps', width: 400, height: 300, series: [{ name: 'loss', x: xs(11), y: xs(11).map(() => 0.5), color: GREEN }] });
    const r = renderPanels([a, b], 2);
    const { img, find } = image(r);
    expect([img.width, img.height]).toEqual([800, 300]);
    expect(r.frames.map((f) => f.left >= 400)).toEqual([false, true]);
    for (const [x] of find(RED)) expect(x).toBeLessThan(400);
    for (const [x] of find(GREEN)) expect(x).toBeGreaterThanOrEqual(400);
    expect(find(GREEN).some(([, y]) => y === rowOf(r.frames[1], 0.5))).toBe(true);
    expect(r.svg).toContain('eval return vs env steps');
    expect(r.svg).toContain('world-model loss vs env steps');
    // 3 panels in 2 columns -> 2 rows; a mixed interval panel is accepted.
    const g = renderPanels([a, b, { xLabel: 'IQM', rows: [{ name: 'm', point: 0.5, lo: 0.4, hi: 0.6 }], width: 400, height: 200 }], 2);
    expect([g.width, g.height]).toEqual([800, 500]);
    expect(g.frames[2].kind).toBe('interval');
    expect(() => renderPanels([a, { ...b, width: 20 }], 2)).toThrow(/renderPanels: panels\[1\]: width must be an integer in 100\.\.8192, got 20/);
    expect(() => renderPanels([], 1)).toThrow(/panels must be a non-empty array/);
    expect(() => renderPanels([a], 0)).toThrow(/columns must be a positive integer, got 0/);
  });
});

describe('renderIntervalPlot', () => {
  it('draws one row per method with the point estimate at its x and the interval as a bar', () => {
    const rows = [
      { name: 'Dreamer', point: 0.8, lo: 0.7, hi: 0.9, color: RED },
      { name: 'SAC', point: 0.4, lo: 0.3, hi: 0.55, color: GREEN },
      { name: 'missing', point: NaN, lo: NaN, hi: NaN },
    ];
    const r = renderIntervalPlot({ title: 'IQM (95% CI)', xLabel: 'normalised return', rows });
    const f = r.frames[0];
    expect(f.kind).toBe('interval');
    expect(f.xTicks[0]).toBeLessThanOrEqual(0.3);
    expect(f.xTicks[f.xTicks.length - 1]).toBeGreaterThanOrEqual(0.9);
    const { img, is, at } = image(r);
    expect(img.width).toBe(640);
    const dark = [Math.round(255 * 0.65), 0, 0];
    const cy = f.rowCenters![0];
    expect(is(colOf(f, 0.8), cy, dark)).toBe(true);
    // Interval bar: tinted red between lo and hi on that row, white outside it.
    const inside = at(colOf(f, 0.75), cy);
    expect(inside[0]).toBe(255);
    expect(inside[1]).toBeLessThan(200);
    expect(at(colOf(f, 0.6), cy)).not.toEqual(inside);
    expect(f.rowCenters![1]).toBeGreaterThan(cy);
    for (const s of ['IQM (95% CI)', 'Dreamer', 'SAC', 'missing', 'n/a', 'normalised return']) expect(r.svg).toContain(s);
    expect(() => renderIntervalPlot({ xLabel: 'x', rows: [{ name: 'a', point: 1, lo: 2, hi: 0 }] })).toThrow(/rows\[0\]\.lo must be <= rows\[0\]\.hi, got lo=2, hi=0/);
    expect(() => renderIntervalPlot({ xLabel: 'x', rows: [{ name: 'a', point: NaN, lo: 0, hi: 1 }] })).toThrow(/rows\[0\]\.point must be finite.*got NaN/);
    const none = renderIntervalPlot({ xLabel: 'x', rows: [] });
    expect(none.frames[0].noData).toBe(true);
    expect(none.svg).toContain('no data');
  });
});

describe('writePlot', () => {
  it('writes .png and .svg beside each other', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twist-plot-'));
    try {
      const r = renderLinePlot(flat(0.5));
      const out = writePlot(join(dir, 'sub', 'curve'), r);
      expect(out).toEqual({ png: join(dir, 'sub', 'curve.png'), svg: join(dir, 'sub', 'curve.svg') });
      const img = readPng(out.png);
      expect([img.width, img.height]).toEqual([640, 400]);
      expect(readFileSync(out.svg, 'utf8')).toBe(r.svg);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
