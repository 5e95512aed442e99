import { packageConfig } from '../tsup.shared.ts';
// The public types name GPUDevice, GPUBuffer, ...: every emitted .d.ts pulls in @webgpu/types (a dependency), so a
// strict consumer type-checks without skipLibCheck and without listing it in its own tsconfig.
export default packageConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  dts: { banner: '/// <reference types="@webgpu/types" />' },
});
