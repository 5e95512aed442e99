import { defineConfig, type Options } from 'tsup';

/** One tsup configuration for every package: ESM + .d.ts, WGSL sources inlined as text. */
export function packageConfig(overrides: Partial<Options> = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    loader: { '.wgsl': 'text' },
    external: [/^@twist\//, 'webgpu'],
    ...overrides,
  });
}
