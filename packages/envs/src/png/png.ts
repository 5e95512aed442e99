/**
 * Minimal PNG codec: encodes 8-bit RGB / RGBA (deflate from node:zlib, CRC-32 per chunk) and decodes 8-bit,
 * non-interlaced greyscale, grey+alpha, RGB and RGBA images with any of the five scanline filters.
 * Files are written atomically (a temporary file in the same folder, then rename).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { contactSheet, type ContactSheetOptions } from './contact-sheet.js';

export interface PngImage {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  /** Row-major, `channels` bytes per pixel, top row first. */
  data: Uint8Array;
}

/** Scanline filter for encoding: 0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth, or 'adaptive' (per row, min sum). */
export type PngFilter = 0 | 1 | 2 | 3 | 4 | 'adaptive';

const SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG uses) of bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filters one scanline `cur` (previous `prev`, bytes per pixel bpp) with filter type f into out. */
export function filterRow(f: number, cur: Uint8Array, prev: Uint8Array, bpp: number, out: Uint8Array): void {
  for (let i = 0; i < cur.length; i++) {
    const a = i >= bpp ? cur[i - bpp] : 0;
    const b = prev[i];
    const c = i >= bpp ? prev[i - bpp] : 0;
    let pred = 0;
    if (f === 1) pred = a;
    else if (f === 2) pred = b;
    else if (f === 3) pred = (a + b) >> 1;
    else if (f === 4) pred = paeth(a, b, c);
    out[i] = (cur[i] - pred) & 0xff;
  }
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes an 8-bit RGB (channels 3) or RGBA (channels 4) image as PNG bytes. */
export function encodePng(img: PngImage, opts: { filter?: PngFilter; level?: number } = {}): Uint8Array {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodePng: width and height must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new Error(`encodePng: channels must be 3 (RGB) or 4 (RGBA), got ${channels}`);
  const stride = width * channels;
  if (!(data instanceof Uint8Array) || data.length !== stride * height) {
    throw new Error(`encodePng: data must be a Uint8Array of width*height*channels = ${stride * height} bytes, got ${data?.length}`);
  }
  const filter = opts.filter ?? 'adaptive';
  if (filter !== 'adaptive' && ![0, 1, 2, 3, 4].includes(filter)) {
    throw new Error(`encodePng: filter must be 0..4 or 'adaptive', got ${String(filter)}`);
  }
  const raw = new Uint8Array((stride + 1) * height);
  const zero = new Uint8Array(stride);
  const tmp = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const cur = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : zero;
    const dst = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    let f = filter === 'adaptive' ? 0 : filter;
    if (filter === 'adaptive') {
      // the usual heuristic: the filter with the smallest sum of |signed residuals|
      let best = Infinity;
      for (let k = 0; k <= 4; k++) {
        filterRow(k, cur, prev, channels, tmp);
        let sum = 0;
        for (let i = 0; i < stride; i++) sum += tmp[i] < 128 ? tmp[i] : 256 - tmp[i];
        if (sum < best) {
          best = sum;
          f = k as 0;
        }
      }
    }
    raw[y * (stride + 1)] = f;
    filterRow(f, cur, prev, channels, dst);
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 6; // colour type
  const idat = deflateSync(raw, { level: opts.level ?? 6 });
  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(idat.buffer, idat.byteOffset, idat.byteLength)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Decodes an 8-bit non-interlaced PNG (greyscale, grey+alpha, RGB or RGBA; all five filter types) into RGB
 * (channels 3) or RGBA (channels 4: images with alpha). Throws on anything else, naming what it found.
 */
export function decodePng(bytes: Uint8Array): PngImage {
  const op = 'decodePng';
  if (bytes.length < 8 || !SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error(`${op}: not a PNG file (bad signature)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (pos + 12 <= bytes.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + len > bytes.length) throw new Error(`${op}: chunk '${type}' runs past the end of the file`);
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    const crc = dv.getUint32(pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== crc) throw new Error(`${op}: CRC mismatch in chunk '${type}'`);
    if (type === 'IHDR') {
      const h = new DataView(body.buffer, body.byteOffset, body.byteLength);
      width = h.getUint32(0);
      height = h.getUint32(4);
      const depth = body[8];
      colorType = body[9];
      const interlace = body[12];
      if (depth !== 8) throw new Error(`${op}: only 8-bit images are supported, got bit depth ${depth}`);
      if (![0, 2, 4, 6].includes(colorType)) {
        throw new Error(`${op}: colour type ${colorType} is not supported (supported: 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA)`);
      }
      if (interlace !== 0) throw new Error(`${op}: interlaced PNGs are not supported`);
      if (width < 1 || height < 1) throw new Error(`${op}: bad size ${width}x${height}`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    pos += 12 + len;
  }
  if (colorType < 0) throw new Error(`${op}: no IHDR chunk`);
  if (!idat.length) throw new Error(`${op}: no IDAT chunk`);
  if (!sawEnd) throw new Error(`${op}: no IEND chunk (truncated file?)`);
  const zipped = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of idat) {
    zipped.set(c, o);
    o += c.length;
  }
  const raw = new Uint8Array(inflateSync(zipped));
  const bpp = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 4 | 6];
  const stride = width * bpp;
  if (raw.length < (stride + 1) * height) {
    throw new Error(`${op}: image data is ${raw.length} bytes, expected ${(stride + 1) * height} for ${width}x${height}`);
  }
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = px.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      let pred: number;
      switch (f) {
        case 0:
          pred = 0;
          break;
        case 1:
          pred = a;
          break;
        case 2:
          pred = b;
          break;
        case 3:
          pred = (a + b) >> 1;
          break;
        case 4:
          pred = paeth(a, b, c);
          break;
        default:
          throw new Error(`${op}: row ${y} has unknown filter type ${f} (valid: 0..4)`);
      }
      cur[i] = (src[i] + pred) & 0xff;
    }
  }
  if (colorType === 2 || colorType === 6) return { width, height, channels: colorType === 2 ? 3 : 4, data: px };
  const channels = colorType === 0 ? 3 : 4;
  const data = new Uint8Array(width * height * channels);
  for (let k = 0; k < width * height; k++) {
    const g = px[k * bpp];
    data[k * channels] = g;
    data[k * channels + 1] = g;
    data[k * channels + 2] = g;
    if (channels === 4) data[k * channels + 3] = px[k * bpp + 1];
  }
  return { width, height, channels, data };
}

/** RGB bytes of an image (alpha dropped). */
export function toRgb(img: PngImage): Uint8Array {
  if (img.channels === 3) return img.data;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let k = 0; k < n; k++) {
    out[3 * k] = img.data[4 * k];
    out[3 * k + 1] = img.data[4 * k + 1];
    out[3 * k + 2] = img.data[4 * k + 2];
  }
  return out;
}

/** Writes bytes to path atomically: a temporary file beside it, then rename (creates the folder). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Encodes and writes a PNG atomically. */
export function writePng(path: string, img: PngImage, opts?: { filter?: PngFilter }): void {
  writeFileAtomic(path, encodePng(img, opts));
}

/** Reads and decodes a PNG file. */
export function readPng(path: string): PngImage {
  try {
    return decodePng(new Uint8Array(readFileSync(path)));
  } catch (e) {
    (e as Error).message = `${path}: ${(e as Error).message}`;
    throw e;
  }
}

/** Tiles observations into one PNG at `path` (written atomically). */
export function writeContactSheet(path: string, images: readonly Uint8Array[], opts: ContactSheetOptions): void {
  const sheet = contactSheet(images, opts);
  writePng(path, { ...sheet, channels: 3 });
}
