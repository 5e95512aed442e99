/** Shared colours, result types and input checks for the plot renderers. */
import type { Box, Prim, RGB, Scene } from './scene.js';

/** Default series colours (the "tab10" palette). */
export const PALETTE: readonly RGB[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

export const WHITE: RGB = [255, 255, 255];
export const INK: RGB = [30, 30, 30];
export const AXIS: RGB = [70, 70, 70];
export const GRID: RGB = [228, 228, 228];
export const MUTED: RGB = [120, 120, 120];
export const PAD = 8;

/** Where one chart's plotting area sits in the image, and what its axes show (for annotation and tests). */
export interface PlotFrame {
  kind: 'line' | 'interval';
  /** Plot-area box in image pixels (inclusive): data x = xDomain[0] is column `left`, y = yDomain[1] is row `top`. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  xDomain: [number, number];
  /** Line plots only. */
  yDomain?: [number, number];
  xTicks: number[];
  yTicks?: number[];
  /** Interval plots only: centre row (pixels) of each method's interval, in input order. */
  rowCenters?: number[];
  /** Legend box (pixels, inclusive), if one was drawn. */
  legend?: Box;
  /** True when there was nothing to plot and the chart shows 'no data' instead. */
  noData: boolean;
}

export interface PlotResult {
  /** PNG file bytes (8-bit RGB). */
  png: Uint8Array;
  /** Standalone SVG document with the same content. */
  svg: string;
  width: number;
  height: number;
  /** One per chart, in panel order. */
  frames: PlotFrame[];
}

/** A chart laid out but not yet rendered. */
export interface Chart {
  scene: Scene;
  frame: PlotFrame;
}

export function fail(op: string, field: string, expected: string, actual: unknown): never {
  throw new Error(`${op}: ${field} must be ${expected}, got ${show(actual)}`);
}

export function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return v.length > 6 ? `an array of length ${v.length}` : `[${v.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length}`;
  return typeof v;
}

export function checkSize(op: string, field: string, v: unknown, dflt: number): number {
  const n = v === undefined ? dflt : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 8192) fail(op, field, 'an integer in 100..8192', n);
  return n;
}

export function checkColor(op: string, field: string, c: unknown): RGB | undefined {
  if (c === undefined) return undefined;
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255)) {
    fail(op, field, '[r, g, b] with integers in 0..255', c);
  }
  return [c[0], c[1], c[2]];
}

export function checkString(op: string, field: string, s: unknown, optional = false): string {
  if (s === undefined && optional) return '';
  if (typeof s !== 'string') fail(op, field, 'a string', s);
  return s;
}

export function isNumberArray(a: unknown): a is ArrayLike<number> {
  if (Array.isArray(a)) return a.every((v) => typeof v === 'number');
  return ArrayBuffer.isView(a) && !(a instanceof DataView);
}

export function checkRange(op: string, field: string, r: unknown): [number, number] | undefined {
  if (r === undefined) return undefined;
  if (!isNumberArray(r) || r.length !== 2 || !Number.isFinite(r[0]) || !Number.isFinite(r[1]) || !(r[0] < r[1])) {
    fail(op, field, '[lo, hi] with finite lo < hi', r);
  }
  return [r[0], r[1]];
}

/** A darker shade of c (for markers and point estimates). */
export function darker(c: RGB, f = 0.65): RGB {
  return [Math.round(c[0] * f), Math.round(c[1] * f), Math.round(c[2] * f)];
}

export function framePath(b: Box, color: RGB): Prim {
  return { kind: 'path', points: [b.x0, b.y0, b.x1, b.y0, b.x1, b.y1, b.x0, b.y1, b.x0, b.y0], color, width: 1 };
}
