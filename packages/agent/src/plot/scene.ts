/**
 * A tiny retained scene of drawing primitives, rendered two ways from the same list so the PNG and the SVG
 * show the same content: `rasterize` (RGB bytes, 5x7 bitmap font from @twist/envs, no anti-aliasing) and
 * `toSvg` (a standalone SVG document, text as <text>).
 *
 * Coordinates are pixels, origin top-left. In the raster, a point (x, y) lights the pixel at
 * (round(x), round(y)); lines of width w cover offsets 0..w-1 right/down of that pixel for even w and are
 * centred for odd w (so a width-2 horizontal line at y = 10 lights rows 10 and 11).
 */
import { FONT_H, FONT_W, glyph } from '@twist/envs';

export type RGB = readonly [number, number, number];

/** Inclusive pixel box. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export type Prim =
  /** Filled axis-aligned rectangle covering pixels x..x+w-1, y..y+h-1. */
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: RGB; opacity?: number; clip?: Box }
  /** Polyline through flat [x0, y0, x1, y1, ...]. `cls` marks it in the SVG (e.g. 'series'). */
  | { kind: 'path'; points: number[]; color: RGB; width: number; dashed?: boolean; clip?: Box; cls?: string; name?: string }
  /** Filled polygon (even-odd), e.g. a shaded band. */
  | { kind: 'poly'; points: number[]; fill: RGB; opacity: number; clip?: Box; cls?: string }
  /** Filled disc (markers). */
  | { kind: 'dot'; x: number; y: number; r: number; fill: RGB; clip?: Box; cls?: string; name?: string }
  /**
   * Text; (x, y) is the anchor point on the top edge of the glyph box (for vertical text, read bottom to
   * top, the anchor is on its left edge). scale: integer glyph magnification.
   */
  | { kind: 'text'; x: number; y: number; text: string; color: RGB; scale: number; anchor: 'start' | 'middle' | 'end'; vertical?: boolean; cls?: string };

export interface Scene {
  width: number;
  height: number;
  background: RGB;
  prims: Prim[];
}

/** Width in pixels of `text` at `scale` in the bitmap font (6 px advance per character, no trailing gap). */
export function textWidth(text: string, scale = 1): number {
  return text.length ? (text.length * (FONT_W + 1) - 1) * scale : 0;
}

export const TEXT_H = FONT_H;

/** Shortens text to at most `maxPx` pixels wide at `scale`, ending in '..' when cut. */
export function fitText(text: string, maxPx: number, scale = 1): string {
  if (textWidth(text, scale) <= maxPx) return text;
  const n = Math.floor((maxPx / scale + 1) / (FONT_W + 1));
  if (n <= 2) return text.slice(0, Math.max(0, n));
  return `${text.slice(0, n - 2)}..`;
}

// ---------------------------------------------------------------------------------------------------------
// Raster

class Raster {
  readonly data: Uint8Array;
  constructor(
    readonly w: number,
    readonly h: number,
    bg: RGB,
  ) {
    this.data = new Uint8Array(w * h * 3);
    for (let k = 0; k < w * h; k++) {
      this.data[3 * k] = bg[0];
      this.data[3 * k + 1] = bg[1];
      this.data[3 * k + 2] = bg[2];
    }
  }

  set(x: number, y: number, c: RGB, a: number, clip?: Box): void {
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    if (clip && (x < clip.x0 || x > clip.x1 || y < clip.y0 || y > clip.y1)) return;
    const k = 3 * (y * this.w + x);
    if (a >= 1) {
      this.data[k] = c[0];
      this.data[k + 1] = c[1];
      this.data[k + 2] = c[2];
    } else {
      for (let i = 0; i < 3; i++) this.data[k + i] = Math.round(this.data[k + i] * (1 - a) + c[i] * a);
    }
  }
}

function drawPath(r: Raster, p: Extract<Prim, { kind: 'path' }>): void {
  const pts = p.points;
  const lo = -Math.floor((p.width - 1) / 2);
  const hi = Math.ceil((p.width - 1) / 2);
  const brush = (x: number, y: number) => {
    for (let dy = lo; dy <= hi; dy++) for (let dx = lo; dx <= hi; dx++) r.set(x + dx, y + dy, p.color, 1, p.clip);
  };
  const on = 6;
  const period = 10;
  let dist = 0;
  if (pts.length === 2) {
    brush(Math.round(pts[0]), Math.round(pts[1]));
    return;
  }
  for (let i = 0; i + 3 < pts.length; i += 2) {
    let x0 = Math.round(pts[i]);
    let y0 = Math.round(pts[i + 1]);
    const x1 = Math.round(pts[i + 2]);
    const y1 = Math.round(pts[i + 3]);
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    const last = i + 4 >= pts.length;
    for (;;) {
      const atEnd = x0 === x1 && y0 === y1;
      // Interior vertices are drawn by the segment that starts there.
      if (!atEnd || last) if (!p.dashed || dist % period < on) brush(x0, y0);
      if (atEnd) break;
      const e2 = 2 * err;
      let moved = 0;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
        moved++;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
        moved++;
      }
      dist += moved === 2 ? Math.SQRT2 : 1;
    }
  }
}

