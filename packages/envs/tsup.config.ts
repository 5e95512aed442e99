import { packageConfig } from '../../tsup.shared.ts';
// Besides the package entry: the VecEnv worker (plain JS) and the physics-only module it loads
// (dist/vec-worker.js, dist/physics.js; see src/vec/vec-env.ts workerUrls()).
export default packageConfig({
  entry: { index: 'src/index.ts', physics: 'src/vec/shard.ts', 'vec-worker': 'src/vec/worker.mjs' },
  dts: { entry: { index: 'src/index.ts' } },
});
