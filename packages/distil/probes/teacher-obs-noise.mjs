// Probe: how exact must a student's perception be? The teacher (an oracle run, acting from the privileged
// state through its own posterior filter) is evaluated with its mode on the usual evaluation seeds while its
// observed state is corrupted: Gaussian noise of std SIGMA on the chosen dimensions (white, independent per
// step; or, with BIAS=1, one draw per episode held for the whole episode - a persistent misreading), the
// simulator stepping the true state. A teacher that still balances with noise of the size of a student's
// error says the student's problem is not its precision; one that fails says the student must read the state
// at least this well. The cartpole state is [x, cos, sin, x', theta'] (DIMS indexes it).
// Usage (in packages/distil): DIMS=2 node probes/teacher-obs-noise.mjs TEACHER_DIR SIGMA[,SIGMA...] [EPISODES]
import { createDevice, tensor } from '@twist/kernels';
import { evaluate, loadRunActor } from '@twist/agent/node';

const [dir, sigmaText] = process.argv.slice(2);
if (!dir || !sigmaText) throw new Error('usage: DIMS=2 node probes/teacher-obs-noise.mjs TEACHER_DIR SIGMA[,SIGMA...] [EPISODES]');
const episodes = Number(process.argv[4] ?? 10);
const dims = (process.env.DIMS ?? '2').split(',').map(Number);
const bias = process.env.BIAS === '1';
const device = await createDevice({ backend: process.env.TWIST_BACKEND ?? 'webgpu' });
const { actor, config, dispose } = loadRunActor(device, dir);
if (actor.observes !== 'state') throw new Error(`${dir} acts from ${actor.observes}; this probe corrupts a state`);

let seed = 12345;
const uniform = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
for (const sigma of sigmaText.split(',').map(Number)) {
  let held = null;
  const noisy = {
    observes: 'state',
    resetPolicy: () => actor.resetPolicy(),
    async act(x, isFirst, mode) {
      const [N, S] = x.shape;
      const s = Float32Array.from(await x.toArray());
      if (!held || isFirst[0]) held = Float32Array.from({ length: N * S }, () => gauss());
      for (let i = 0; i < N; i++) for (const d of dims) s[i * S + d] += sigma * (bias ? held[i * S + d] : gauss());
      const y = tensor(device, s, [N, S]);
      try {
        return await actor.act(y, isFirst, mode);
      } finally {
        y.dispose();
      }
    },
  };
  const r = await evaluate(device, noisy, { task: config.task, domain: 'none', episodes, seed: 1_000_000, references: sigma === 0 });
  const refs = r.references ? ` (zero ${r.references.zero.mean.toFixed(1)}, random ${r.references.random.mean.toFixed(1)})` : '';
  console.log(`sigma ${sigma} on dims [${dims}]${bias ? ' (held per episode)' : ''}: return ${r.mean.toFixed(1)} +- ${r.std.toFixed(1)}${refs}`);
}
dispose();
device.destroy();
process.exit(0);
