// Probe: what a deployed student does when it drives - the true cartpole state and both actions (the student's,
// executed, and the teacher's mode on its own filter of the true state, which sees the same executed actions)
// along held-out episodes, as a table and a plot. It tells a noisy student (actions scattered around the
// teacher's) from a closed-loop failure (actions drifting away together with the state, or saturating).
// Usage (in packages/distil): node probes/deployed-trace.mjs TEACHER_OR_DATA_DIR DEPLOYED_DIR OUT_PREFIX [EPISODES] [DOMAIN]
// writes OUT_PREFIX.png / .svg (episode 0) and prints per-episode figures and episode 0 every 10 steps.
import { pearson, renderPanels, writePlot } from '@twist/agent/node';
import { createDevice } from '@twist/kernels';
import { DeployedAgent, latentCheck, loadTeacher } from '@twist/distil/node';

const [teacherDir, deployedDir, out] = process.argv.slice(2);
if (!out) throw new Error('usage: node probes/deployed-trace.mjs TEACHER_OR_DATA_DIR DEPLOYED_DIR OUT_PREFIX [EPISODES] [DOMAIN]');
const episodes = Number(process.argv[5] ?? 4);
const domain = process.argv[6] ?? 'heldout';
const device = await createDevice({ backend: process.env.TWIST_BACKEND ?? 'webgpu' });
const T = loadTeacher(device, teacherDir);
const agent = DeployedAgent.load(device, deployedDir);
const r = await latentCheck(device, T.teacher, agent, { task: agent.meta.task, domain, seed: 1_000_000, episodes, driver: 'student', trace: true });
const tr = r.trace;
const S = tr.state[0].length / episodes;
const A = tr.studentAction[0].length / episodes;
const steps = tr.state.length;
const col = (arr, i, k, W) => arr.map((v) => v[i * W + k]);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`${domain} domain, student drives: returns ${r.returns.map((x) => x.toFixed(1)).join(', ')}; h error ${r.hError.toFixed(2)} (relative ${r.hRelError.toFixed(3)}), action error ${r.actionError.toFixed(3)}`);
for (let i = 0; i < episodes; i++) {
  const aS = col(tr.studentAction, i, 0, A);
  const aT = col(tr.teacherAction, i, 0, A);
  const sat = aS.filter((v) => Math.abs(v) > 0.95).length / steps;
  const x = col(tr.state, i, 0, S);
  const cos = col(tr.state, i, 1, S);
  const up = cos.filter((c) => c > Math.cos(0.35)).length / steps;
  console.log(
    `episode ${i}: corr(student, teacher action) ${pearson(aS, aT).toFixed(2)}, mean student action ${mean(aS).toFixed(2)} (teacher ${mean(aT).toFixed(2)}), |a| > 0.95 on ${(100 * sat).toFixed(0)}% of steps, ` +
      `pole within 0.35 rad of upright ${(100 * up).toFixed(0)}%, |x| max ${Math.max(...x.map(Math.abs)).toFixed(2)}`,
  );
}
console.log('episode 0, every 10 steps: t, x, cos, sin, x_dot, theta_dot, student action, teacher action');
for (let t = 0; t < steps; t += 10) {
  const s = Array.from(tr.state[t].subarray(0, S)).map((v) => v.toFixed(3).padStart(7));
  console.log(`${String(t).padStart(4)} ${s.join(' ')}  ${tr.studentAction[t][0].toFixed(3).padStart(7)} ${tr.teacherAction[t][0].toFixed(3).padStart(7)}`);
}
const ts = Array.from({ length: steps }, (_, t) => t);
const panel = (title, yLabel, series) => ({ title, xLabel: 'policy step', yLabel, series, width: 520, height: 300 });
const plot = renderPanels(
  [
    panel('cart position', 'x', [{ name: 'x', x: ts, y: col(tr.state, 0, 0, S) }]),
    panel('pole', 'sin / cos', [
      { name: 'sin', x: ts, y: col(tr.state, 0, 2, S) },
      { name: 'cos', x: ts, y: col(tr.state, 0, 1, S) },
    ]),
    panel('actions (episode 0)', 'action', [
      { name: 'student (executed)', x: ts, y: col(tr.studentAction, 0, 0, A) },
      { name: 'teacher (its mode)', x: ts, y: col(tr.teacherAction, 0, 0, A), dashed: true },
    ]),
  ],
  3,
);
writePlot(out, plot);
console.log(`wrote ${out}.png, ${out}.svg`);
agent.dispose();
T.dispose();
device.destroy();
process.exit(0);
