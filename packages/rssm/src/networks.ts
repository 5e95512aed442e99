import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import { decoderKernels, decoderSizes, encoderSizes, type WorldModelConfig } from './config.js';

/**
 * Runs f over row chunks of x (axis 0) when its largest activation would exceed the device's storage-buffer
 * limit (a 16 x 50 batch of 64x64 images at the paper's depth does on software Vulkan's 128 MiB), then
 * concatenates: gradients flow through split and concat unchanged.
 */
function inChunks(x: Var, bytesPerRow: number, f: (x: Var) => Var): Var {
  const rows = x.shape[0];
  const maxRows = Math.max(1, Math.floor(x.device.limits().maxBufferBytes / Math.max(1, bytesPerRow)));
  if (rows <= maxRows) return f(x);
  const sizes: number[] = [];
  for (let r = 0; r < rows; r += maxRows) sizes.push(Math.min(maxRows, rows - r));
  return A.concat(A.split(x, sizes, 0).map(f), 0);
}

/** MLP encoder of the privileged state (the paper's teacher: 3 x 512 ELU); optional symlog squashing. */
export class StateEncoder extends A.Module {
  readonly mlp: A.MLP;
  constructor(ctx: A.InitContext, readonly cfg: WorldModelConfig) {
    super();
    this.mlp = this.child('mlp', new A.MLP(ctx, cfg.stateSize, { hidden: cfg.mlpLayers, out: null, act: cfg.rssm.act, name: 'encoder' }));
  }
  get outSize(): number {
    return this.mlp.outFeatures;
  }
  /** state [..., S] -> embed [..., E] */
  forward(state: Var): Var {
    return this.mlp.forward(this.cfg.symlogInputs ? A.symlog(state) : state);
  }
}

/** DreamerV2's image encoder: convs kernel 4, stride 2, depths d, 2d, 4d, 8d, ELU, flattened. */
export class ImageEncoder extends A.Module {
  readonly convs: A.Conv2d[] = [];
  readonly outSize: number;
  constructor(ctx: A.InitContext, readonly cfg: WorldModelConfig) {
    super();
    const sizes = encoderSizes(cfg.imageSize);
    let cin = cfg.imageChannels;
    for (let i = 0; i < sizes.length - 1; i++) {
      const cout = 2 ** i * cfg.cnnDepth;
      this.convs.push(this.child(`conv${i}`, new A.Conv2d(ctx, cin, cout, 4, { stride: 2, name: `encoder.conv${i}` })));
      cin = cout;
    }
    const s = sizes[sizes.length - 1];
    this.outSize = s * s * cin;
  }
  /** image [..., H, W, C] (pixels/255 - 0.5) -> embed [..., E] */
  forward(image: Var): Var {
    const lead = image.shape.slice(0, -3);
    const x = A.reshape(image, [-1, ...image.shape.slice(-3)]);
    const y = inChunks(x, this.#largestRowBytes(), (xs) => {
      let h = xs;
      for (const c of this.convs) h = A.activation(c.forward(h), this.cfg.rssm.act);
      return A.reshape(h, [xs.shape[0], this.outSize]);
    });
    return A.reshape(y, [...lead, this.outSize]);
  }

  /** Bytes per image of the largest activation (input or any conv output). */
  #largestRowBytes(): number {
    const sizes = encoderSizes(this.cfg.imageSize);
    let m = sizes[0] * sizes[0] * this.cfg.imageChannels;
    for (let i = 1; i < sizes.length; i++) m = Math.max(m, sizes[i] * sizes[i] * 2 ** (i - 1) * this.cfg.cnnDepth);
    return 4 * m;
  }
}

/** MLP decoder of the state from the feature [h, z]. */
export class StateDecoder extends A.Module {
  readonly mlp: A.MLP;
  constructor(ctx: A.InitContext, readonly cfg: WorldModelConfig, featureSize: number, name = 'decoder') {
    super();
    this.mlp = this.child('mlp', new A.MLP(ctx, featureSize, { hidden: cfg.mlpLayers, out: cfg.stateSize, act: cfg.rssm.act, name }));
  }
  forward(feature: Var): Var {
    return this.mlp.forward(feature);
  }
}

/** DreamerV2's image decoder: dense -> 1x1x32d -> conv-transpose kernels 5,5,6,6 stride 2, depths 4d,2d,d,C. */
export class ImageDecoder extends A.Module {
  readonly dense: A.Linear;
  readonly deconvs: A.ConvTranspose2d[] = [];
  constructor(ctx: A.InitContext, readonly cfg: WorldModelConfig, featureSize: number) {
    super();
    const d = cfg.cnnDepth;
    this.dense = this.child('dense', new A.Linear(ctx, featureSize, 32 * d, { name: 'decoder.dense' }));
    const kernels = decoderKernels(cfg.imageSize);
    let cin = 32 * d;
    kernels.forEach((k, i) => {
      const last = i === kernels.length - 1;
      const cout = last ? cfg.imageChannels : 2 ** (kernels.length - i - 2) * d;
      this.deconvs.push(this.child(`deconv${i}`, new A.ConvTranspose2d(ctx, cin, cout, k, { stride: 2, name: `decoder.deconv${i}` })));
      cin = cout;
    });
  }
  /** feature [..., F] -> image mean [..., H, W, C] */
  forward(feature: Var): Var {
    const lead = feature.shape.slice(0, -1);
    const flat = A.reshape(feature, [-1, feature.shape[feature.shape.length - 1]]);
    const y = inChunks(flat, this.#largestRowBytes(), (f) => {
      let x = A.reshape(this.dense.forward(f), [-1, 1, 1, 32 * this.cfg.cnnDepth]);
      this.deconvs.forEach((c, i) => {
        x = c.forward(x);
        if (i < this.deconvs.length - 1) x = A.activation(x, this.cfg.rssm.act);
      });
      return x;
    });
    return A.reshape(y, [...lead, ...y.shape.slice(1)]);
  }

  /** Bytes per image of the largest conv-transpose output. */
  #largestRowBytes(): number {
    const sizes = decoderSizes(this.cfg.imageSize);
    let m = 32 * this.cfg.cnnDepth;
    this.deconvs.forEach((c, i) => (m = Math.max(m, sizes[i + 1] * sizes[i + 1] * c.outChannels)));
    return 4 * m;
  }
}

/** A scalar head (reward, continuation logit): MLP -> 1, squeezed. */
export class ScalarHead extends A.Module {
  readonly mlp: A.MLP;
  constructor(ctx: A.InitContext, layers: number[], featureSize: number, act: 'elu' | 'silu', name: string) {
    super();
    this.mlp = this.child('mlp', new A.MLP(ctx, featureSize, { hidden: layers, out: 1, act, name }));
  }
  forward(feature: Var): Var {
    return A.reshape(this.mlp.forward(feature), feature.shape.slice(0, -1));
  }
}
