/** Agent tests' harness: the shared testing helpers plus this file's GPU teardown. */
import { afterAll } from 'vitest';
import { gpuOrNull } from '@twist/kernels/testing';

export * from '@twist/kernels/testing';

export const hasGpu: boolean = (await gpuOrNull()) !== null;

afterAll(async () => {
  const d = await gpuOrNull();
  await d?.sync();
  d?.destroy();
});
