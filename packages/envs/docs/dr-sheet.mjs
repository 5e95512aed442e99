#!/usr/bin/env node
// Writes docs/dr-contact-sheet.png: the demo scene (floor + one geom of each type) under 8 train-split and
// 8 held-out-split visual domains (seeded), rendered with the CPU reference (identical on every machine).
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

const images = [];
const labels = [];
const plain = envs.demoScene(0);
images.push(...envs.renderScenesCpu([plain], { width: size, height: size }));
labels.push('no DR');
for (const split of ['train', 'heldout']) {
  const rng = envs.createRng(seed + (split === 'train' ? 0 : 1000));
  const scenes = [];
  for (let k = 0; k < 7; k++) {
    const d = envs.sampleVisualDomain(rng, split);
    scenes.push(envs.applyVisualDomain(envs.demoScene(0.4 * k), d));
    labels.push(`${split === 'train' ? 'tr' : 'ho'} ${d.background.family}/${d.floor.family}`);
  }
  images.push(...envs.renderScenesCpu(scenes, { width: size, height: size }));
  if (split === 'train') {
    images.push(envs.renderScenesCpu([envs.demoScene(0)], { width: size, height: size })[0]);
    labels.push('no DR');
  }
}
const out = new URL('./dr-contact-sheet.png', import.meta.url).pathname;
envs.writeContactSheet(out, images, { width: size, height: size, columns: 8, labels, scale: 2 });
console.log(`wrote ${out}`);
