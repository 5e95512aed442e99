// A strict TypeScript consumer of the published packages in Node (type-checked by packed.test.ts with tsc
// --strict and no skipLibCheck against the installed tarballs; it is not run).
import { createDevice, tensor, matmul, scope, type Device, type GpuDevice, type Tensor } from '@twist/kernels';
import { Adam, MLP, constant, grad, mse, encodeSafetensors, decodeSafetensors, type CheckpointParts } from '@twist/autograd';
import { saveCheckpoint, loadCheckpoint, hasCheckpoint, writeFileAtomic } from '@twist/autograd/node';
import { WorldModel, WorldModelTrainer, makeConfig, readMetrics, type Batch, type WorldModelConfig } from '@twist/rssm';
import { saveWorldModel, loadWorldModel, loadWorldModelTrainer, readCheckpointConfig } from '@twist/rssm/node';
import { DreamerAgent, makeRunConfig, AGENT_PRESETS, type RunConfig } from '@twist/agent';
import { train, evaluate, loadRunAgent, Replay, type TrainResult } from '@twist/agent/node';
import { makeEnv, getTask, createRenderer, type Scene } from '@twist/envs';
import { VecEnv, writePng, loadBackgroundFolder } from '@twist/envs/node';

export async function run(dir: string): Promise<number> {
  const device: Device = await createDevice({ backend: 'cpu', quiet: true });
  const gpu: GpuDevice | null = device.backend === 'webgpu' ? (device as GpuDevice) : null;
  const a: Tensor = tensor(device, new Float32Array(6), [2, 3]);
  const y = scope(() => matmul(a, a, { transB: true }));
  const net = new MLP({ device, seed: 0 }, 3, { hidden: [8], out: 1 });
  const opt = new Adam(net.parameters(), { lr: 1e-3 });
  opt.apply(grad(mse(net.forward(constant(a)), constant(tensor(device, new Float32Array(2), [2, 1]))), net.parameters()));
  const parts: CheckpointParts = { modules: { net }, optimizers: { opt } };
  await saveCheckpoint(dir, parts, { note: 'x' });
  const { info } = loadCheckpoint(dir, parts);
  const bytes: Uint8Array = encodeSafetensors({ w: { dtype: 'f32', shape: [2], data: new Float32Array(2) } });
  const back = decodeSafetensors(bytes, 'bytes').tensors.get('w');
  writeFileAtomic(`${dir}/note.txt`, 'ok');
  const cfg: WorldModelConfig = makeConfig('debug', { modality: 'state', stateSize: 5, actionSize: 1 });
  const model = new WorldModel(device, cfg);
  const trainer = new WorldModelTrainer(model);
  const batch: Batch = { obs: tensor(device, new Float32Array(40), [2, 4, 5]), actions: tensor(device, new Float32Array(8), [2, 4, 1]), rewards: tensor(device, new Float32Array(8), [2, 4]), isFirst: tensor(device, new Float32Array(8), [2, 4]) };
  const { metrics } = await trainer.trainStep(batch);
  const m: Record<string, number> = await readMetrics(metrics);
  await saveWorldModel(model, `${dir}/wm`);
  const loaded: { model: WorldModel; info: Record<string, unknown> } = loadWorldModel(device, `${dir}/wm`);
  const c = readCheckpointConfig(`${dir}/wm`);
  const rc: RunConfig = makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 1000, {});
  const agent = new DreamerAgent(device, rc.world, rc.agent);
  const r: TrainResult = await train({ dir: `${dir}/run`, device, method: 'oracle', task: 'cartpole-balance', preset: 'debug', steps: 100 });
  const env = await makeEnv('cartpole-balance');
  const scene: Scene = (env.reset(0), env.scene());
  const vec = await VecEnv.create('cartpole-balance', { num: 2, workers: 0 });
  await vec.close();
  void [gpu, y, info, back, m, loaded, c, agent, r, scene, AGENT_PRESETS, evaluate, loadRunAgent, Replay, getTask, createRenderer, writePng, loadBackgroundFolder, hasCheckpoint, loadWorldModelTrainer];
  device.destroy();
  return Object.keys(m).length;
}
