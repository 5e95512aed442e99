import { packageConfig } from '../../tsup.shared.ts';
// The package entry (browser-safe), the Node entry (@twist/envs/node), and for VecEnv's workers the worker
// entry (plain JS) and the physics-only module it loads (dist/vec-worker.js, dist/physics.js; see
// src/vec/vec-env.ts workerUrls()).
export default packageConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', physics: 'src/vec/shard.ts', 'vec-worker': 'src/vec/worker.mjs' },
  dts: {
    entry: { index: 'src/index.ts', node: 'src/node.ts' },
    // Our declarations name mujoco-js types, and mujoco-js 0.0.7's own .d.ts uses the JSDoc name `Arguments`
    // (TypeScript's is IArguments): without this a consumer that checks library types (no skipLibCheck) fails
    // inside mujoco_wasm.d.ts. An interface, so that the copy in each emitted file merges.
    banner: 'declare global {\n  /** IArguments under the name mujoco-js 0.0.7\'s .d.ts uses. */\n  interface Arguments extends IArguments {}\n}',
  },
});
