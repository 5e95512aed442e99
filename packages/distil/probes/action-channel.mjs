// Probe: where does a student's h get the pole's tilt from - the images, or the actions its filter is given?
// On the collected sequences (the teacher's executed actions, which respond to the true state), the student's
// posterior filter runs with (a) the executed actions, (b) the actions of other sequences (the batch shuffled),
// (c) zero actions. Each time its h is compared with the teacher's (the teacher's filter on the states with the
// executed actions) as the relative squared error sum ||h_T - h_S||^2 / sum ||h_T - mean h_T||^2, and the teacher's
// actor (its mode) on the student's features with its action on the teacher's: mean squared action error.
// A student that reads the state from its images is about as good under (b) and (c) as under (a); one that infers
// it from the actions (the teacher pushed right, so the pole leans right) is good only under (a) - and at
// deployment its filter is given its own actions, which carry nothing it did not already believe. The reference
// rows run the teacher's own filter (on the true states) with (b) and (c): what wrong actions cost a filter that
// reads the state perfectly, the baseline for the student's rows.
// Usage (in packages/distil): node probes/action-channel.mjs DATA_DIR DEPLOYED_DIR [BATCHES=6] [LENGTH=50]
import * as A from '@twist/autograd';
import { createDevice, tensor } from '@twist/kernels';
import { DeployedAgent } from '@twist/distil/node';
import { openCollected, otherSequenceActions } from './collected.mjs';

const [dir, deployedDir] = process.argv.slice(2);
if (!dir || !deployedDir) throw new Error('usage: node probes/action-channel.mjs DATA_DIR DEPLOYED_DIR [BATCHES] [LENGTH]');
const batches = Number(process.argv[4] ?? 6);
const L = Number(process.argv[5] ?? 50);
const B = 16;
const device = await createDevice({ backend: 'webgpu' });
const { T, replay } = openCollected(device, dir);
const agent = DeployedAgent.load(device, deployedDir);
const S = agent.student;
const tw = T.teacher.wm;
const actor = T.teacher.actor;
// [sum sq h error, sum sq h deviation, sum sq action error]; ref*: the teacher's own filter given those actions
const acc = { a: [0, 0, 0], b: [0, 0, 0], c: [0, 0, 0], refb: [0, 0, 0], refc: [0, 0, 0] };
let n = 0;
for (let i = 0; i < batches; i++) {
  const bt = replay.sample(device, B, L, { obs: 'image' });
  const variants = { a: bt.actions, b: await otherSequenceActions(device, bt.actions), c: tensor(device, new Float32Array(B * L * bt.actions.shape[2]), bt.actions.shape) };
  const [hT, aT] = await A.noGrad(async () => {
    const lat = tw.rssm.observe(tw.encoder.forward(tw.preprocess(bt.state)), A.constant(bt.actions), bt.isFirst);
    return [await lat.deter.value.toArray(), await actor.dist(tw.rssm.feature(lat)).mode().value.toArray()];
  });
  const Dh = hT.length / (B * L);
  const mean = new Float64Array(Dh);
  for (let r = 0; r < B * L; r++) for (let d = 0; d < Dh; d++) mean[d] += hT[r * Dh + d] / (B * L);
  const runs = [...Object.entries(variants).map(([k, v]) => [k, v, false]), ['refb', variants.b, true], ['refc', variants.c, true]];
  for (const [k, actions, ref] of runs) {
    const [hS, aS] = await A.noGrad(async () => {
      const lat = ref
        ? tw.rssm.observe(tw.encoder.forward(tw.preprocess(bt.state)), A.constant(actions), bt.isFirst)
        : S.rssm.observe(S.encoder.forward(S.preprocess(bt.obs)), A.constant(actions), bt.isFirst);
      return [await lat.deter.value.toArray(), await actor.dist(S.rssm.feature(lat)).mode().value.toArray()];
    });
    for (let r = 0; r < B * L; r++) {
      for (let d = 0; d < Dh; d++) {
        acc[k][0] += (hT[r * Dh + d] - hS[r * Dh + d]) ** 2;
        acc[k][1] += (hT[r * Dh + d] - mean[d]) ** 2;
      }
    }
    for (let j = 0; j < aT.length; j++) acc[k][2] += (aT[j] - aS[j]) ** 2;
  }
  n += aT.length;
  for (const t of [...Object.values(bt), variants.b, variants.c]) t.dispose();
}
const names = { a: 'executed actions', b: 'shuffled actions (another sequence\'s)', c: 'zero actions' };
console.log(`action-channel probe: ${batches} batches of ${B} x ${L} collected steps from ${dir}, student ${deployedDir}`);
const row = (k) => `relative h error ${(acc[k][0] / acc[k][1]).toFixed(3)}, action error (teacher actor's mode) ${(acc[k][2] / n).toFixed(3)}`;
for (const k of ['a', 'b', 'c']) console.log(`  student filter with ${names[k]}: ${row(k)}`);
// what the wrong actions alone cost a filter that reads the true state (the teacher's, on the states)
for (const k of ['b', 'c']) console.log(`  reference, the teacher's filter with ${names[k]}: ${row('ref' + k)}`);
device.destroy();
process.exit(0);
