// Probe: where does a deployed student go wrong? Runs the latent check (student vs teacher h error and action
// error along the same episodes) with either model driving, on the train and held-out visual domains, and
// prints the summary and the per-step errors at a few steps. A student whose errors are small while the
// teacher drives but grow once it drives itself is pushed out of the collected data's states by its own
// mistakes (compounding error); one that is poor under both does not read the images well enough.
// Usage (in packages/distil): node probes/latent-drift.mjs TEACHER_OR_DATA_DIR DEPLOYED_DIR [EPISODES]
import { createDevice } from '@twist/kernels';
import { DeployedAgent, latentCheck, loadTeacher } from '@twist/distil/node';

const [teacherDir, deployedDir] = process.argv.slice(2);
const episodes = Number(process.argv[4] ?? 2);
const device = await createDevice({ backend: 'webgpu' });
const T = loadTeacher(device, teacherDir);
const agent = DeployedAgent.load(device, deployedDir);
const at = [0, 5, 20, 50, 100, 200, 300, 499];
for (const domain of ['train', 'heldout']) {
  for (const driver of ['teacher', 'student']) {
    const r = await latentCheck(device, T.teacher, agent, { task: agent.meta.task, domain, seed: 2000, episodes, driver });
    const pick = (xs) => at.filter((t) => t < xs.length).map((t) => `${t}:${xs[t].toFixed(2)}`).join(' ');
    console.log(`${domain} domain, ${driver} drives: return ${r.returns.map((x) => x.toFixed(1)).join(', ')}; h error ${r.hError.toFixed(2)} (relative ${r.hRelError.toFixed(3)}), action error ${r.actionError.toFixed(3)}`);
    console.log(`  h error by step      ${pick(r.hErrorByStep)}`);
    console.log(`  action error by step ${pick(r.actionErrorByStep)}`);
  }
}
device.destroy();
process.exit(0);
