#!/usr/bin/env node
// Writes docs/dr-contact-sheet.png: the demo scene (floor + one geom of each type) under 7 train-split and
// 7 held-out-split visual domains (seeded; labelled with the background's texture family), rendered with the
// CPU reference (identical on every machine).
//
//   node packages/envs/docs/dr-sheet.mjs [--seed 1] [--size 64]
import '../scripts/register.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const seed = Number(opt('seed', '1'));
const size = Number(opt('size', '64'));
const envs = await import(new URL('../src/index.ts', import.meta.url).href);
const { writeContactSheet } = await import(new URL('../src/node.ts', import.meta.url).href);

// the demo scene seen lower than its own camera, so the background (what the splits differ in) shows
const demo = (phase) => ({ ...envs.demoScene(phase), camera: { pos: [0, -1.7, 0.45], target: [0, 0.05, 0.3], up: [0, 0, 1], fovy: 50 } });
const images = [];
const labels = [];
const plain = demo(0);
images.push(...envs.renderScenesCpu([plain], { width: size, height: size }));
labels.push('no DR');
for (const split of ['train', 'heldout']) {
  const rng = envs.createRng(seed + (split === 'train' ? 0 : 1000));
  const scenes = [];
  for (let k = 0; k < 7; k++) {
    const d = envs.sampleVisualDomain(rng, split);
    scenes.push(envs.applyVisualDomain(demo(0.4 * k), d));
    labels.push(`${split === 'train' ? 'tr' : 'ho'} ${d.background.family}`);
  }
  images.push(...envs.renderScenesCpu(scenes, { width: size, height: size }));
  if (split === 'train') {
    images.push(envs.renderScenesCpu([demo(0)], { width: size, height: size })[0]);
    labels.push('no DR');
  }
}
const out = new URL('./dr-contact-sheet.png', import.meta.url).pathname;
writeContactSheet(out, images, { width: size, height: size, columns: 8, labels, scale: 2 });
console.log(`wrote ${out}`);
