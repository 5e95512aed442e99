// Probe: behaviour learning alone on a run's frozen world model. From the run's last checkpoint (world model,
// actor, critic and their optimisers), UPDATES actor-critic updates from posterior starts of replay batches,
// with behaviour-config overrides BEH='{json}' (e.g. '{"actorEntropy":0.001}' or '{"imagStarts":0}'); the real
// evaluation return (actor mode, the run's evaluation seeds) every EVERY updates. The world model is not trained.
// Usage: BEH='{}' node probes/offline-behaviour.mjs RUN_DIR UPDATES [EVERY=250]
import * as A from '@twist/autograd';
import { createDevice, scope } from '@twist/kernels';
import { readMetrics } from '@twist/rssm';
import { evaluate, loadRunAgent, Replay, runPaths } from '../dist/node.js';
const dir = process.argv[2]; const updates = Number(process.argv[3] ?? 500); const every = Number(process.argv[4] ?? 250);
const over = JSON.parse(process.env.BEH ?? '{}');
const device = await createDevice({ backend: 'webgpu' });
const { agent, config, info } = loadRunAgent(device, dir);
Object.assign(agent.behaviour.cfg, over);
const rs = info.replay; const loop = config.agent.loop;
const replay = Replay.open(runPaths(dir).replay, { ...rs.config, stateSize: config.world.stateSize, actionSize: config.world.actionSize, imageShape: config.collect?.images ? [config.collect.imageSize, config.collect.imageSize, 3] : null, obs: 'state', seed: 99 }, { ...rs, pending: null });
const host = new Float32Array(loop.batch * loop.length); for (let i = 0; i < loop.batch; i++) host[i * loop.length] = 1;
const actor = { observes: 'state', act: (o, f, m) => agent.act(o, f, m), resetPolicy: () => agent.resetPolicy() };
const evalNow = async (u, m) => {
  const ev = await evaluate(device, actor, { task: config.task, domain: 'none', episodes: 5, seed: 1_000_000 + config.seed * 1000, references: false });
  console.log(JSON.stringify(over), `update ${u}: real return ${ev.mean.toFixed(1)} (${ev.returns.map((r) => r.toFixed(0)).join(' ')})`, m ? `imagValue ${m.imagValue.toFixed(1)} actorEntropy ${m.actorEntropy.toFixed(2)} actorGradNorm ${m.actorGradNorm.toFixed(3)}` : '');
};
await evalNow(0, null);
for (let u = 1; u <= updates; u++) {
  const b = replay.sample(device, loop.batch, loop.length, { obs: 'state' });
  const lat = scope(() => A.noGrad(() => { const l = agent.wm.observe({ obs: b.obs, actions: b.actions, rewards: b.rewards, isFirst: b.isFirst, isFirstHost: host }); return { deter: l.deter.value, stoch: l.stoch.value }; }));
  await agent.behaviour.settle(); // the return scale's pending read-back (returnNorm), as DreamerAgent.update does
  const bm = agent.behaviour.update(agent.wm, lat);
  lat.deter.dispose(); lat.stoch.dispose();
  await device.throttle(1);
  for (const t of Object.values(b)) t?.dispose?.();
  if (u % every === 0) { const m = await readMetrics(bm); await evalNow(u, m); }
  for (const t of Object.values(bm)) t?.dispose?.();
}
device.destroy();
