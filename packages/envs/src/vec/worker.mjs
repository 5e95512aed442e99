// VecEnv worker entry: plain JavaScript so that Node runs it as is, from the source tree or from dist/.
// workerData.moduleUrl is the module exporting createShardApi(): src/vec/shard.ts when the VecEnv runs from
// TypeScript source (vitest, tsx), then tsx's ESM loader is registered here first; dist/physics.js when it
// runs from the build (no loader needed).
import { parentPort, workerData } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

const url = workerData && workerData.moduleUrl;
if (typeof url !== 'string') throw new Error('VecEnv worker: workerData.moduleUrl (the shard module URL) is missing');
if (new URL(url).pathname.endsWith('.ts')) {
  // Load MuJoCo's 11 MB module before tsx's loader is active: through tsx it takes ~6 s instead of ~0.5 s.
  // The TypeScript sources then get the same, already evaluated module instance from the module cache.
  await import('mujoco-js');
  const tsxApi = 'tsx/esm/api'; // a variable, so that bundlers leave it alone
  let register;
  try {
    ({ register } = await import(tsxApi));
  } catch (e) {
    throw new Error(`VecEnv worker: running from TypeScript source needs the 'tsx' package (${e && e.message})`);
  }
  register();
}
const mod = await import(url);
expose(mod.createShardApi(), nodeEndpoint(parentPort));
