import { createDevice, type Device } from '@twist/kernels';

/** The device of a command: --backend auto (WebGPU, else the CPU backend with a one-line notice), webgpu or cpu. */
export function openDevice(backend: string): Promise<Device> {
  return createDevice({ backend: backend as 'auto' | 'webgpu' | 'cpu' });
}