function drawPoly(r: Raster, p: Extract<Prim, { kind: 'poly' }>): void {
  const pts = p.points;
  const n = pts.length / 2;
  if (n < 3) return;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (let i = 1; i < pts.length; i += 2) {
    ymin = Math.min(ymin, pts[i]);
    ymax = Math.max(ymax, pts[i]);
  }
  const xs: number[] = [];
  for (let y = Math.max(0, Math.ceil(ymin)); y <= Math.min(r.h - 1, Math.floor(ymax)); y++) {
    xs.length = 0;
    for (let i = 0; i < n; i++) {
      const ax = pts[2 * i];
      const ay = pts[2 * i + 1];
      const j = (i + 1) % n;
      const bx = pts[2 * j];
      const by = pts[2 * j + 1];
      if ((ay <= y && by > y) || (by <= y && ay > y)) xs.push(ax + ((y - ay) / (by - ay)) * (bx - ax));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      for (let x = Math.max(0, Math.ceil(xs[k])); x <= Math.min(r.w - 1, Math.floor(xs[k + 1])); x++) r.set(x, y, p.fill, p.opacity, p.clip);
    }
  }
}

function drawText(r: Raster, t: Extract<Prim, { kind: 'text' }>): void {
  const s = t.scale;
  const w = textWidth(t.text, s);
  const shift = t.anchor === 'start' ? 0 : t.anchor === 'middle' ? Math.round(w / 2) : w;
  const x0 = Math.round(t.x);
  const y0 = Math.round(t.y);
  for (let i = 0; i < t.text.length; i++) {
    const cols = glyph(t.text[i]);
    for (let cx = 0; cx < FONT_W; cx++) {
      for (let row = 0; row < FONT_H; row++) {
        if (!((cols[cx] >> row) & 1)) continue;
        const u = (i * (FONT_W + 1) + cx) * s - shift; // along the text
        const v = row * s; // across (top to bottom of the glyph)
        for (let a = 0; a < s; a++) {
          for (let b = 0; b < s; b++) {
            if (t.vertical) r.set(x0 + v + b, y0 - (u + a), t.color, 1);
            else r.set(x0 + u + a, y0 + v + b, t.color, 1);
          }
        }
      }
    }
  }
}

/** Renders the scene to RGB bytes (width*height*3, top row first). */
export function rasterize(scene: Scene): Uint8Array {
  const r = new Raster(scene.width, scene.height, scene.background);
  for (const p of scene.prims) {
    switch (p.kind) {
      case 'rect': {
        const a = p.opacity ?? 1;
        for (let y = Math.round(p.y); y < Math.round(p.y + p.h); y++) {
          for (let x = Math.round(p.x); x < Math.round(p.x + p.w); x++) r.set(x, y, p.fill, a, p.clip);
        }
        break;
      }
      case 'path':
        drawPath(r, p);
        break;
      case 'poly':
        drawPoly(r, p);
        break;
      case 'dot': {
        const cx = Math.round(p.x);
        const cy = Math.round(p.y);
        const rr = Math.ceil(p.r);
        for (let dy = -rr; dy <= rr; dy++) {
          for (let dx = -rr; dx <= rr; dx++) if (dx * dx + dy * dy <= p.r * p.r + p.r) r.set(cx + dx, cy + dy, p.fill, 1, p.clip);
        }
        break;
      }
      case 'text':
        drawText(r, p);
        break;
    }
  }
  return r.data;
}

// ---------------------------------------------------------------------------------------------------------
// SVG

