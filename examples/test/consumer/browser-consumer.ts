// A strict TypeScript consumer of the main entries as a web page would use them: no @types/node, the DOM lib
// only (type-checked by packed.test.ts, and bundled by esbuild for platform 'browser').
import { createDevice, tensor, scope, type Device } from '@twist/kernels';
import { noGrad } from '@twist/autograd';
import { WorldModel, WorldModelTrainer, makeConfig, readMetrics, disposeMetrics, type Batch } from '@twist/rssm';
import { DreamerAgent, makeRunConfig } from '@twist/agent';

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
