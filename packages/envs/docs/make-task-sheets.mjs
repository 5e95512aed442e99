#!/usr/bin/env node
// Writes docs/tasks/<task>-train.png and docs/tasks/<task>-heldout.png for every task: one seeded episode,
// 6 frames (the reset, then every 15 agent steps of seeded uniform random actions), as the student sees them
// (64x64, the task's camera), under train-split visual DR re-sampled every frame and under one held-out
// domain sampled for the episode. Rendered with the CPU reference (identical on every machine).
//
//   node packages/envs/docs/make-task-sheets.mjs [--seed 1] [--size 64] [--frames 6] [--every 15]
//        [--scale 2] [--tasks cheetah-run,walker-walk] [--plain]   (--plain: also <task>-plain.png, no DR)
import { mkdirSync } from 'node:fs';
import '../scripts/register.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const seed = Number(opt('seed', '1'));
const size = Number(opt('size', '64'));
const frames = Number(opt('frames', '6'));
const every = Number(opt('every', '15'));
const scale = Number(opt('scale', '2'));
const plain = args.includes('--plain');
const envs = await import(new URL('../src/index.ts', import.meta.url).href);
const tasks = opt('tasks', envs.TASK_NAMES.join(',')).split(',');
const outDir = new URL('./tasks/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });

const render = (scenes) => envs.renderScenesCpu(scenes, { width: size, height: size });

for (const task of tasks) {
  // One episode: the same seed, physics DR and actions for every split, so the sheets differ only in looks.
  const env = await envs.makeEnv(task, { seed, physicsDR: 'train' });
  const actRng = envs.createRng(seed + 7919);
  const scenes = [];
  const steps = [];
  let obs = env.reset(seed);
  for (let f = 0; f < frames; f++) {
    if (f > 0) {
      for (let k = 0; k < every && !obs.done; k++) {
        const a = new Float32Array(env.actionSize);
        for (let i = 0; i < a.length; i++) a[i] = actRng.uniform(-1, 1);
        obs = env.step(a);
      }
    }
    scenes.push(env.scene());
    steps.push(obs.info.controlStep);
  }
  env.close();

  const trainRng = envs.createRng(seed);
  const heldRng = envs.createRng(seed + 1000);
  const held = envs.sampleVisualDomain(heldRng, 'heldout');
  const sheets = {
    train: scenes.map((s) => envs.applyVisualDomain(s, envs.sampleVisualDomain(trainRng, 'train'))),
    heldout: scenes.map((s) => envs.applyVisualDomain(s, held)),
  };
  if (plain) sheets.plain = scenes;
  for (const [split, sc] of Object.entries(sheets)) {
    const labels = steps.map((t) => `${split === 'heldout' ? 'ho' : split === 'train' ? 'tr' : ''} t=${t}`.trim());
    const out = `${outDir}${task}-${split}.png`;
    envs.writeContactSheet(out, render(sc), { width: size, height: size, columns: frames, labels, scale });
    console.log(`wrote ${out}`);
  }
}
