import { defineConfig } from 'vitest/config';

/**
 * The root vitest config. Vitest 4 reads this file only when passed with `--config vitest.workspace.ts`
 * (npm test does). Each project has its own vitest.config.ts built by vitest.shared.ts.
 */
export default defineConfig({
  test: {
    projects: ['kernels', 'packages/*', 'benchmarks', 'examples'],
    // Two cores: more workers only fight over lavapipe's threads.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