const hex = (c: RGB) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
const num = (v: number) => String(Math.round(v * 100) / 100);

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Serialises the scene as a standalone SVG document. Geometry is offset by half a pixel to sit on pixel centres. */
export function toSvg(scene: Scene): string {
  const clips = new Map<string, string>();
  const defs: string[] = [];
  const clipAttr = (b?: Box) => {
    if (!b) return '';
    const key = `${b.x0},${b.y0},${b.x1},${b.y1}`;
    let id = clips.get(key);
    if (!id) {
      id = `clip${clips.size}`;
      clips.set(key, id);
      defs.push(`<clipPath id="${id}"><rect x="${num(b.x0)}" y="${num(b.y0)}" width="${num(b.x1 - b.x0 + 1)}" height="${num(b.y1 - b.y0 + 1)}"/></clipPath>`);
    }
    return ` clip-path="url(#${id})"`;
  };
  const cls = (c?: string) => (c ? ` class="${xmlEscape(c)}"` : '');
  const nameAttr = (n?: string) => (n !== undefined ? ` data-name="${xmlEscape(n)}"` : '');
  const pointList = (pts: number[]) => {
    const out: string[] = [];
    for (let i = 0; i < pts.length; i += 2) out.push(`${num(pts[i] + 0.5)},${num(pts[i + 1] + 0.5)}`);
    return out.join(' ');
  };
  const body: string[] = [];
  for (const p of scene.prims) {
    switch (p.kind) {
      case 'rect':
        body.push(
          `<rect x="${num(p.x)}" y="${num(p.y)}" width="${num(p.w)}" height="${num(p.h)}" fill="${hex(p.fill)}"` +
            `${p.opacity !== undefined && p.opacity < 1 ? ` fill-opacity="${num(p.opacity)}"` : ''}${clipAttr(p.clip)}/>`,
        );
        break;
      case 'path': {
        const stroke = ` fill="none" stroke="${hex(p.color)}" stroke-width="${p.width}"${p.dashed ? ' stroke-dasharray="6 4"' : ''}`;
        if (p.points.length === 4 && !p.cls) {
          const [x1, y1, x2, y2] = p.points.map((v) => v + 0.5);
          body.push(`<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}"${stroke}${clipAttr(p.clip)}/>`);
        } else {
          body.push(`<polyline${cls(p.cls)}${nameAttr(p.name)} points="${pointList(p.points)}"${stroke} stroke-linejoin="round"${clipAttr(p.clip)}/>`);
        }
        break;
      }
      case 'poly':
        body.push(`<polygon${cls(p.cls)} points="${pointList(p.points)}" fill="${hex(p.fill)}" fill-opacity="${num(p.opacity)}"${clipAttr(p.clip)}/>`);
        break;
      case 'dot':
        body.push(`<circle${cls(p.cls)}${nameAttr(p.name)} cx="${num(p.x + 0.5)}" cy="${num(p.y + 0.5)}" r="${num(p.r + 0.5)}" fill="${hex(p.fill)}"${clipAttr(p.clip)}/>`);
        break;
      case 'text': {
        const size = 10 * p.scale;
        const common = ` font-size="${size}" fill="${hex(p.color)}"${p.anchor !== 'start' ? ` text-anchor="${p.anchor}"` : ''}${cls(p.cls)}`;
        if (p.vertical) {
          const x = p.x + FONT_H * p.scale;
          body.push(`<text x="${num(x)}" y="${num(p.y)}" transform="rotate(-90 ${num(x)} ${num(p.y)})"${common}>${xmlEscape(p.text)}</text>`);
        } else {
          body.push(`<text x="${num(p.x)}" y="${num(p.y + FONT_H * p.scale)}"${common}>${xmlEscape(p.text)}</text>`);
        }
        break;
      }
    }
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">`,
    defs.length ? `<defs>${defs.join('')}</defs>` : '',
    `<rect width="${scene.width}" height="${scene.height}" fill="${hex(scene.background)}"/>`,
    ...body,
    '</svg>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n')
    .concat('\n');
}

/** Moves every primitive (and its clip box) by (dx, dy). */
export function translatePrim(p: Prim, dx: number, dy: number): Prim {
  const clip = 'clip' in p && p.clip ? { x0: p.clip.x0 + dx, y0: p.clip.y0 + dy, x1: p.clip.x1 + dx, y1: p.clip.y1 + dy } : undefined;
  const shift = (pts: number[]) => pts.map((v, i) => v + (i % 2 ? dy : dx));
  switch (p.kind) {
    case 'rect':
      return { ...p, x: p.x + dx, y: p.y + dy, clip };
    case 'path':
      return { ...p, points: shift(p.points), clip };
    case 'poly':
      return { ...p, points: shift(p.points), clip };
    case 'dot':
      return { ...p, x: p.x + dx, y: p.y + dy, clip };
    case 'text':
      return { ...p, x: p.x + dx, y: p.y + dy };
  }
}
