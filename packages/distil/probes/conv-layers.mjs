// The quick student encoder's four convolutions (kernel 4, stride 2, VALID; depths 16, 32, 64, 128 on 64x64x3),
// each direction timed alone on the device at a distillation batch's B x L frames: the forward (conv_down), the
// input gradient (conv_up; not needed for the first layer) and the filter gradient (conv_filter + its partial
// sums). Median of REPS after a warm-up, GFLOP/s at 2 FLOP per multiply-add.
// Usage (in packages/distil): node probes/conv-layers.mjs [FRAMES=512] [REPS=5] [DEPTH=16]
import { conv2d, conv2dBackwardFilter, conv2dBackwardInput, createDevice, randomNormal, scope } from '@twist/kernels';

const N = Number(process.argv[2] ?? 512);
const reps = Number(process.argv[3] ?? 5);
const d = Number(process.argv[4] ?? 16);
const device = await createDevice({ backend: 'webgpu' });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const ts = [];
  for (let i = 0; i <= reps; i++) {
    await device.sync();
    const t0 = performance.now();
    scope(() => { fn(); });
    await device.sync();
    if (i > 0) ts.push(performance.now() - t0);
  }
  return median(ts);
}
let H = 64;
let cin = 3;
let total = 0;
for (const cout of [d, 2 * d, 4 * d, 8 * d]) {
  const Ho = Math.floor((H - 4) / 2) + 1;
  const x = randomNormal(device, [N, H, H, cin], { seed: 1 });
  const w = randomNormal(device, [4, 4, cin, cout], { seed: 2 });
  const dy = randomNormal(device, [N, Ho, Ho, cout], { seed: 3 });
  const gflop = (2 * N * Ho * Ho * 16 * cin * cout) / 1e9;
  const f = await time(() => conv2d(x, w, null, { stride: 2 }));
  const bi = cin === 3 ? NaN : await time(() => conv2dBackwardInput(dy, w, x.shape, { stride: 2 }));
  const bf = await time(() => conv2dBackwardFilter(x, dy, w.shape, { stride: 2 }));
  total += f + (Number.isNaN(bi) ? 0 : bi) + bf;
  const r = (ms) => (Number.isNaN(ms) ? '-' : `${ms.toFixed(1)} ms (${(gflop / (ms / 1e3)).toFixed(1)} GFLOP/s)`);
  console.log(`${H}x${H}x${cin} -> ${Ho}x${Ho}x${cout} (${gflop.toFixed(2)} GFLOP): forward ${r(f)}, input grad ${r(bi)}, filter grad ${r(bf)}`);
  for (const t of [x, w, dy]) t.dispose();
  H = Ho;
  cin = cout;
}
console.log(`all directions: ${total.toFixed(0)} ms`);
device.destroy();
process.exit(0);
