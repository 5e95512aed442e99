import type { Plugin } from 'vite';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/** Load `.wgsl` files as a default-exported string, as tsup's text loader does for builds. */
export const wgslText: Plugin = {
  name: 'twist-wgsl-text',
  enforce: 'pre',
  transform(code, id) {
    if (!id.endsWith('.wgsl')) return null;
    return { code: `export default ${JSON.stringify(code)};`, map: null };
  },
};

/**
 * Per-package vitest project. `source` makes `@twist/*` resolve to each package's src/index.ts, so tests
 * never need a build first. Property tests on software Vulkan are slow: generous timeouts.
 */
export function packageProject(name: string, extra: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    plugins: [wgslText],
    resolve: { conditions: ['source'] },
    ssr: { resolve: { conditions: ['source'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      ...extra,
    },
  });
}
