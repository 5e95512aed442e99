// The PNG codec and files use node:zlib and node:fs: they are in src/node.ts (@twist/envs/node).
export type { PngImage, PngFilter } from './png.js';
export { contactSheet, type ContactSheetOptions } from './contact-sheet.js';
export { drawText, glyph, FONT_W, FONT_H } from './font.js';
