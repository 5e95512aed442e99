import { packageProject } from '../vitest.shared.ts';
// The gate's pure logic (src/gate-logic.mjs): no GPU, no build, milliseconds.
export default packageProject('benchmarks', { include: ['test/**/*.test.ts', 'test/**/*.test.mjs'], testTimeout: 10_000 });
