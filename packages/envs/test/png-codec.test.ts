/** PNG encode/decode round trips (every filter type), hand-crafted files, errors, contact sheets, atomic writes. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { contactSheet, type PngImage } from '../src/index.js';
import { crc32, decodePng, encodePng, filterRow, readPng, writeContactSheet, writePng } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'twist-png-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomImage(w: number, h: number, channels: 3 | 4, seed: number): PngImage {
  let s = seed >>> 0;
  const data = new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // half smooth gradient, half noise: every filter has something to predict
    data[i] = i % 7 < 4 ? (i * 3 + (i / (w * channels)) * 5) & 255 : s >>> 24;
  }
  return { width: w, height: h, channels, data };
}

/** Builds a PNG file from raw (already filtered) scanlines, independently of encodePng. */
function craftPng(w: number, h: number, colorType: number, raw: number[]): Uint8Array {
  const chunk = (type: string, body: Uint8Array) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(body).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const z = deflateSync(Buffer.from(raw));
  // split the data over two IDAT chunks, as some encoders do
  const half = z.length >> 1;
  return Uint8Array.from(
    Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', z.subarray(0, half)), chunk('IDAT', z.subarray(half)), chunk('IEND', new Uint8Array(0))]),
  );
}

describe('PNG codec', () => {
  it('CRC-32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  for (const filter of [0, 1, 2, 3, 4, 'adaptive'] as const) {
    for (const channels of [3, 4] as const) {
      it(`round-trips ${channels === 3 ? 'RGB' : 'RGBA'} with filter ${filter}`, () => {
        const img = randomImage(37, 23, channels, 11);
        const bytes = encodePng(img, { filter });
        const back = decodePng(bytes);
        expect(back.width).toBe(37);
        expect(back.height).toBe(23);
        expect(back.channels).toBe(channels);
        expect(back.data).toEqual(img.data);
        // the encoder really used the requested filter on every row
        if (filter !== 'adaptive') {
          const raw = new Uint8Array(inflateSync(findIdat(bytes)));
          for (let y = 0; y < 23; y++) expect(raw[y * (37 * channels + 1)]).toBe(filter);
        }
      });
    }
  }

  it('decodes hand-crafted scanlines of every filter type (2x5 RGB, one filter per row)', () => {
    // rows of pixels (r, g, b) x 2; row y uses filter y
    const rows = [
      [10, 20, 30, 200, 100, 50],
      [11, 22, 33, 250, 90, 40],
      [0, 255, 128, 1, 2, 3],
      [100, 100, 100, 50, 150, 250],
      [7, 8, 9, 255, 0, 255],
    ];
    const raw: number[] = [];
    let prev = new Uint8Array(6);
    rows.forEach((row, f) => {
      const cur = Uint8Array.from(row);
      const out = new Uint8Array(6);
      filterRow(f, cur, prev, 3, out);
      raw.push(f, ...out);
      prev = cur;
    });
    // row 1 (Sub) by hand: first pixel as is, second minus the first
    expect(raw.slice(7, 14)).toEqual([1, 11, 22, 33, 239, 68, 7]);
    // row 2 (Up) by hand: minus the row above, mod 256
    expect(raw.slice(14, 21)).toEqual([2, 245, 233, 95, 7, 168, 219]);
    const img = decodePng(craftPng(2, 5, 2, raw));
    expect(Array.from(img.data)).toEqual(rows.flat());
  });

  it('decodes greyscale and grey+alpha into RGB / RGBA', () => {
    const grey = decodePng(craftPng(2, 1, 0, [0, 17, 200]));
    expect(grey.channels).toBe(3);
    expect(Array.from(grey.data)).toEqual([17, 17, 17, 200, 200, 200]);
    const ga = decodePng(craftPng(1, 2, 4, [0, 90, 255, 2, 10, 0]));
    expect(ga.channels).toBe(4);
    expect(Array.from(ga.data)).toEqual([90, 90, 90, 255, 100, 100, 100, 255]);
  });

  it('rejects what it does not support, saying what it found', () => {
    const good = encodePng(randomImage(4, 4, 3, 1));
    expect(() => decodePng(new Uint8Array([1, 2, 3]))).toThrow(/not a PNG file/);
    const badCrc = good.slice();
    badCrc[30] ^= 0xff; // inside IHDR's CRC or data
    expect(() => decodePng(badCrc)).toThrow(/CRC mismatch in chunk 'IHDR'/);
    const sixteen = craftPng(1, 1, 2, [0, 0, 0, 0, 0, 0, 0]);
    const s16 = Buffer.from(sixteen);
    s16[24] = 16;
    s16.writeUInt32BE(crc32(s16.subarray(12, 29)), 29);
    expect(() => decodePng(Uint8Array.from(s16))).toThrow(/only 8-bit images are supported, got bit depth 16/);
    const pal = Buffer.from(craftPng(1, 1, 2, [0, 0, 0, 0]));
    pal[25] = 3;
    pal.writeUInt32BE(crc32(pal.subarray(12, 29)), 29);
    expect(() => decodePng(Uint8Array.from(pal))).toThrow(/colour type 3 is not supported/);
    expect(() => decodePng(craftPng(1, 1, 2, [5, 1, 2, 3]))).toThrow(/row 0 has unknown filter type 5/);
    expect(() => decodePng(good.subarray(0, good.length - 12))).toThrow(/no IEND chunk/);
    expect(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).toThrow(/width\*height\*channels = 12 bytes, got 11/);
  });
});

