// A strict TypeScript consumer of the main entries as a web page would use them: no @types/node, the DOM lib
// only (type-checked by packed.test.ts, and bundled by esbuild for platform 'browser').
import { createDevice, tensor, scope, type Device } from '@twist/kernels';
import { noGrad } from '@twist/autograd';
import { WorldModel, WorldModelTrainer, makeConfig, readMetrics, disposeMetrics, type Batch } from '@twist/rssm';
import { DreamerAgent, makeRunConfig } from '@twist/agent';
import { applyVisualDomain, createRenderer, createRng, loadPhysics, makeEnv, sampleVisualDomain } from '@twist/envs';
import { DeployedAgent } from '@twist/distil';

export async function trainInPage(out: HTMLElement): Promise<number> {
  const device: Device = await createDevice();
  const model = new WorldModel(device, makeConfig('debug', { modality: 'state', stateSize: 3, actionSize: 1 }));
  const trainer = new WorldModelTrainer(model);
  const batch: Batch = { obs: tensor(device, new Float32Array(24), [2, 4, 3]), actions: tensor(device, new Float32Array(8), [2, 4, 1]), rewards: tensor(device, new Float32Array(8), [2, 4]), isFirst: tensor(device, new Float32Array(8), [2, 4]) };
  const { metrics } = await trainer.trainStep(batch);
  const { loss } = await readMetrics(metrics);
  disposeMetrics(metrics);
  out.textContent = `${device.backend}: loss ${loss.toFixed(3)}`;
  const rc = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 1000, {});
  const agent = new DreamerAgent(device, rc.world, rc.agent);
  void [scope, noGrad, agent];
  return loss;
}

/** A deployed agent served at `base` (checkpoint.json and the weights it names) takes one step on a held-out domain. */
export async function deployedInPage(base: URL, mujocoUrl: string): Promise<number> {
  const device = await createDevice();
  await loadPhysics({ moduleUrl: mujocoUrl });
  const checkpoint = await (await fetch(new URL('checkpoint.json', base))).text();
  const weights = await (await fetch(new URL(JSON.parse(checkpoint).weights.file, base))).arrayBuffer();
  const agent = DeployedAgent.fromFiles(device, { checkpoint, weights, name: String(base) });
  const n = agent.imageSize;
  const env = await makeEnv(agent.meta.task);
  env.reset(0);
  const [image] = await createRenderer(device, { width: n, height: n })([applyVisualDomain(env.scene(), sampleVisualDomain(createRng(0), 'heldout'))]);
  const action = await agent.act(tensor(device, image, [1, n, n, 3], 'u8'), [1], 'mode');
  const { reward } = env.step(action);
  env.close();
  agent.dispose();
  return reward;
}
