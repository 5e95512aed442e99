export { encodePng, decodePng, readPng, writePng, writeFileAtomic, toRgb, crc32, filterRow, type PngImage, type PngFilter } from './png.js';
export { contactSheet, writeContactSheet, type ContactSheetOptions } from './contact-sheet.js';
export { drawText, glyph, FONT_W, FONT_H } from './font.js';
