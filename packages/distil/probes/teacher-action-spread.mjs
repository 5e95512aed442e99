// Probe: how much of the action-matching term is irreducible? The target of --action-match is the frozen actor's
// mean action on the teacher's posterior feature [h, z], and z is a sample of the teacher's posterior. Two filter
// passes over the same collected sequences with different z draws give two targets; half their mean squared
// difference per step is the variance a student cannot remove (a perfect student matches the expectation, not
// one draw), to compare with the per-step action term of a run (metrics.jsonl `act` / L).
// Usage (in packages/distil): node probes/teacher-action-spread.mjs DATA_DIR [BATCHES]
import * as A from '@twist/autograd';
import { createDevice } from '@twist/kernels';
import { openCollected } from './collected.mjs';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: node probes/teacher-action-spread.mjs DATA_DIR [BATCHES]');
const batches = Number(process.argv[3] ?? 8);
const device = await createDevice({ backend: process.env.TWIST_BACKEND ?? 'webgpu' });
const { T, replay } = openCollected(device, dir);
const wm = T.teacher.wm;
const L = 32;
let sum = 0;
let n = 0;
let spread = 0;
for (let i = 0; i < batches; i++) {
  const b = replay.sample(device, 16, L, { obs: 'image' });
  const pass = () =>
    A.noGrad(async () => {
      const lat = wm.rssm.observe(wm.encoder.forward(wm.preprocess(b.state)), A.constant(b.actions), b.isFirst);
      return (await T.teacher.actor.dist(wm.rssm.feature(lat)).mean.toArray());
    });
  const a1 = await pass();
  const a2 = await pass(); // the rssm's RNG offset has moved on: other z draws
  for (let k = 0; k < a1.length; k++) {
    spread += (a1[k] - a2[k]) ** 2;
    sum += a1[k] * a1[k];
  }
  n += a1.length;
  for (const t of Object.values(b)) t.dispose();
}
console.log(`${dir}: ${n} steps; mean squared difference of the teacher's mean action between two z draws ${(spread / n).toFixed(4)} (irreducible part of the per-step action term: half of it, ${(spread / n / 2).toFixed(4)}; x L = ${L}: ${((spread / n / 2) * L).toFixed(2)} per sequence); mean a^2 ${(sum / n).toFixed(3)}`);
T.dispose();
device.destroy();
process.exit(0);
