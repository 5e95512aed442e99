import { createDevice, CpuDevice, type Device } from '@twist/kernels';
import { applyVisualDomain, createRenderer, createRng, makeEnv, sampleVisualDomain, TASK_NAMES, type Scene, type TaskName, type VisualDomain } from '@twist/envs';
import { loadBackgroundFolder, writeContactSheet } from '@twist/envs/node';
import { rejectInapplicable, UsageError, type OptionSpec, type Parsed } from '../args.js';

export const renderOptions: Record<string, OptionSpec> = {
  task: { type: 'string', default: 'cheetah-run', choices: TASK_NAMES as unknown as string[], help: 'task to render' },
  dr: { type: 'string', default: 'train', choices: ['off', 'train', 'heldout'], help: 'visual domain randomisation: train re-samples every frame (as during collection), heldout once per episode (as at evaluation)' },
  out: { type: 'string', default: 'out/sheet.png', help: 'PNG contact sheet to write' },
  episodes: { type: 'integer', min: 1, default: 2, help: 'rows: one episode each' },
  frames: { type: 'integer', min: 1, default: 8, help: 'columns: frames per episode' },
  every: { type: 'integer', min: 1, default: 10, help: 'env steps between frames (random actions)' },
  size: { type: 'integer', default: 64, help: 'image side in pixels (32..128)' },
  seed: { type: 'integer', default: 0, help: 'seed of physics, actions and domains' },
  backgrounds: { type: 'string', help: 'folder of PNG images used as held-out backgrounds' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'cpu'], help: 'device for the renderer' },
};

/** `twist render`: a contact sheet of a task's observations under a visual domain distribution. */
export async function renderCommand(a: Parsed, argv: readonly string[] = [], log: (s: string) => void = console.log): Promise<number> {
  const task = String(a.task) as TaskName;
  const [episodes, frames, every, size, seed] = [a.episodes, a.frames, a.every, a.size, a.seed].map(Number);
  if (size < 32 || size > 128) throw new UsageError(`twist render: --size must be in 32..128, got ${size}`);
  const dr = String(a.dr) as 'off' | 'train' | 'heldout';
  if (dr !== 'heldout') rejectInapplicable('render', argv, ['backgrounds'], `with --dr ${dr} (held-out backgrounds are used with --dr heldout)`);
  const backend = String(a.backend) as 'auto' | 'webgpu' | 'cpu';
  const device: Device = backend === 'cpu' ? new CpuDevice() : await createDevice({ backend });
  const render = createRenderer(device, { width: size, height: size });
  const backgrounds = a.backgrounds ? loadBackgroundFolder(String(a.backgrounds)) : undefined;
  const env = await makeEnv(task, { seed, physicsDR: dr === 'off' ? 'off' : dr });
  const rng = createRng(seed + 1);
  const scenes: Scene[] = [];
  const labels: string[] = [];
  for (let e = 0; e < episodes; e++) {
    env.reset(seed * 1000 + e);
    let domain: VisualDomain | null = dr === 'heldout' ? sampleVisualDomain(rng, 'heldout', { backgrounds }) : null;
    for (let f = 0; f < frames; f++) {
      if (f > 0) {
        for (let s = 0; s < every; s++) env.step(Array.from({ length: env.actionSize }, () => rng.uniform(-1, 1)));
      }
      if (dr === 'train') domain = sampleVisualDomain(rng, 'train');
      const scene = env.scene();
      scenes.push(domain ? applyVisualDomain(scene, domain) : scene);
      labels.push(`ep${e} t${f * every}`);
    }
  }
  const images = await render(scenes);
  writeContactSheet(String(a.out), images, { width: size, height: size, columns: frames, labels });
  log(`wrote ${a.out}: ${task}, ${episodes} episodes x ${frames} frames, DR ${dr}, rendered on ${device.label}`);
  env.close();
  device.destroy();
  return 0;
}