function findIdat(png: Uint8Array): Buffer {
  const b = Buffer.from(png);
  let pos = 8;
  const parts: Buffer[] = [];
  while (pos < b.length) {
    const len = b.readUInt32BE(pos);
    if (b.toString('latin1', pos + 4, pos + 8) === 'IDAT') parts.push(b.subarray(pos + 8, pos + 8 + len));
    pos += 12 + len;
  }
  return Buffer.concat(parts);
}

describe('files and contact sheets', () => {
  it('writes atomically (no temporary file left) and reads back', () => {
    const img = randomImage(5, 6, 3, 3);
    const path = join(dir, 'sub', 'a.png');
    writePng(path, img);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.png']);
    expect(readPng(path).data).toEqual(img.data);
    expect(() => readPng(join(dir, 'nope.png'))).toThrow(/nope.png/);
  });

  it('tiles images into a grid with labels, gaps and scaling', () => {
    const w = 4;
    const h = 3;
    const solid = (v: number) => new Uint8Array(w * h * 3).fill(v);
    const sheet = contactSheet([solid(10), solid(20), solid(30)], { width: w, height: h, columns: 2, gap: 1, scale: 2, background: [0, 0, 0] });
    expect(sheet.width).toBe(1 + 2 * (8 + 1));
    expect(sheet.height).toBe(1 + 2 * (6 + 1));
    const at = (x: number, y: number) => sheet.data[3 * (y * sheet.width + x)];
    expect(at(1, 1)).toBe(10);
    expect(at(8, 6)).toBe(10);
    expect(at(10, 1)).toBe(20);
    expect(at(1, 8)).toBe(30);
    expect(at(10, 8)).toBe(0); // the empty cell keeps the background
    expect(at(9, 1)).toBe(0); // the gap
    const labelled = contactSheet([new Uint8Array(32 * 32 * 3).fill(50)], { width: 32, height: 32, labels: ['HI'] });
    expect(labelled.height).toBe(2 + 10 + 32 + 2);
    // the label strip has bright text pixels and the tile starts below it
    let bright = 0;
    for (let y = 2; y < 12; y++) for (let x = 2; x < 34; x++) if (labelled.data[3 * (y * labelled.width + x)] > 200) bright++;
    expect(bright).toBeGreaterThan(10);
    expect(labelled.data[3 * (12 * labelled.width + 2)]).toBe(50);
    expect(() => contactSheet([solid(1)], { width: w, height: h, labels: ['a', 'b'] })).toThrow(/labels must have one entry per image \(1\), got 2/);
    expect(() => contactSheet([new Uint8Array(5)], { width: w, height: h })).toThrow(/image 0 must be a Uint8Array of width\*height\*3 = 36 bytes, got 5/);
  });

  it('writeContactSheet writes a PNG that decodes to the sheet', () => {
    const path = join(dir, 'sheet.png');
    const imgs = [randomImage(32, 32, 3, 1).data, randomImage(32, 32, 3, 2).data];
    writeContactSheet(path, imgs, { width: 32, height: 32, columns: 2, labels: ['one', 'two'] });
    const back = readPng(path);
    expect(back.data).toEqual(contactSheet(imgs, { width: 32, height: 32, columns: 2, labels: ['one', 'two'] }).data);
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
  });
});
