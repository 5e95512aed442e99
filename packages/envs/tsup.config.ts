import { packageConfig } from '../../tsup.shared.ts';
// The package entry (browser-safe), the Node entry (@twist/envs/node), and for VecEnv's workers the worker
// entry (plain JS) and the physics-only module it loads (dist/vec-worker.js, dist/physics.js; see
// src/vec/vec-env.ts workerUrls()).
export default packageConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', physics: 'src/vec/shard.ts', 'vec-worker': 'src/vec/worker.mjs' },
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
});
