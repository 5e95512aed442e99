// Shared by the probes that read a teacher run's collected data (step-profile, action-channel,
// state-decoder-upright): the teacher and its image replay, and the batch's actions rolled by one sequence.
import { tensor } from '@twist/kernels';
import { Replay, runPaths } from '@twist/agent/node';
import { loadTeacher } from '@twist/distil/node';

/** The teacher (loadTeacher) of a collect or teacher run directory, and its replay opened for image batches. */
export function openCollected(device, dir) {
  const T = loadTeacher(device, dir);
  const rs = T.info.replay;
  const size = T.config.collect.imageSize;
  const shape = { stateSize: T.config.world.stateSize, actionSize: T.config.world.actionSize, imageShape: [size, size, 3], numEnvs: rs.config.numEnvs, capacity: rs.config.capacity, obs: 'image' };
  return { T, replay: Replay.open(runPaths(dir).replay, shape, { ...rs, pending: null }) };
}

/** Sequence b of the batch's actions [B, L, D] given sequence (b + 1) % B's: actions that did not make these frames. */
export async function otherSequenceActions(device, actions) {
  const [B, L, D] = actions.shape;
  const act = await actions.toArray();
  const out = new Float32Array(act.length);
  for (let b = 0; b < B; b++) out.set(act.subarray(((b + 1) % B) * L * D, ((b + 1) % B + 1) * L * D), b * L * D);
  return tensor(device, out, actions.shape);
}
