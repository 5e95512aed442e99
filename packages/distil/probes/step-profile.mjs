// Where a quick distillation update's time goes: the full update (Algorithm 1 lines 4-12), without Eq. 4,
// and the student's image encoder alone (forward + backward on the batch's B x L frames), each timed on the
// device (median of REPS after a warm-up), on a teacher run's collected data.
// With `kernels` as the third argument, one more full update is profiled kernel by kernel on the GPU
// (GpuDevice.startProfile({ byGrid: true })) and the 30 kernels and shapes with the most GPU time are printed.
// Usage (in packages/distil): node probes/step-profile.mjs TEACHER_OR_COLLECT_DIR [REPS] [kernels]
import * as A from '@twist/autograd';
import { createDevice, scope } from '@twist/kernels';
import { WorldModel } from '@twist/rssm';
import { Distiller, makeDistilConfig, makeStudentConfig } from '@twist/distil';
import { openCollected } from './collected.mjs';

const dir = process.argv[2];
const reps = Number(process.argv[3] ?? 4);
if (!dir) throw new Error('usage: node probes/step-profile.mjs TEACHER_OR_COLLECT_DIR [REPS]');
const device = await createDevice({ backend: 'webgpu' });
const { T, replay } = openCollected(device, dir);
const imageSize = T.config.collect.imageSize;
const student = new WorldModel(device, makeStudentConfig(T.config.world, { preset: 'quick', imageSize, seed: 1 }));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(name, cfgOver, fn) {
  const cfg = makeDistilConfig('quick', cfgOver);
  const d = new Distiller(T.teacher, student, cfg, 0);
  const ts = [];
  for (let i = 0; i <= reps; i++) {
    const b = replay.sample(device, cfg.batch, cfg.length, { obs: 'image' });
    await device.sync();
    const t0 = performance.now();
    await fn(d, b);
    await device.sync();
    if (i > 0) ts.push(performance.now() - t0);
    for (const t of Object.values(b)) t.dispose();
  }
  d.dispose();
  console.log(`${name}: ${median(ts).toFixed(0)} ms (median of ${reps}; ${ts.map((t) => t.toFixed(0)).join(', ')})`);
}
const step = async (d, b) => {
  const m = await d.step({ images: b.obs, state: b.state, actions: b.actions, isFirst: b.isFirst });
  for (const t of Object.values(m)) t?.dispose();
};
await time('full update (Eq. 3 + Eq. 4)', {}, step);
await time('update without Eq. 4', { imagined: false }, step);
await time('student encoder forward + backward alone', {}, async (d, b) => {
  scope(() => {
    const e = student.encoder.forward(student.preprocess(b.obs));
    const g = A.grad(A.sum(A.mean(A.square(e), [0, 1])), student.encoder.parameters());
    for (const x of g) x.value;
  });
});
await time('teacher observe (no graph) alone', {}, async (d, b) => {
  scope(() => A.noGrad(() => T.teacher.wm.rssm.observe(T.teacher.wm.encoder.forward(T.teacher.wm.preprocess(b.state)), A.constant(b.actions), b.isFirst)).deter.value);
});
if (process.argv[4] === 'kernels') {
  const cfg = makeDistilConfig('quick', {});
  const d = new Distiller(T.teacher, student, cfg, 0);
  const b = replay.sample(device, cfg.batch, cfg.length, { obs: 'image' });
  await step(d, b); // compiles anything the timings above did not
  await device.sync();
  device.startProfile({ byGrid: true });
  await step(d, b);
  const rows = await device.stopProfile();
  const total = rows.reduce((s, r) => s + r.ms, 0);
  console.log(`one full update, profiled: ${total.toFixed(0)} ms of GPU time in ${rows.reduce((s, r) => s + r.dispatches, 0)} dispatches`);
  for (const r of rows.slice(0, 30)) console.log(`  ${(100 * r.share).toFixed(1).padStart(5)}%  ${r.ms.toFixed(1).padStart(8)} ms  x${r.dispatches}  ${r.name}`);
  for (const t of Object.values(b)) t.dispose();
  d.dispose();
}
device.destroy();
process.exit(0);
