// Probe: how well does a distillation run's state decoder (the --state-recon term's) read the pole's tilt where
// balancing needs it - near upright - and from what? On the collected sequences it decodes the standardised
// state and reports R^2 of each dimension over all steps and over the near-upright steps (|angle| < LIMIT rad,
// default 0.35: the balance task's states), with the student's filter given (a) the executed actions and (b)
// another sequence's actions (the batch shuffled). A decoder on [h, z] whose near-upright tilt survives (b) reads
// it from the images; one that loses it there infers it from the actions, the teacher's in these data, which
// respond to the true tilt - and at deployment the student's own actions carry only what it already believes.
// Reads a copy of the run's checkpoint (loading sweeps stale weights files from a checkpoint folder, which a live
// run may be writing). Usage (in packages/distil):
//   cp -r RUN/ckpt /tmp/ck && node probes/state-decoder-upright.mjs DATA_DIR RUN_DIR /tmp/ck [BATCHES=8] [LIMIT=0.35]
import * as A from '@twist/autograd';
import * as AN from '@twist/autograd/node';
import { createDevice } from '@twist/kernels';
import { WorldModel } from '@twist/rssm';
import { readRunConfig } from '@twist/agent/node';
import { Distiller } from '@twist/distil';
import { replayStateStats } from '@twist/distil/node';
import { openCollected, otherSequenceActions } from './collected.mjs';

const [dataDir, runDir, ckDir] = process.argv.slice(2);
if (!dataDir || !runDir || !ckDir) throw new Error('usage: node probes/state-decoder-upright.mjs DATA_DIR RUN_DIR CKPT_COPY [BATCHES] [LIMIT]');
const batches = Number(process.argv[5] ?? 8);
const limit = Number(process.argv[6] ?? 0.35);
const B = 16;
const device = await createDevice({ backend: 'webgpu' });
const rc = readRunConfig(runDir);
const { T, replay } = openCollected(device, dataDir);
const student = new WorldModel(device, rc.student);
if (!student.stateDecoder) throw new Error(`${runDir}: its student has no state decoder (a run without --state-recon)`);
const d = new Distiller(T.teacher, student, rc.distil, 0);
AN.loadCheckpoint(ckDir, d.parts());
const { mean, std } = replayStateStats(replay);
const Sd = mean.length;
const L = rc.distil.length;
// per variant, per subset (all, upright), per dim: [n, sum y, sum y^2, sum (y - yhat)^2]
const acc = {};
for (const v of ['executed', 'shuffled']) acc[v] = { all: [...Array(Sd)].map(() => [0, 0, 0, 0]), upright: [...Array(Sd)].map(() => [0, 0, 0, 0]) };
for (let i = 0; i < batches; i++) {
  const bt = replay.sample(device, B, L, { obs: 'image' });
  const shuffled = await otherSequenceActions(device, bt.actions);
  const s = await bt.state.toArray();
  for (const [v, actions] of [['executed', bt.actions], ['shuffled', shuffled]]) {
    const pred = await A.noGrad(async () => {
      const embed = student.encoder.forward(student.preprocess(bt.obs));
      const lat = student.rssm.observe(embed, A.constant(actions), bt.isFirst);
      return student.decodeState(embed, student.rssm.feature(lat)).value.toArray();
    });
    for (let r = 0; r < B * L; r++) {
      // cartpole's state: [x, cos, sin, xdot, thetadot]; upright: |angle| < limit
      const up = Math.abs(Math.atan2(s[r * Sd + 2], s[r * Sd + 1])) < limit;
      for (let k = 0; k < Sd; k++) {
        const y = (s[r * Sd + k] - mean[k]) / std[k];
        for (const sub of up ? ['all', 'upright'] : ['all']) {
          const a = acc[v][sub][k];
          a[0]++; a[1] += y; a[2] += y * y; a[3] += (y - pred[r * Sd + k]) ** 2;
        }
      }
    }
  }
  for (const t of [...Object.values(bt), shuffled]) t.dispose();
}
const r2 = ([n, s1, s2, e]) => 1 - e / (s2 - (s1 * s1) / n);
console.log(`state-decoder probe: ${runDir} (checkpoint copy ${ckDir}; decoder reads ${rc.student.stateReconFrom ?? 'feature'}), ${batches} batches of ${B} x ${L} steps of ${dataDir}; R^2 per dimension [x, cos, sin, xdot, thetadot]`);
for (const v of ['executed', 'shuffled']) {
  for (const sub of ['all', 'upright']) {
    console.log(`  ${v} actions, ${sub === 'all' ? 'all steps' : `near upright (|angle| < ${limit}), ${acc[v][sub][0][0]} steps`}: ${acc[v][sub].map((a) => r2(a).toFixed(2)).join(' ')}`);
  }
}
device.destroy();
process.exit(0);
